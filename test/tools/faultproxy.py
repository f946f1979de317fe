#!/usr/bin/env python3
"""TCP fault-injecting proxy: forwards bytes between a client and a target, and breaks
chosen connections at chosen byte offsets or protocol phases.

It never decrypts anything: with TLS the cuts happen at byte offsets of the TLS stream, and
the phases are found from the TLS record headers (content type 23 = application data).

  faultproxy.py --listen 127.0.0.1:9443 --target 127.0.0.1:8443 [faults] [limits]

Faults (apply to every connection, or only to the --fault-conn ones):
  --cut-s2c N          forward N bytes server->client, then cut the connection
  --cut-c2s N          forward N bytes client->server, then cut the connection
  --phase P            cut at a phase (see below)
  --cut-mode M         close (FIN to both sides, default) | reset (RST to both sides)
                       | half (stop forwarding, keep both sockets open until --hang-ms,
                       then close: the peer sees a stall, not a close)
  --delay-ms MS        hold the first server->client byte for MS milliseconds
  --stall-at N         pause server->client forwarding for --stall-ms after N bytes
  --stall-ms MS        (default 2000)
  --drip N             forward server->client in pieces of at most N bytes ...
  --drip-ms MS         ... with MS milliseconds between pieces (default 1)
  --fault-conn K[,K..] fault only these connections (1-based, in accept order); default all
Phases (--phase), HTTP in clear or TLS (detected from the first client byte):
  connect              accept, then close without contacting the target
  handshake            TLS: cut after the server's first flight reached the client
  request-head         plain: after the request head (up to CRLF CRLF) reached the server;
                       TLS: after the client's first application-data record
  request              the whole request reached the server, nothing of the response is
                       forwarded (the server did the work; the client never hears of it)
  response-head        plain: after the response head; TLS: after the first server
                       application-data record (libest writes the head as its own record)
  mid-body             plain: after half the response body (Content-Length, or half of
                       the first body chunk seen); TLS: after half of the second server
                       application-data record (half of the first if it is the only one)
  after-response       after the whole first response (plain: by Content-Length; TLS: when the
                       server goes quiet for --quiet-ms) - a cut before close_notify
Limits (the proxy always stops by itself):
  --max-conns M        exit after M connections have finished
  --timeout T          exit after T seconds (default 120)
  --idle-exit T        exit when no connection has been open for T seconds
Output:
  --log FILE           one JSON object per finished connection (also to stdout without --log):
                       {"conn":1,"faulted":true,"fault":"cut-s2c@120","c2s":517,"s2c":1290,
                        "c2s_app_records":1,"s2c_app_records":2,"s2c_app_bytes":702,"ms":41,
                        "end":"cut"|"client-closed"|"server-closed"|"error:..."}
  --port-file FILE     write the listening port (useful with --listen 127.0.0.1:0)

Measure first, then cut everywhere:
  faultproxy.py --listen 127.0.0.1:9443 --target 127.0.0.1:8443 --max-conns 1 --log m.json
  (run the client once; s2c in m.json is the response length)
  for n in $(seq 0 $s2c); do faultproxy.py ... --cut-s2c $n --max-conns 1 & client; done
"""
import argparse
import json
import os
import select
import socket
import struct
import sys
import threading
import time

TLS_HANDSHAKE = 22
TLS_APPDATA = 23
TLS_ALERT = 21


class Tracker:
    """Follows one direction of the stream to find phase boundaries."""

    def __init__(self):
        self.total = 0
        self.tls = None          # decided from the first byte of the client stream
        self.rec_buf = b""       # partial TLS record header bytes
        self.rec_left = 0        # bytes left in the current TLS record body
        self.rec_type = None
        self.records = []        # (type, start_offset, end_offset) of completed/started records
        self.app_records = 0
        self.app_bytes = 0
        # plain HTTP
        self.head = b""
        self.head_end = None     # offset just after CRLF CRLF
        self.content_length = None

    def feed(self, data):
        start = self.total
        self.total += len(data)
        if self.tls:
            self._feed_tls(data, start)
        elif self.tls is False:
            self._feed_http(data)

    def _feed_tls(self, data, start):
        i = 0
        while i < len(data):
            if self.rec_left == 0:
                need = 5 - len(self.rec_buf)
                take = data[i:i + need]
                self.rec_buf += take
                i += len(take)
                if len(self.rec_buf) == 5:
                    ctype = self.rec_buf[0]
                    length = struct.unpack("!H", self.rec_buf[3:5])[0]
                    rec_start = start + i - 5
                    self.records.append([ctype, rec_start, rec_start + 5 + length])
                    if ctype == TLS_APPDATA:
                        self.app_records += 1
                        self.app_bytes += 5 + length
                    self.rec_left = length
                    self.rec_buf = b""
            else:
                take = min(self.rec_left, len(data) - i)
                self.rec_left -= take
                i += take

    def _feed_http(self, data):
        if self.head_end is not None:
            return
        self.head += data
        k = self.head.find(b"\r\n\r\n")
        if k >= 0:
            self.head_end = k + 4
            for line in self.head[:k].decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    try:
                        self.content_length = int(value.strip())
                    except ValueError:
                        pass
            self.head = b""
        elif len(self.head) > 65536:
            self.head = self.head[-4:]

    def app_record(self, n):
        """(start, end) of the n-th application-data record (1-based), if its header is seen."""
        k = 0
        for ctype, s, e in self.records:
            if ctype == TLS_APPDATA:
                k += 1
                if k == n:
                    return s, e
        return None


def probe(tr, data):
    """A copy of tracker `tr` that has also seen `data` (to look ahead inside a chunk)."""
    t = Tracker()
    t.__dict__.update(tr.__dict__)
    t.records = [list(r) for r in tr.records]
    t.feed(data)
    return t


class Conn:
    def __init__(self, args, num, client, log):
        self.a = args
        self.num = num
        self.client = client
        self.log = log
        self.server = None
        self.faulted = args.fault_conn is None or num in args.fault_conn
        self.c2s = Tracker()
        self.s2c = Tracker()
        self.end = None
        self.fault_desc = None
        self.t0 = time.monotonic()
        self.first_s2c_sent = False
        self.stalled = False
        self.held = b""          # server bytes held back (TLS mid-body on a single record)
        self.effects = []        # non-cut faults applied (delay, stall, drip)

    # --- where to cut ------------------------------------------------------------------------
    def cut_point(self, direction, pr):
        """Absolute offset in `direction` at which to cut, given the look-ahead tracker `pr`
        (forwarded bytes + the bytes at hand), or None."""
        a = self.a
        tls = self.c2s.tls
        points = []
        if direction == "s2c" and a.cut_s2c is not None:
            points.append((a.cut_s2c, f"cut-s2c@{a.cut_s2c}"))
        if direction == "c2s" and a.cut_c2s is not None:
            points.append((a.cut_c2s, f"cut-c2s@{a.cut_c2s}"))
        p = a.phase
        at = None
        if p == "handshake" and tls and direction == "s2c":
            at = pr.total                      # the server's first flight, as far as it came
        elif p == "request-head" and direction == "c2s":
            if tls:
                r = pr.app_record(1)
                at = r[1] if r and r[1] <= pr.total else None
            else:
                at = pr.head_end
        elif p == "request" and direction == "s2c":
            if tls:
                r = pr.app_record(1)
                at = r[0] if r else None
            else:
                at = 0
        elif p == "response-head" and direction == "s2c":
            if tls:
                r = pr.app_record(1)
                at = r[1] if r and r[1] <= pr.total else None
            else:
                at = pr.head_end
        elif p == "mid-body" and direction == "s2c":
            if tls:
                r = pr.app_record(2)
                at = r[0] + (r[1] - r[0]) // 2 if r else None
            elif pr.head_end is not None:
                body = pr.content_length
                if body is None:
                    body = max(2, pr.total - pr.head_end)
                at = pr.head_end + body // 2
        elif p == "after-response" and direction == "s2c":
            if not tls:
                if pr.head_end is not None and pr.content_length is not None:
                    at = pr.head_end + pr.content_length
            elif pr.app_records >= 1:
                # The first alert record after the response (libest: close_notify).
                seen_app = False
                for ctype, start, _ in pr.records:
                    if ctype == TLS_APPDATA:
                        seen_app = True
                    elif seen_app and ctype == TLS_ALERT:
                        at = start
                        break
        if at is not None:
            points.append((at, f"phase:{p}"))
        if not points:
            return None
        return min(points)

    # --- main loop ---------------------------------------------------------------------------
    def run(self):
        a = self.a
        try:
            if self.faulted and a.phase == "connect":
                self.fault_desc = "phase:connect"
                self.cut()
                return
            try:
                self.server = socket.create_connection(a.target, timeout=10)
            except OSError as e:
                self.end = f"error:connect:{e}"
                self.close_all()
                return
            self.server.settimeout(None)
            for s in (self.client, self.server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.loop()
        except Exception as e:  # noqa: BLE001 - a failure ends this connection only
            self.end = f"error:{type(e).__name__}:{e}"
            self.close_all()
        finally:
            self.report()

    def quiet_phase(self):
        a = self.a
        return (self.faulted and self.c2s.tls and a.phase in ("after-response", "mid-body")
                and (self.s2c.app_records >= 1 or self.held))

    def loop(self):
        a = self.a
        socks = [self.client, self.server]
        while True:
            timeout = a.quiet_ms / 1000.0 if self.quiet_phase() else None
            r, _, _ = select.select(socks, [], [], timeout)
            if not r:
                if self.quiet_phase():
                    # TLS: the server went quiet. after-response: cut now (before any
                    # close_notify). mid-body with one record only: the held-back second
                    # half of that record is never sent.
                    if a.phase == "mid-body" and not self.held:
                        continue
                    self.fault_desc = ("phase:mid-body(single record)" if self.held
                                       else f"phase:{a.phase}")
                    self.cut()
                    return
                continue
            for s in r:
                try:
                    data = s.recv(65536)
                except OSError as e:
                    self.end = f"error:recv:{e}"
                    self.close_all()
                    return
                direction = "c2s" if s is self.client else "s2c"
                if not data:
                    if direction == "s2c" and self.held:
                        # The server is done; the held-back half of its only record stays here.
                        self.fault_desc = "phase:mid-body(single record)"
                        self.cut()
                        return
                    self.end = "client-closed" if direction == "c2s" else "server-closed"
                    self.close_all()
                    return
                if direction == "c2s" and self.c2s.tls is None:
                    self.c2s.tls = data[0] == TLS_HANDSHAKE
                    self.s2c.tls = self.c2s.tls
                if not self.handle(direction, data):
                    return

    def handle(self, direction, data):
        """Forward `data` (with any fault); False when the connection is finished."""
        a = self.a
        tr = self.c2s if direction == "c2s" else self.s2c
        if direction == "s2c" and self.held:
            data = self.held + data
            self.held = b""
        if not self.faulted:
            return self.forward(direction, data)
        pr = probe(tr, data)
        cp = self.cut_point(direction, pr)
        if cp is not None and cp[0] <= pr.total:
            n = max(0, cp[0] - tr.total)
            self.fault_desc = cp[1]
            if not self.forward(direction, data[:n]):
                return False
            self.cut()
            return False
        if (direction == "s2c" and a.phase == "mid-body" and self.c2s.tls):
            r1 = pr.app_record(1)
            if r1 and r1[1] <= pr.total and pr.app_record(2) is None:
                # The first application-data record is complete and no second one yet:
                # forward up to its middle and hold the rest until a second record shows.
                mid = r1[0] + (r1[1] - r1[0]) // 2
                n = max(0, mid - tr.total)
                self.held = data[n:]
                return self.forward(direction, data[:n])
        return self.forward(direction, data)

    def forward(self, direction, data):
        a = self.a
        dst = self.server if direction == "c2s" else self.client
        tr = self.c2s if direction == "c2s" else self.s2c
        if not data:
            return True
        try:
            if direction == "s2c" and self.faulted:
                if a.delay_ms and not self.first_s2c_sent:
                    self.note(f"delay-ms={a.delay_ms}")
                    time.sleep(a.delay_ms / 1000.0)
                self.first_s2c_sent = True
                if a.stall_at is not None and not self.stalled and tr.total + len(data) > a.stall_at:
                    k = max(0, a.stall_at - tr.total)
                    self.note(f"stall@{a.stall_at}:{a.stall_ms}ms")
                    self._send(dst, tr, data[:k])
                    time.sleep(a.stall_ms / 1000.0)
                    self.stalled = True
                    data = data[k:]
                if a.drip:
                    self.note(f"drip={a.drip}")
                    for i in range(0, len(data), a.drip):
                        self._send(dst, tr, data[i:i + a.drip])
                        time.sleep(a.drip_ms / 1000.0)
                    return True
            self._send(dst, tr, data)
            return True
        except OSError as e:
            self.end = f"error:send:{e}"
            self.close_all()
            return False

    def note(self, what):
        if what not in self.effects:
            self.effects.append(what)

    @staticmethod
    def _send(dst, tr, data):
        if data:
            dst.sendall(data)
            tr.feed(data)

    def cut(self):
        mode = self.a.cut_mode
        self.end = "cut"
        if mode == "half":
            # Stop forwarding but keep both connections open: the peers see a stall.
            time.sleep(self.a.hang_ms / 1000.0)
            self.close_all()
            return
        for s in (self.client, self.server):
            if s is None:
                continue
            try:
                if mode == "reset":
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.close_all()

    def close_all(self):
        for s in (self.client, self.server):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass

    def report(self):
        self.log({
            "conn": self.num,
            "faulted": self.fault_desc is not None or bool(self.effects),
            "fault": ",".join(([self.fault_desc] if self.fault_desc else []) + self.effects) or None,
            "tls": bool(self.c2s.tls),
            "c2s": self.c2s.total,
            "s2c": self.s2c.total,
            "c2s_app_records": self.c2s.app_records,
            "s2c_app_records": self.s2c.app_records,
            "s2c_app_bytes": self.s2c.app_bytes,
            "ms": int((time.monotonic() - self.t0) * 1000),
            "end": self.end,
        })


def parse_hostport(s, default_host="127.0.0.1"):
    host, _, port = s.rpartition(":")
    return (host or default_host, int(port))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:]))
    p.add_argument("--listen", required=True, help="[HOST:]PORT (default host 127.0.0.1)")
    p.add_argument("--target", required=True, help="HOST:PORT")
    p.add_argument("--cut-s2c", type=int)
    p.add_argument("--cut-c2s", type=int)
    p.add_argument("--phase", choices=["connect", "handshake", "request-head", "request",
                                       "response-head", "mid-body", "after-response"])
    p.add_argument("--cut-mode", choices=["close", "reset", "half"], default="close")
    p.add_argument("--hang-ms", type=int, default=5000)
    p.add_argument("--quiet-ms", type=int, default=300)
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--stall-at", type=int)
    p.add_argument("--stall-ms", type=int, default=2000)
    p.add_argument("--drip", type=int, default=0)
    p.add_argument("--drip-ms", type=int, default=1)
    p.add_argument("--fault-conn", help="comma-separated connection numbers (1-based)")
    p.add_argument("--max-conns", type=int)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--idle-exit", type=float)
    p.add_argument("--log")
    p.add_argument("--port-file")
    a = p.parse_args()
    a.target = parse_hostport(a.target)
    a.fault_conn = None if not a.fault_conn else {int(x) for x in a.fault_conn.split(",")}
    if a.timeout <= 0:
        p.error("--timeout must be positive")

    lock = threading.Lock()
    logf = open(a.log, "a", encoding="utf-8") if a.log else None

    def log(rec):
        line = json.dumps(rec, sort_keys=True)
        with lock:
            if logf:
                logf.write(line + "\n")
                logf.flush()
            else:
                print(line, flush=True)

    host, port = parse_hostport(a.listen)
    ls = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(16)
    actual = ls.getsockname()[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{actual}\n")
        os.replace(tmp, a.port_file)
    print(f"faultproxy: listening on {host}:{actual} -> {a.target[0]}:{a.target[1]}",
          file=sys.stderr, flush=True)

    deadline = time.monotonic() + a.timeout
    accepted = 0
    finished = [0]
    active = []
    last_activity = [time.monotonic()]

    def worker(c):
        c.run()
        with lock:
            finished[0] += 1
            last_activity[0] = time.monotonic()

    while True:
        now = time.monotonic()
        if now >= deadline:
            print("faultproxy: time limit reached", file=sys.stderr)
            break
        with lock:
            done = finished[0]
            alive = [t for t in active if t.is_alive()]
        active[:] = alive
        if a.max_conns is not None and done >= a.max_conns:
            break
        if a.idle_exit is not None and not alive and now - last_activity[0] >= a.idle_exit:
            print("faultproxy: idle, exiting", file=sys.stderr)
            break
        if a.max_conns is not None and accepted >= a.max_conns:
            time.sleep(0.02)
            continue
        r, _, _ = select.select([ls], [], [], min(0.1, max(0.0, deadline - now)))
        if not r:
            continue
        try:
            cs, _ = ls.accept()
        except OSError:
            continue
        accepted += 1
        last_activity[0] = time.monotonic()
        c = Conn(a, accepted, cs, log)
        t = threading.Thread(target=worker, args=(c,), daemon=True)
        t.start()
        active.append(t)
    ls.close()
    # Give running connections a moment to report, then leave (daemon threads die with us).
    end = time.monotonic() + 1.0
    for t in active:
        t.join(max(0.0, end - time.monotonic()))
    if logf:
        logf.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
