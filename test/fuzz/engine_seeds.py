#!/usr/bin/env python3
"""Writes the seeds of fuzz_engine (test/fuzz/corpus/engine/) from the recorded libest
session in test/fuzz/corpus/est-captures/: each seed is an option byte (see
test/fuzz/fuzz_engine.c) and recorded answers in the order a whole run asks for them.

  test/fuzz/engine_seeds.py [CAPTURES_DIR] [OUT_DIR]
"""
import os
import sys

SEP = b"\n@@pkiot-fuzz-next-answer@@\n"
ENROLL, REENROLL, SERVERKEYGEN, CACERTS = 0, 1, 2, 3
FETCH_CACERTS, CSRATTRS, BOOTSTRAP, REJECT_CA, SAVE_FAILS, VERIFY_FAILS = 4, 8, 16, 32, 64, 128

SEEDS = {
    "enroll-401": (ENROLL, ["401", "simpleenroll"]),
    "enroll": (ENROLL, ["simpleenroll"]),
    "enroll-202": (ENROLL, ["401", "202", "simpleenroll"]),
    "enroll-cacerts": (ENROLL | FETCH_CACERTS, ["cacerts", "401", "simpleenroll"]),
    "enroll-cacerts-other-pki": (ENROLL | FETCH_CACERTS, ["cacerts-chain", "401", "simpleenroll"]),
    "enroll-csrattrs": (ENROLL | CSRATTRS, ["csrattrs", "401", "simpleenroll"]),
    "enroll-csrattrs-custom": (ENROLL | CSRATTRS, ["csrattrs-custom", "401", "simpleenroll"]),
    "enroll-csrattrs-204": (ENROLL | CSRATTRS, ["csrattrs-204", "401", "simpleenroll"]),
    "enroll-bootstrap": (ENROLL | BOOTSTRAP, ["cacerts", "401", "simpleenroll"]),
    "enroll-bootstrap-rejected": (ENROLL | BOOTSTRAP | REJECT_CA, ["cacerts"]),
    "enroll-save-fails": (ENROLL | SAVE_FAILS, ["401", "simpleenroll"]),
    "enroll-verify-fails": (ENROLL | VERIFY_FAILS, ["401", "simpleenroll"]),
    "enroll-400": (ENROLL, ["401", "400-bad-csr"]),
    "enroll-500": (ENROLL, ["401", "500-enroll-failed", "500-enroll-failed", "500-enroll-failed"]),
    "enroll-404": (ENROLL, ["404"]),
    "enroll-413": (ENROLL, ["401", "413"]),
    "enroll-401-digest": (ENROLL, ["401-digest"]),
    "enroll-401-badauth": (ENROLL, ["401", "401-badauth"]),
    "reenroll": (REENROLL, ["simplereenroll"]),
    "serverkeygen": (SERVERKEYGEN, ["401", "serverkeygen"]),
    "cacerts": (CACERTS, ["cacerts"]),
    "cacerts-keepalive": (CACERTS | FETCH_CACERTS, ["cacerts-keepalive-x3"]),
}


def main():
    top = os.path.dirname(os.path.abspath(__file__))
    cap = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "corpus", "est-captures")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(top, "corpus", "engine")
    os.makedirs(out, exist_ok=True)
    for name, (opts, answers) in SEEDS.items():
        parts = []
        for a in answers:
            with open(os.path.join(cap, a + ".http"), "rb") as f:
                parts.append(f.read())
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([opts]) + SEP.join(parts))
    print(f"{len(SEEDS)} seeds written to {out}")


if __name__ == "__main__":
    main()
