#!/usr/bin/env python3
"""Read a pkiot checkpoint blob (format in lib/enroll/checkpoint.h) independently of the C
code, to let tests look inside: `ckpt_dump.py STATE [--key-der OUT] [--csr-der OUT]`.
Prints one line per record and exits 1 when the blob is not valid."""
import struct
import sys
import zlib

NAMES = {1: "step", 2: "key", 3: "csr", 4: "wake_unix", 5: "cert", 6: "ca", 7: "flags",
         8: "attempts", 9: "key_type", 10: "wait_s", 11: "ca_fpr"}


def parse(blob):
    if len(blob) < 16 or blob[:4] != b"PKCK":
        raise ValueError("bad magic")
    ver, proto, op, plen = struct.unpack("<HBBI", blob[4:12])
    if plen != len(blob) - 16:
        raise ValueError("bad length")
    if zlib.crc32(blob[:-4]) & 0xFFFFFFFF != struct.unpack("<I", blob[-4:])[0]:
        raise ValueError("bad crc")
    recs = []
    p, end = 12, 12 + plen
    while p < end:
        tag = blob[p]
        (ln,) = struct.unpack("<H", blob[p + 1:p + 3])
        recs.append((tag, blob[p + 3:p + 3 + ln]))
        p += 3 + ln
    return ver, proto, op, recs


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    try:
        ver, proto, op, recs = parse(open(args[0], "rb").read())
    except (OSError, ValueError) as e:
        print("invalid: %s" % e)
        return 1
    print("version=%d protocol=%d operation=%d" % (ver, proto, op))
    outs = {"--key-der": 2, "--csr-der": 3, "--cert-der": 5}
    for i, a in enumerate(args[1:-1], 1):
        if a in outs:
            for tag, val in recs:
                if tag == outs[a]:
                    open(args[i + 1], "wb").write(val)
    for tag, val in recs:
        name = NAMES.get(tag, "proto%d" % tag if tag >= 32 else "tag%d" % tag)
        print("%s len=%d" % (name, len(val)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
