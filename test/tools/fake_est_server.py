#!/usr/bin/env python3
"""A small EST server (RFC 7030) for the cases a real server will not produce.

It issues real certificates: CSRs are signed with `openssl x509 -req` by the CA of a test PKI
made by test/interop/est_env.sh (`est_env_ca DIR`), and it serves TLS with that PKI's server
certificate. A scenario then breaks the answer in one chosen way.

  fake_est_server.py --pki DIR --port 8443 --scenario NAME [--on OPS] [limits] [options]

Scenarios (the fault applies to the operations in --on, default: every operation; the
others get a correct answer):
  ok                 correct responses (baseline)
  bad-base64         200 with a body that is not base64
  truncated          Content-Length larger than what is sent, then close
  no-content-length  correct body, no Content-Length, end marked by close (HTTP/1.0 style)
  wrong-content-type correct body with Content-Type: text/html
  oversize           200, well-formed base64 of --size bytes (default 1 MiB)
  http-500           500 with a text/plain body
  http-400           400 with a text/plain body
  http-403           403 with a text/plain body
  http-404           404 with a text/plain body
  retry-date         202 + Retry-After as an HTTP-date (now + --retry-after s), --retry-count
                     times per operation, then the correct answer
  retry-delta        the same with Retry-After: <delta-seconds>
  retry-forever      202 + Retry-After: delta, never succeeds
  retry-no-header    202 without Retry-After
  http-429           429 Too Many Requests + Retry-After: <--retry-after>, --retry-count
                     times per operation, then the correct answer
  http-429-no-header the same without Retry-After
  chunked            correct body in Transfer-Encoding: chunked (--chunk-size, default 100)
  lf-base64          correct body, base64 lines of 64 ending in LF (libest's style)
  crlf-base64        correct body, base64 lines of 64 ending in CRLF
  nowrap-base64      correct body, base64 on one line without any line break
  auth-401           401 + WWW-Authenticate: Basic until the request carries --user
                     credentials (or a client certificate from the PKI), then the answer
  garbage            bytes that are not HTTP, then close
  close              read the request, close without answering
  hang               read the request, never answer (until --hang-s, default 60)
  slow               correct answer, sent --drip bytes at a time every --drip-ms
  empty-200          200 with Content-Length: 0
  wrong-cert         correct CMS, but the certificate is for another public key
  foreign-chain      correct CMS, certificate issued by a CA outside the trust anchor
                     (for cacerts: the foreign root instead of the real one)
  cacerts-mixed      cacerts: the real CA certificates plus the foreign root
  idle-close         correct answers, but each connection is closed after one answer
                     without "Connection: close", as an idle timeout closes a kept-alive
                     connection: the client's next request on it meets a closed socket
  pem-body           200 whose body is PEM text instead of base64 DER
  keygen-pkcs1       serverkeygen: key part as PKCS#1 RSAPrivateKey labelled pkcs8 (libest)
  keygen-bad-length  serverkeygen: libest's framing, Content-Length counts only the two
                     base64 payloads
Operations: cacerts, simpleenroll, simplereenroll, csrattrs, serverkeygen
(/.well-known/est[/LABEL]/OP; any label is accepted).

Limits (it always stops by itself): --timeout T seconds (default 120), --max-requests M.
Output: one JSON line per request on stdout (or --log FILE):
  {"n":1,"op":"simpleenroll","status":200,"scenario":"ok","auth":"basic:estuser",...}
--port-file FILE gets the listening port (with --port 0). --plain serves HTTP without TLS.
"""
import argparse
import base64
import email.utils
import json
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OPS = ("cacerts", "simpleenroll", "simplereenroll", "csrattrs", "serverkeygen")
PATH_RE = re.compile(r"^/\.well-known/est(?:/([^/]+))?/([a-z]+)/?$")
# CsrAttrs: challengePassword, ecPublicKey with {secp256r1}, ecdsa-with-SHA256, and an
# extensionRequest attribute naming subjectAltName (the RFC 7030 section 4.5.2 shapes).
DEFAULT_CSRATTRS = bytes.fromhex(
    "3040"
    "06092a864886f70d010907"
    "3015" "06072a8648ce3d0201" "310a" "06082a8648ce3d030107"
    "06082a8648ce3d040302"
    "3012" "06092a864886f70d01090e" "3105" "0603551d11"
)


def b64_lines(data, style):
    raw = base64.b64encode(data)
    if style == "nowrap":
        return raw
    eol = b"\r\n" if style == "crlf" else b"\n"
    return b"".join(raw[i:i + 64] + eol for i in range(0, len(raw), 64))


class CA:
    """Certificate issuing with the openssl command line, from an est_env_ca PKI folder."""

    def __init__(self, pki, work):
        self.pki = pki
        self.work = work
        self.lock = threading.Lock()
        with open(os.path.join(work, "ext.cnf"), "w") as f:
            f.write("[ device ]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\n"
                    "authorityKeyIdentifier=keyid\n")

    def p(self, name):
        return os.path.join(self.pki, name)

    def run(self, args, data=None):
        r = subprocess.run(["openssl"] + args, input=data, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"openssl {' '.join(args)}: {r.stderr.decode(errors='replace')}")
        return r.stdout

    def tmp(self, suffix):
        fd, path = tempfile.mkstemp(dir=self.work, suffix=suffix)
        os.close(fd)
        return path

    def certs_only(self, pem_files):
        args = ["crl2pkcs7", "-nocrl", "-outform", "DER"]
        for f in pem_files:
            args += ["-certfile", f]
        return self.run(args)

    def cacerts(self, foreign=False, mixed=False):
        if mixed:
            return self.certs_only([self.p("cacerts.pem"), self.p("foreign-root.crt")])
        return self.certs_only([self.p("foreign-root.crt") if foreign else self.p("cacerts.pem")])

    def sign(self, csr_der, foreign=False, other_key=False):
        """Issue a certificate for the CSR; returns the PEM certificate file path."""
        with self.lock:
            csr = self.tmp(".csr")
            with open(csr, "wb") as f:
                f.write(csr_der)
            # Reject what is not a CSR with a valid self-signature.
            self.run(["req", "-inform", "DER", "-in", csr, "-verify", "-noout"])
            crt = self.tmp(".crt")
            ca, key = ("foreign-root.crt", "foreign-root.key") if foreign else ("ca.crt", "ca.key")
            args = ["x509", "-req", "-inform", "DER", "-in", csr, "-CA", self.p(ca),
                    "-CAkey", self.p(key), "-set_serial", "0x" + secrets.token_hex(8),
                    "-days", "365", "-sha256", "-copy_extensions", "copy",
                    "-extfile", os.path.join(self.work, "ext.cnf"), "-extensions", "device",
                    "-out", crt]
            if other_key:
                pub = self.tmp(".pub")
                k = self.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
                with open(pub, "wb") as f:
                    f.write(self.run(["pkey", "-pubout"], k))
                args += ["-force_pubkey", pub]
            self.run(args)
            return crt

    def keygen(self, kind):
        """A fresh private key (DER): kind pkcs8-ec | pkcs1-rsa."""
        if kind == "pkcs1-rsa":
            pem = self.run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
            return self.run(["rsa", "-outform", "DER", "-traditional"], pem)
        pem = self.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
        return self.run(["pkcs8", "-topk8", "-nocrypt", "-outform", "DER"], pem)

    def csr_for_key(self, key_der, subject):
        with self.lock:
            kf = self.tmp(".key")
            with open(kf, "wb") as f:
                f.write(key_der)
            return self.run(["req", "-new", "-key", kf, "-keyform", "DER", "-subj", subject,
                             "-outform", "DER"])

    def csr_subject(self, csr_der):
        out = self.run(["req", "-inform", "DER", "-noout", "-subject", "-nameopt", "compat"], csr_der)
        s = out.decode().strip()
        s = s.split("=", 1)[1] if s.startswith("subject=") else s
        return s if s.startswith("/") else "/CN=pkiot-device"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.count = 0
        self.per_op = {}
        self.logf = open(args.log, "a", encoding="utf-8") if args.log else None

    def next(self, op):
        with self.lock:
            self.count += 1
            self.per_op[op] = self.per_op.get(op, 0) + 1
            return self.count, self.per_op[op]

    def log(self, rec):
        line = json.dumps(rec, sort_keys=True)
        with self.lock:
            if self.logf:
                self.logf.write(line + "\n")
                self.logf.flush()
            else:
                print(line, flush=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pkiot-fake-est"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet; the JSON log is the record
        pass

    # --- plumbing ----------------------------------------------------------------------------
    def setup(self):
        super().setup()
        self.connection.settimeout(30)
        self.peer_cn = None
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.server.state.log({"event": "tls-handshake-failed", "error": str(e)})
                self.close_connection = True
                raise ConnectionAbortedError from e
            cert = self.connection.getpeercert()
            if cert:
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            self.peer_cn = v

    def handle(self):
        self.abrupt = False
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            self.abrupt = True

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        # A well-behaved TLS server ends with close_notify; the broken scenarios just drop
        # the connection.
        if isinstance(self.connection, ssl.SSLSocket) and not getattr(self, "abrupt", True):
            try:
                self.connection.settimeout(0)
                self.connection.unwrap()
            except (ssl.SSLError, OSError, ValueError):
                pass

    def send_raw(self, data, close=True):
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            pass
        if close:
            self.close_connection = True

    def respond(self, status, headers, body, close=False, reason=None):
        reason = reason or self.responses.get(status, ("",))[0]
        head = [f"HTTP/1.1 {status} {reason}"]
        for k, v in headers:
            head.append(f"{k}: {v}")
        if close:
            head.append("Connection: close")
        # Head and body go out in two writes (two TLS records), as libest sends them.
        self.send_raw(("\r\n".join(head) + "\r\n\r\n").encode(), close=False)
        if body:
            self.send_raw(body, close=False)
        if close:
            self.close_connection = True

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 1 << 20:
            return None
        return self.rfile.read(n) if n else b""

    # --- request handling --------------------------------------------------------------------
    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        st = self.server.state
        a = st.args
        m = PATH_RE.match(self.path.split("?", 1)[0])
        op = m.group(2) if m else None
        label = m.group(1) if m else None
        body = self.read_body() if method == "POST" else b""
        n, k = st.next(op or "?")
        rec = {"n": n, "op": op, "label": label, "method": method, "scenario": a.scenario,
               "auth": self.auth_desc(), "peer_cn": self.peer_cn}
        try:
            status = self.serve(method, op, body, k, rec)
        except Exception as e:  # noqa: BLE001 - report it as a 500 and keep serving
            status = 500
            rec["error"] = str(e)[:300]
            self.respond(500, [("Content-Type", "text/plain")], b"internal error\n", close=True)
        rec["status"] = status
        st.log(rec)
        if a.max_requests and n >= a.max_requests:
            self.close_connection = True
            threading.Thread(target=self.server.stop_soon, daemon=True).start()

    def auth_desc(self):
        h = self.headers.get("Authorization")
        if h and h.lower().startswith("basic "):
            try:
                user = base64.b64decode(h[6:].strip()).decode("latin-1").split(":", 1)[0]
            except ValueError:
                user = "?"
            return f"basic:{user}"
        if self.peer_cn:
            return f"cert:{self.peer_cn}"
        return None

    def authorized(self):
        a = self.server.state.args
        if self.peer_cn:
            return True
        h = self.headers.get("Authorization") or ""
        if h.lower().startswith("basic "):
            try:
                return base64.b64decode(h[6:].strip()).decode("latin-1") == a.user
            except ValueError:
                return False
        return False

    def serve(self, method, op, body, k, rec):
        st = self.server.state
        a = st.args
        ca = self.server.ca
        sc = a.scenario if (op in a.on) else "ok"

        if op not in OPS:
            self.respond(404, [("Content-Type", "text/plain"), ("Content-Length", "10")], b"not found\n")
            return 404
        want = "GET" if op in ("cacerts", "csrattrs") else "POST"
        if method != want:
            self.respond(405, [("Content-Type", "text/plain"), ("Content-Length", "19")],
                         b"method not allowed\n")
            return 405

        # Faults that do not need a real answer.
        if sc == "garbage":
            self.abrupt = True
            self.send_raw(b"\x16\x03\x01garbage that is not HTTP\r\n\x00\xff" * 8)
            return 0
        if sc == "close":
            self.abrupt = True
            self.close_connection = True
            return 0
        if sc == "hang":
            self.abrupt = True
            time.sleep(a.hang_s)
            self.close_connection = True
            return 0
        if sc in ("http-500", "http-400", "http-403", "http-404"):
            code = int(sc[5:])
            text = f"{code} {self.responses[code][0]}: simulated failure for {op}\n".encode()
            self.respond(code, [("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(text)))], text)
            return code
        if sc == "auth-401" and not self.authorized():
            self.respond(401, [("WWW-Authenticate", f'Basic realm="{a.realm}"'),
                               ("Content-Type", "text/plain"), ("Content-Length", "13")],
                         b"unauthorized\n")
            return 401
        if sc in ("retry-date", "retry-delta", "retry-forever", "retry-no-header") and \
                (sc == "retry-forever" or k <= a.retry_count):
            hdrs = [("Content-Length", "0")]
            if sc == "retry-date":
                hdrs.append(("Retry-After", email.utils.formatdate(time.time() + a.retry_after,
                                                                   usegmt=True)))
            elif sc != "retry-no-header":
                hdrs.append(("Retry-After", str(a.retry_after)))
            self.respond(202, hdrs, b"")
            return 202
        if sc in ("http-429", "http-429-no-header") and k <= a.retry_count:
            text = f"429 Too Many Requests: simulated rate limit for {op}\n".encode()
            hdrs = [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))]
            if sc == "http-429":
                hdrs.append(("Retry-After", str(a.retry_after)))
            self.respond(429, hdrs, text)
            return 429

        # A real answer.
        ctype, payload, parts = self.answer(op, body, sc, ca)
        if payload is None:
            text = b"bad request\n"
            self.respond(400, [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))], text)
            return 400
        style = {"crlf-base64": "crlf", "nowrap-base64": "nowrap"}.get(sc, a.b64)
        if parts is not None:
            enc_parts = [(pt, b64_lines(pd, style)) for pt, pd in parts]
            body_out = self.multipart(enc_parts, libest=(sc == "keygen-bad-length"))
            content_len = len(body_out)
            if sc == "keygen-bad-length":
                content_len = sum(len(p) for _, p in enc_parts)
        else:
            body_out = b64_lines(payload, style)
            content_len = len(body_out)
        if sc == "bad-base64":
            body_out = b"MIIB*this is not base64!\n@@@@\n"
            content_len = len(body_out)
        elif sc == "oversize":
            body_out = b64_lines(os.urandom(a.size * 3 // 4 + 3), "lf")[:a.size]
            content_len = len(body_out)
        elif sc == "empty-200":
            body_out = b""
            content_len = 0
        elif sc == "pem-body" and parts is None:
            body_out = (b"-----BEGIN PKCS7-----\n" + b64_lines(payload, "lf") + b"-----END PKCS7-----\n")
            content_len = len(body_out)
        if sc == "wrong-content-type":
            ctype = "text/html"
        headers = [("Content-Type", ctype)]
        if parts is None and sc not in ("empty-200",):
            headers.append(("Content-Transfer-Encoding", "base64"))

        if sc == "truncated":
            self.abrupt = True
            cut = max(1, len(body_out) // 2)
            self.respond(200, headers + [("Content-Length", str(len(body_out)))], body_out[:cut],
                         close=True)
            return 200
        if sc == "no-content-length":
            head = "HTTP/1.0 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
            self.send_raw(head.encode() + body_out, close=True)
            return 200
        if sc == "chunked":
            head = "HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + \
                   "Transfer-Encoding: chunked\r\n\r\n"
            out = head.encode()
            for i in range(0, len(body_out), a.chunk_size):
                c = body_out[i:i + a.chunk_size]
                out += f"{len(c):x}\r\n".encode() + c + b"\r\n"
            out += b"0\r\n\r\n"
            self.send_raw(out, close=False)
            return 200
        headers.append(("Content-Length", str(content_len)))
        if sc == "slow":
            head = ("HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode()
            data = head + body_out
            for i in range(0, len(data), a.drip):
                self.send_raw(data[i:i + a.drip], close=False)
                time.sleep(a.drip_ms / 1000.0)
            return 200
        self.respond(200, headers, body_out)
        if sc == "idle-close":
            # Not announced: the client learns it only when it uses the connection again.
            self.close_connection = True
        return 200

    @staticmethod
    def multipart(parts, libest=False):
        b = b"est-fake-boundary"
        out = b"\n" if libest else b""
        for ctype, data in parts:
            out += b"--" + b + b"\r\n" + f"Content-Type: {ctype}\r\n".encode() + \
                   b"Content-Transfer-Encoding: base64\r\n\r\n" + data + b"\r\n"
        return out + b"--" + b + b"--\r\n"

    def answer(self, op, body, sc, ca):
        """(Content-Type, DER payload, multipart parts or None); payload None = bad request."""
        a = self.server.state.args
        foreign = sc == "foreign-chain"
        if op == "cacerts":
            return "application/pkcs7-mime", ca.cacerts(foreign=foreign,
                                                        mixed=(sc == "cacerts-mixed")), None
        if op == "csrattrs":
            return "application/csrattrs", a.csrattrs, None
        try:
            csr = base64.b64decode(re.sub(rb"\s", b"", body), validate=True)
        except ValueError:
            return None, None, None
        if op == "serverkeygen":
            kind = "pkcs1-rsa" if sc in ("keygen-pkcs1", "keygen-bad-length") else "pkcs8-ec"
            key = ca.keygen(kind)
            try:
                subj = ca.csr_subject(csr)
            except RuntimeError:
                return None, None, None
            crt = ca.sign(ca.csr_for_key(key, subj), foreign=foreign, other_key=(sc == "wrong-cert"))
            p7 = ca.certs_only([crt])
            ctype = 'multipart/mixed; boundary=est-fake-boundary'
            return ctype, p7, [("application/pkcs8", key),
                               ("application/pkcs7-mime; smime-type=certs-only", p7)]
        try:
            crt = ca.sign(csr, foreign=foreign, other_key=(sc == "wrong-cert"))
        except RuntimeError:
            return None, None, None
        return "application/pkcs7-mime; smime-type=certs-only", ca.certs_only([crt]), None


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, tls_ctx):
        self.tls_ctx = tls_ctx
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls_ctx is not None:
            # The handshake runs in the handler thread, so one stuck client cannot stall accept.
            sock = self.tls_ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False,
                                            suppress_ragged_eofs=True)
        return sock, addr

    def handle_error(self, request, client_address):
        pass

    def stop_soon(self):
        time.sleep(0.2)
        self.shutdown()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:]))
    p.add_argument("--pki", required=True, help="folder made by est_env_ca")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--scenario", default="ok")
    p.add_argument("--on", default=",".join(OPS), help="comma-separated operations to fault")
    p.add_argument("--plain", action="store_true", help="HTTP without TLS")
    p.add_argument("--tls13", action="store_true",
                   help="allow TLS 1.3 (default: at most TLS 1.2 like libest, which keeps "
                        "faultproxy's record-based phases exact)")
    p.add_argument("--client-auth", choices=["none", "optional", "required"], default="optional")
    p.add_argument("--user", default="estuser:estpwd", help="user:password for auth-401")
    p.add_argument("--realm", default="estrealm")
    p.add_argument("--retry-after", type=int, default=2)
    p.add_argument("--retry-count", type=int, default=1)
    p.add_argument("--size", type=int, default=1 << 20)
    p.add_argument("--chunk-size", type=int, default=100)
    p.add_argument("--drip", type=int, default=16)
    p.add_argument("--drip-ms", type=int, default=20)
    p.add_argument("--hang-s", type=float, default=60)
    p.add_argument("--b64", choices=["lf", "crlf", "nowrap"], default="lf",
                   help="base64 line style of correct answers (default lf, as libest)")
    p.add_argument("--csrattrs", help="base64 DER CsrAttrs for /csrattrs")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--max-requests", type=int)
    p.add_argument("--log")
    p.add_argument("--port-file")
    a = p.parse_args()
    known = {"ok", "bad-base64", "truncated", "no-content-length", "wrong-content-type", "oversize",
             "http-500", "http-400", "http-403", "http-404", "retry-date", "retry-delta",
             "retry-forever", "retry-no-header", "chunked", "lf-base64", "crlf-base64",
             "nowrap-base64", "auth-401", "garbage", "close", "hang", "slow", "empty-200",
             "wrong-cert", "foreign-chain", "pem-body", "keygen-pkcs1", "keygen-bad-length",
             "http-429", "http-429-no-header", "idle-close", "cacerts-mixed"}
    if a.scenario not in known:
        p.error(f"unknown scenario {a.scenario}; one of: {', '.join(sorted(known))}")
    a.on = {x.strip() for x in a.on.split(",") if x.strip()}
    a.csrattrs = base64.b64decode(a.csrattrs) if a.csrattrs is not None else DEFAULT_CSRATTRS
    pki = os.path.abspath(a.pki)
    for f in ("ca.crt", "ca.key", "cacerts.pem", "server.crt", "server.key", "trusted.pem"):
        if not os.path.exists(os.path.join(pki, f)):
            p.error(f"{pki}/{f} missing: make the PKI with est_env.sh ca DIR")

    tls_ctx = None
    if not a.plain:
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(os.path.join(pki, "server.crt"), os.path.join(pki, "server.key"))
        if not a.tls13:
            tls_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        if a.client_auth != "none":
            tls_ctx.load_verify_locations(os.path.join(pki, "trusted.pem"))
            tls_ctx.verify_mode = ssl.CERT_REQUIRED if a.client_auth == "required" else ssl.CERT_OPTIONAL

    with tempfile.TemporaryDirectory(prefix="fake-est-") as work:
        httpd = Server((a.host, a.port), Handler, tls_ctx)
        httpd.state = State(a)
        httpd.ca = CA(pki, work)
        port = httpd.server_address[1]
        if a.port_file:
            tmp = a.port_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{port}\n")
            os.replace(tmp, a.port_file)
        print(f"fake_est_server: {'http' if a.plain else 'https'}://{a.host}:{port}/.well-known/est "
              f"scenario={a.scenario} on={','.join(sorted(a.on))}", file=sys.stderr, flush=True)

        def watchdog():
            time.sleep(a.timeout)
            print("fake_est_server: time limit reached", file=sys.stderr, flush=True)
            httpd.shutdown()

        threading.Thread(target=watchdog, daemon=True).start()
        try:
            httpd.serve_forever(poll_interval=0.1)
        except KeyboardInterrupt:
            pass
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
