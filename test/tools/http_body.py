#!/usr/bin/env python3
"""Split a raw HTTP response file (as saved by est_raw.py or curl --include).

  http_body.py FILE --status               print the status code
  http_body.py FILE --header NAME          print a header value (first match, case-insensitive)
  http_body.py FILE --body [--out F]       the body bytes as sent (all bytes after the head)
  http_body.py FILE --der [--out F]        the body base64-decoded (whitespace and NUL ignored)
  http_body.py FILE --part N --der         part N (1-based) of a multipart body, decoded

Only the first response in the file is looked at. Exit status 1 when the thing asked for is
not there or does not decode.
"""
import argparse
import base64
import binascii
import re
import sys


def split(raw):
    i = raw.find(b"\r\n\r\n")
    n = 4
    if i < 0:
        i = raw.find(b"\n\n")
        n = 2
    if i < 0:
        return raw, b""
    return raw[:i], raw[i + n:]


def headers(head):
    out = []
    for line in head.decode("latin-1").splitlines()[1:]:
        k, sep, v = line.partition(":")
        if sep:
            out.append((k.strip().lower(), v.strip()))
    return out


def b64(data):
    clean = re.sub(rb"[\s\x00]", b"", data)
    return base64.b64decode(clean, validate=True)


def parts(body, ctype):
    m = re.search(r'boundary="?([^";]+)"?', ctype or "")
    if not m:
        return []
    delim = b"--" + m.group(1).encode()
    out = []
    for chunk in body.split(delim)[1:]:
        if chunk.startswith(b"--"):
            break
        h, b = split(chunk.lstrip(b"\r\n"))
        out.append((h, b))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--status", action="store_true")
    g.add_argument("--header")
    g.add_argument("--body", action="store_true")
    g.add_argument("--der", action="store_true")
    p.add_argument("--part", type=int)
    p.add_argument("--out")
    a = p.parse_args()

    with open(a.file, "rb") as f:
        raw = f.read()
    head, body = split(raw)
    hdrs = headers(head)
    if a.status:
        first = head.split(b"\r\n", 1)[0].split(b"\n", 1)[0].split()
        if len(first) < 2:
            return 1
        print(first[1].decode("latin-1"))
        return 0
    if a.header:
        for k, v in hdrs:
            if k == a.header.lower():
                print(v)
                return 0
        return 1
    if a.part:
        ctype = next((v for k, v in hdrs if k == "content-type"), "")
        ps = parts(body, ctype)
        if a.part > len(ps):
            return 1
        body = ps[a.part - 1][1]
        # A part ends with the CRLF that belongs to the next delimiter.
        if body.endswith(b"\r\n"):
            body = body[:-2]
    data = body
    if a.der:
        try:
            data = b64(body)
        except (binascii.Error, ValueError):
            return 1
    if a.out:
        with open(a.out, "wb") as f:
            f.write(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
