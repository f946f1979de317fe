#!/usr/bin/env python3
"""Send one or more raw HTTP requests over TLS (or plain TCP) and save the exact bytes back.

Used to capture real server responses byte for byte (status line, headers, body, framing)
and to probe connection behaviour (keep-alive, close after response).

  est_raw.py --host 127.0.0.1 --port 8443 --cafile trust.pem \\
      [--cert boot.crt --key boot.key] [--user estuser:estpwd] \\
      [--method POST --path /.well-known/est/simpleenroll --body-file device.csr.b64 \\
       --content-type application/pkcs10] [--header 'Name: value']... \\
      [--http10] [--keep-alive] [--repeat N] [--plain] --out response.http

Writes the raw response stream (all responses when --repeat > 1 on one connection) to --out
and prints a summary line per request: status, header and body byte counts, and whether the
server closed the connection.
"""
import argparse
import base64
import socket
import ssl
import sys
import time


def build_request(a, host_hdr):
    body = b""
    if a.body_file:
        with open(a.body_file, "rb") as f:
            body = f.read()
    version = "HTTP/1.0" if a.http10 else "HTTP/1.1"
    lines = [f"{a.method} {a.path} {version}", f"Host: {host_hdr}",
             "User-Agent: pkiot-est-raw", "Accept: */*"]
    if a.user:
        tok = base64.b64encode(a.user.encode()).decode()
        lines.append(f"Authorization: Basic {tok}")
    if a.content_type:
        lines.append(f"Content-Type: {a.content_type}")
    if a.method == "POST" or body:
        if a.cte:
            lines.append(f"Content-Transfer-Encoding: {a.cte}")
        lines.append(f"Content-Length: {len(body)}")
    if a.keep_alive:
        lines.append("Connection: keep-alive")
    elif not a.no_connection_header:
        lines.append("Connection: close")
    lines.extend(a.header)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _recv(sock):
    """recv that reports how the peer ended: (data, None) or (b"", "notify"|"eof"|"reset")."""
    try:
        data = sock.recv(65536)
    except ssl.SSLEOFError:
        return b"", "eof-without-close_notify"
    except ssl.SSLZeroReturnError:
        return b"", "close_notify"
    except ssl.SSLError as e:
        return b"", f"tls-error:{e.reason}"
    except ConnectionResetError:
        return b"", "reset"
    if not data:
        return b"", ("close_notify" if isinstance(sock, ssl.SSLSocket) else "fin")
    return data, None


def read_response(sock, timeout):
    """Read one HTTP response: (bytes, how the server closed or None, bytes past Content-Length)."""
    sock.settimeout(timeout)
    buf = b""
    closed = None
    head_end = -1
    while head_end < 0:
        try:
            chunk, how = _recv(sock)
        except socket.timeout:
            return buf, None, None
        if how:
            return buf, how, None
        buf += chunk
        head_end = buf.find(b"\r\n\r\n")
        sep = 4
        if head_end < 0:
            head_end = buf.find(b"\n\n")
            sep = 2
    head = buf[:head_end].decode("latin-1")
    length = None
    for line in head.splitlines()[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            try:
                length = int(v.strip())
            except ValueError:
                pass
    body_start = head_end + sep
    while True:
        if length is not None and len(buf) - body_start >= length:
            break
        try:
            chunk, how = _recv(sock)
        except socket.timeout:
            break
        if how:
            closed = how
            break
        buf += chunk
    if not closed and length is not None:
        # Watch briefly whether the server closes after the response, and catch bytes it
        # sends beyond Content-Length (libest's /serverkeygen does).
        sock.settimeout(0.5)
        while True:
            try:
                extra, how = _recv(sock)
            except socket.timeout:
                break
            if how:
                closed = how
                break
            buf += extra
    return buf, closed, (len(buf) - body_start - length) if length is not None else None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sni", default="localhost")
    p.add_argument("--cafile")
    p.add_argument("--insecure", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user", help="user:password for Basic auth")
    p.add_argument("--method", default="GET")
    p.add_argument("--path", default="/.well-known/est/cacerts")
    p.add_argument("--body-file")
    p.add_argument("--content-type")
    p.add_argument("--cte", default="base64", help="Content-Transfer-Encoding for POST ('' = none)")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--http10", action="store_true")
    p.add_argument("--keep-alive", action="store_true")
    p.add_argument("--no-connection-header", action="store_true")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--plain", action="store_true", help="plain TCP, no TLS")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--out")
    a = p.parse_args()

    raw = socket.create_connection((a.host, a.port), timeout=a.timeout)
    if a.plain:
        s = raw
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if a.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            ctx.load_verify_locations(a.cafile)
        if a.cert:
            ctx.load_cert_chain(a.cert, a.key)
        try:
            s = ctx.wrap_socket(raw, server_hostname=a.sni, suppress_ragged_eofs=False)
        except (ssl.SSLError, OSError) as e:
            print(f"TLS handshake failed: {e}")
            return 2
    host_hdr = f"{a.host}:{a.port}"
    out = b""
    rc = 0
    for i in range(a.repeat):
        t0 = time.monotonic()
        try:
            s.sendall(build_request(a, host_hdr))
        except OSError as e:
            print(f"request {i + 1}: send failed: {e}")
            rc = 1
            break
        resp, closed, extra = read_response(s, a.timeout)
        out += resp
        status = resp.split(b"\r\n", 1)[0].decode("latin-1", "replace") if resp else "(no response)"
        he = resp.find(b"\r\n\r\n")
        hlen = he + 4 if he >= 0 else len(resp)
        print(f"request {i + 1}: {status!r} head={hlen} body={len(resp) - hlen} "
              f"beyond_content_length={extra} closed={closed or 'no'} t={time.monotonic() - t0:.2f}s")
        if closed:
            if i + 1 < a.repeat:
                print("server closed the connection; no further requests sent")
            break
    try:
        s.close()
    except OSError:
        pass
    if a.out:
        with open(a.out, "wb") as f:
            f.write(out)
    else:
        sys.stdout.buffer.write(out)
    return rc


if __name__ == "__main__":
    sys.exit(main())
