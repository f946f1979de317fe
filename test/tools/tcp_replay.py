#!/usr/bin/env python3
"""Record a TCP session through a proxy, then play the server's side of it back.

  tcp_replay.py record --listen 127.0.0.1:8443 --target 127.0.0.1:8444 --out session.json
  tcp_replay.py replay --listen 127.0.0.1:8443 --session session.json [--sync FILE]

record: a transparent proxy. Every connection's bytes are kept in the order the proxy saw
them, as alternating client ("c") and server ("s") turns plus the end of each direction
(JSON, base64). When one side ends its direction, the proxy ends that direction towards the
other side and keeps reading the rest, as the replay does. On SIGTERM or SIGINT it waits a
moment for open connections, writes --out and exits (status 1 when nothing was recorded).

replay: a server for a client that repeats itself byte for byte (the bench firmware in its
fixed-input mode, examples/qemu-enroll/bench_fixed.c). Connection k is answered as recorded
connection k: each client turn is read and compared with the recording, and only then is the
following server turn sent, in one write, with the server's end of the stream right behind
it when the server closed there. The first byte that differs ends the replay with status 1
and a message naming the connection and the offset in the client's stream, so a replay that
completes was the same exchange as the recording. Two things keep the client's view of the
timing the same in every replay:
  --sync FILE     the client appends "W" to FILE when it sleeps waiting for the network and
                  "R" when it runs again; a server turn goes out only once the client has
                  slept for --turn-delay-ms in one go, so it never arrives while the client
                  works (without --sync: a plain pause of --turn-delay-ms before each turn)
  tails           what the server sent after the client had closed a connection (libest's
                  close_notify and FIN) is held back and sent just before the next server
                  turn on a later connection, or at the end
Exit 0 once every recorded connection has been played.

  --report FILE      one JSON object: {"ok": true|false, "connections": N, "error": "..."}
  --ready-file F     written once the socket listens
  --turn-delay-ms M  see --sync (default 10)
  --timeout T        give up after T seconds in total (default 600), and after --idle T
                     seconds (default 60) without a byte from the client
"""
import argparse
import base64
import json
import os
import select
import signal
import socket
import sys
import threading
import time

CHUNK = 65536


def hostport(s):
    host, _, port = s.rpartition(":")
    return (host or "127.0.0.1", int(port))


def listen(addr, ready_file):
    ls = socket.socket(socket.AF_INET6 if ":" in addr[0] else socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(addr)
    ls.listen(8)
    if ready_file:
        tmp = ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % ls.getsockname()[1])
        os.replace(tmp, ready_file)
    return ls


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


# ---- record ---------------------------------------------------------------------------------

class Recording:
    def __init__(self):
        self.lock = threading.Lock()
        self.conns = []          # per connection: list of [kind, bytes] / [kind]
        self.open = 0

    def new_conn(self):
        with self.lock:
            self.conns.append([])
            self.open += 1
            return len(self.conns) - 1

    def add(self, k, kind, data=b""):
        with self.lock:
            ev = self.conns[k]
            if data and ev and ev[-1][0] == kind:
                ev[-1][1] += data          # one turn: the same direction without a break
            elif data:
                ev.append([kind, bytearray(data)])
            else:
                ev.append([kind])

    def done(self):
        with self.lock:
            self.open -= 1

    def to_json(self):
        with self.lock:
            out = []
            for ev in self.conns:
                out.append([[e[0], base64.b64encode(bytes(e[1])).decode()] if len(e) > 1
                            else [e[0]] for e in ev])
            return {"format": "pkiot-tcp-replay-1", "connections": out}


def proxy_conn(rec, k, client, target):
    try:
        server = socket.create_connection(target, timeout=10)
    except OSError as e:
        print("tcp_replay: connection %d: cannot reach %s:%d: %s"
              % (k + 1, target[0], target[1], e), file=sys.stderr)
        client.close()
        rec.add(k, "error")
        rec.done()
        return
    server.settimeout(None)
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reading = {client: "c", server: "s"}
    other = {client: server, server: client}
    dead = set()                      # sockets that failed on write (the peer is gone)
    while reading:
        r, _, _ = select.select(list(reading), [], [])
        for s in r:
            kind = reading[s]
            try:
                data = s.recv(CHUNK)
            except OSError:
                data = b""            # a reset ends this direction like a close
            if not data:
                rec.add(k, kind + "_eof")
                del reading[s]
                try:
                    other[s].shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            rec.add(k, kind, data)
            if other[s] not in dead:
                try:
                    other[s].sendall(data)
                except OSError:
                    dead.add(other[s])
    client.close()
    server.close()
    rec.done()


def cmd_record(a):
    rec = Recording()
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ls = listen(hostport(a.listen), a.ready_file)
    target = hostport(a.target)
    deadline = time.monotonic() + a.timeout
    while not stop.is_set() and time.monotonic() < deadline:
        r, _, _ = select.select([ls], [], [], 0.1)
        if r:
            cs, _ = ls.accept()
            k = rec.new_conn()
            threading.Thread(target=proxy_conn, args=(rec, k, cs, target), daemon=True).start()
    ls.close()
    end = time.monotonic() + 3.0
    while rec.open > 0 and time.monotonic() < end:
        time.sleep(0.02)
    j = rec.to_json()
    write_json(a.out, j)
    n = sum(len(c) for c in j["connections"])
    print("tcp_replay: recorded %d connection(s), %d turn(s) -> %s%s" %
          (len(j["connections"]), n, a.out,
           " (%d still open)" % rec.open if rec.open else ""), file=sys.stderr)
    return 0 if rec.open == 0 and j["connections"] else 1


# ---- replay ---------------------------------------------------------------------------------

class Mismatch(Exception):
    pass


def hexdump(b):
    return " ".join("%02x" % x for x in b)


class SyncFile:
    """Follows the client's --sync file: it appends "W" when it starts to wait for the
    network and "R" when it runs again."""

    def __init__(self, path):
        self.path = path
        self.cond = threading.Condition()
        self.waiting = False
        self.waits = 0
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self):
        pos = 0
        while True:
            try:
                with open(self.path, "rb") as f:
                    f.seek(pos)
                    data = f.read()
            except OSError:
                data = b""
            if data:
                pos += len(data)
                with self.cond:
                    self.waiting = data.endswith(b"W")
                    self.waits += data.count(b"W")
                    self.cond.notify_all()
            time.sleep(0.0005)

    def wait_for_client(self, timeout, settle):
        """True once the client has been waiting for `settle` seconds in one go, False after
        timeout. The pause makes sure the wait is the one for this answer: the client may
        still wake meanwhile for a frame of its own network."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                if not self.cond.wait_for(lambda: self.waiting, max(0.0, end - time.monotonic())):
                    return False
                n = self.waits
                self.cond.wait_for(lambda: not self.waiting or self.waits != n, settle)
                if self.waiting and self.waits == n:
                    return True


class Replay:
    """Plays the server's side of every recorded connection (one thread each)."""

    def __init__(self, a):
        self.idle = a.idle
        self.delay = a.turn_delay_ms / 1000.0
        self.sync = SyncFile(a.sync) if a.sync else None
        self.lock = threading.Lock()
        self.send_lock = threading.Lock()
        self.tails = []               # [(conn_no, sock, bytes, eof)] held back, see play()
        self.errors = []

    def flush_tails(self):
        """Sends the held-back ends of earlier connections; True when there were any."""
        with self.lock:
            tails, self.tails = self.tails, []
        for conn_no, sock, out, eof in tails:
            try:
                if out:
                    sock.sendall(out)
                if eof:
                    sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass                  # the client reset the connection; nothing arrives
            sock.close()
        return bool(tails)

    def send_turn(self, conn_no, sock, out, eof, c_off):
        with self.send_lock:
            # With --sync, only while the client waits for the network: an answer that came
            # while it works would land at a host-timed point of its execution.
            if self.sync and not self.sync.wait_for_client(self.idle, self.delay):
                raise Mismatch("connection %d: the client did not wait for the server's turn "
                               "after client byte %d" % (conn_no, c_off))
            # Without it, a pause gives the client time to get there.
            if self.delay > 0 and not self.sync:
                time.sleep(self.delay)
            if self.flush_tails() and self.delay > 0:
                time.sleep(self.delay)    # the ends of old connections arrive first, apart
            try:
                if out:
                    sock.sendall(out)
                if eof:
                    sock.shutdown(socket.SHUT_WR)
            except OSError as e:
                raise Mismatch("connection %d: sending the server's turn after client byte %d: "
                               "%s" % (conn_no, c_off, e))

    def play(self, conn_no, sock, events):
        """Answers one connection as recorded; raises Mismatch on the first difference.
        @return True when the socket was handed to the held-back tails."""
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.idle)
        c_off = 0                     # offset in the client's byte stream
        client_closed = False
        i = 0
        while i < len(events):
            kind = events[i][0]
            if kind == "c":
                want = base64.b64decode(events[i][1])
                got = 0
                while got < len(want):
                    try:
                        data = sock.recv(min(CHUNK, len(want) - got))
                    except socket.timeout:
                        raise Mismatch("connection %d: client silent for %gs at client byte %d "
                                       "(%d bytes of the recorded turn still expected)"
                                       % (conn_no, self.idle, c_off, len(want) - got))
                    except OSError as e:
                        raise Mismatch("connection %d: client byte %d: %s" % (conn_no, c_off, e))
                    if not data:
                        raise Mismatch("connection %d: client closed at client byte %d; the "
                                       "recording has %d more in this turn"
                                       % (conn_no, c_off, len(want) - got))
                    exp = want[got:got + len(data)]
                    if data != exp:
                        d = next(j for j in range(len(data)) if data[j] != exp[j])
                        raise Mismatch("connection %d: client byte %d differs from the "
                                       "recording: got %s, recorded %s"
                                       % (conn_no, c_off + d, hexdump(data[d:d + 8]),
                                          hexdump(exp[d:d + 8])))
                    got += len(data)
                    c_off += len(data)
                i += 1
            elif kind == "c_eof":
                try:
                    data = sock.recv(CHUNK)
                except socket.timeout:
                    raise Mismatch("connection %d: the client did not close after %d bytes"
                                   % (conn_no, c_off))
                except OSError:
                    data = b""        # a reset is a close too
                if data:
                    raise Mismatch("connection %d: client byte %d: %d byte(s) more than "
                                   "recorded: %s" % (conn_no, c_off, len(data), hexdump(data[:8])))
                client_closed = True
                i += 1
            elif kind in ("s", "s_eof"):
                # Every server turn up to the next client event goes out in one write, so the
                # client's network receives it as one burst.
                out = bytearray()
                eof = False
                while i < len(events) and events[i][0] in ("s", "s_eof"):
                    if events[i][0] == "s":
                        out += base64.b64decode(events[i][1])
                    else:
                        eof = True
                    i += 1
                if client_closed and i == len(events):
                    # What the server sent after the client had closed (libest's close_notify
                    # and FIN) reaches the client while it does other work, at a host-timed
                    # moment. Held back, it goes out just before the next server turn on a
                    # later connection, when the client waits, or at the end.
                    with self.lock:
                        self.tails.append((conn_no, sock, bytes(out), eof))
                    return True
                self.send_turn(conn_no, sock, bytes(out), eof, c_off)
            else:
                raise Mismatch("connection %d: the recording failed here (%s)" % (conn_no, kind))
        return False


def cmd_replay(a):
    with open(a.session) as f:
        sess = json.load(f)
    conns = sess.get("connections") or []
    ls = listen(hostport(a.listen), a.ready_file)
    deadline = time.monotonic() + a.timeout
    result = {"ok": False, "connections": 0, "recorded": len(conns), "error": None}
    rp = Replay(a)

    # Connections may overlap (a client opens the next one before the last has ended), so
    # each is played in its own thread; the accept order numbers them, as when recording.
    def worker(k, cs, events):
        held = False
        try:
            held = rp.play(k, cs, events)
        except Mismatch as e:
            with rp.lock:
                rp.errors.append((k, str(e)))
        finally:
            if not held:
                cs.close()

    def first_error():
        with rp.lock:
            return min(rp.errors)[1] if rp.errors else None

    threads = []
    try:
        for k, events in enumerate(conns, 1):
            while True:
                err = first_error()
                if err:
                    raise Mismatch(err)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Mismatch("no connection %d of %d within the time limit" % (k, len(conns)))
                r, _, _ = select.select([ls], [], [], min(0.1, left))
                if r:
                    break
            cs, _ = ls.accept()
            t = threading.Thread(target=worker, args=(k, cs, events), daemon=True)
            t.start()
            threads.append(t)
            result["connections"] = k
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        err = first_error()
        if err:
            raise Mismatch(err)
        if any(t.is_alive() for t in threads):
            raise Mismatch("the time limit ran out inside a connection")
        rp.flush_tails()
        # A client that wants more than the recording had is not the recorded exchange.
        r, _, _ = select.select([ls], [], [], a.extra_wait)
        if r:
            cs, _ = ls.accept()
            cs.close()
            raise Mismatch("connection %d: the recording has only %d"
                           % (len(conns) + 1, len(conns)))
        result["ok"] = True
    except Mismatch as e:
        result["error"] = str(e)
        print("tcp_replay: REPLAY MISMATCH: %s" % e, file=sys.stderr)
    finally:
        rp.flush_tails()
        ls.close()
        if a.report:
            write_json(a.report, result)
    return 0 if result["ok"] else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--listen", required=True)
    r.add_argument("--target", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--ready-file")
    r.add_argument("--timeout", type=float, default=600.0)
    p = sub.add_parser("replay")
    p.add_argument("--listen", required=True)
    p.add_argument("--session", required=True)
    p.add_argument("--report")
    p.add_argument("--ready-file")
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--idle", type=float, default=60.0)
    p.add_argument("--turn-delay-ms", type=float, default=10.0,
                   help="pause before each server turn (default 10)")
    p.add_argument("--sync", help="file the client appends W (waits) and R (runs) to")
    p.add_argument("--extra-wait", type=float, default=0.0,
                   help="after the last connection, seconds to watch for one more")
    a = ap.parse_args()
    return cmd_record(a) if a.cmd == "record" else cmd_replay(a)


if __name__ == "__main__":
    sys.exit(main())
