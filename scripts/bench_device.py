#!/usr/bin/python3
"""Device-cost table from qemu-enroll bench runs (scripts/bench_device.sh).

Each log holds one line written by the PKIOT_BENCH=1 firmware:
    BENCH total=<n> crypto=<n> tls_handshake=<n> other=<n> arena_peak=<bytes> [key=<n> ...]
The counts are virtual nanoseconds under `qemu-system-arm -icount shift=0`, i.e. guest
instructions. This prints total, crypto, TLS handshake and everything else (with its share of
the total; the aim is at most 10 %), says whether every run gave exactly the same counts, and
optionally a markdown table. --recording names the log of the run that recorded the server
session, shown for comparison only. Exit 1 when a log has no BENCH line or a required field.
"""

import argparse
import re
import statistics
import sys

REQUIRED = ("total", "crypto", "tls_handshake", "other", "arena_peak")
ROWS = (("total", "total"), ("crypto", "crypto (crypto port calls: keygen, signing, hashes)"),
        ("tls_handshake", "TLS handshake (transport connect: TCP + TLS)"),
        ("other", "everything else (pkiot, TLS records, lwIP, board)"))
OTHER_AIM = 10.0
EXTRA_LABELS = {
    "idle": "  idle in WFI (not in total)",
    "io_waits": "  waits for the network (clock held, not in total)",
    "tls_io": "  in send/recv/close (part of everything else)",
    "crypto_calls": "  crypto port calls (count)",
    "resumed": "  resumed from a checkpoint (0/1)",
}


def parse(path, tag):
    """Values of the first line starting with `tag ` (BENCH, BENCH_REENROLL)."""
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(tag + " "):
                vals = {}
                for k, v in re.findall(r"(\w+)=(\d+)", line):
                    vals[k] = int(v)
                return vals
    return None


def grouped(n):
    return "{:,}".format(n)


def table(args, what, tag, runs):
    keys = [k for k in REQUIRED] + sorted(set().union(*runs) - set(REQUIRED))
    exact = {k: len(set(r.get(k) for r in runs)) == 1 for k in keys}
    # The run with the median total, shown whole so that its parts add up to its total.
    mid = sorted(runs, key=lambda r: r["total"])[(len(runs) - 1) // 2]
    med = {k: mid.get(k, 0) for k in keys}
    lo = {k: min(r.get(k, 0) for r in runs) for k in keys}
    hi = {k: max(r.get(k, 0) for r in runs) for k in keys}

    n = len(runs)
    print()
    print("device cost of %s" % what)
    print("%s on QEMU %s, -icount %s (1 virtual ns = 1 instruction), %d run%s against %s; "
          "line %s" % (args.elf, args.machine, args.icount, n, "" if n == 1 else "s", args.server, tag))
    if args.method:
        print("inputs: %s" % args.method)
    print()
    print("  %-52s %15s %8s  %s" % ("", "instructions", "% total", "over all runs"))
    total = med["total"]
    for key, label in ROWS:
        pct = 100.0 * med[key] / total if total else 0.0
        if exact[key]:
            rep = "identical in all %d" % n if n > 1 else "single run"
        else:
            spread = 100.0 * (hi[key] - lo[key]) / med[key] if med[key] else 0.0
            rep = "%s..%s (spread %.2g%%)" % (grouped(lo[key]), grouped(hi[key]), spread)
        print("  %-52s %15s %7.1f%%  %s" % (label, grouped(med[key]), pct, rep))
    gaps = [r for r in runs if r["crypto"] + r["tls_handshake"] + r["other"] != r["total"]]
    if gaps:
        r = gaps[0]
        print("  note: in %d run(s) crypto + handshake + other = %s but total = %s (the "
              "firmware's parts overlap or leave a gap)" % (len(gaps), grouped(r["crypto"] + r["tls_handshake"] + r["other"]), grouped(r["total"])))
    extra = [k for k in keys if k not in REQUIRED and not k.startswith("arena_")]
    for k in extra:
        print("  %-52s %15s %8s  %s" % (EXTRA_LABELS.get(k, k), grouped(med[k]), "",
                                        "identical" if exact[k] else "%s..%s" % (grouped(lo[k]), grouped(hi[k]))))
    if med["arena_peak"]:
        of = " of %s" % grouped(med["arena_size"]) if med.get("arena_size") else ""
        print("  %-52s %15s bytes%s%s" % ("Mbed TLS heap arena peak (whole run)", grouped(med["arena_peak"]), of,
                                          "" if exact["arena_peak"] else " (%s..%s)" % (grouped(lo["arena_peak"]), grouped(hi["arena_peak"]))))
    other_pct = 100.0 * med["other"] / total if total else 0.0
    print()
    print("  everything else: %.1f%% of the total (aim <= %.0f%%): %s" %
          (other_pct, OTHER_AIM, "met" if other_pct <= OTHER_AIM else "NOT met"))
    counts = ("total", "crypto", "tls_handshake", "other")
    if all(exact[k] for k in counts):
        print("  repeatability: the instruction counts are identical in all %d runs" % n)
    else:
        worst = max(100.0 * (hi[k] - lo[k]) / med[k] for k in counts if med[k])
        print("  repeatability: NOT exact; the counts differ between runs by up to %.2g%% (%s)." %
              (worst, ", ".join(k for k in counts if not exact[k])))
        print("  The table shows the run with the median total.")
        if args.method.startswith("live"):
            print("  Inputs differ per run: the board's entropy (device key, ECDSA nonces, TCP")
            print("  sequence numbers) comes from the host's /dev/urandom, the server makes a fresh")
            print("  ECDHE key and signature, and packet arrival against the guest's polling varies.")
        else:
            print("  The inputs were fixed, so host timing reached the device: a frame came in")
            print("  another batch. Run again on an idle machine; BENCH_EXTRA=fixed_trace=1 prints")
            print("  every batch, and the logs of two runs then show where they part.")
    if args.recording:
        rec = parse(args.recording, tag)
        if rec is not None and "total" in rec:
            same = all(rec.get(k) == med[k] for k in counts)
            print("  the recording run (against estserver itself) counted %s: %s" %
                  (grouped(rec["total"]), "the same as the replays" if same else
                   "not the same; estserver answered on its own timing, so the device took "
                   "some frames in other batches"))

    if args.markdown:
        print()
        print("| %s (Cortex-M4, QEMU -icount) | instructions | share |" % what.split(" (")[0])
        print("|---|---:|---:|")
        for key, label in ROWS:
            pct = 100.0 * med[key] / total if total else 0.0
            print("| %s | %s | %.1f %% |" % (label, grouped(med[key]), pct))
        if med["arena_peak"]:
            print("| Mbed TLS heap arena peak | %s bytes | |" % grouped(med["arena_peak"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("logs", nargs="+")
    ap.add_argument("--elf", default="build/cortex-m4/qemu-enroll.elf")
    ap.add_argument("--machine", default="mps2-an386")
    ap.add_argument("--server", default="libest estserver")
    ap.add_argument("--icount", default="shift=0")
    ap.add_argument("--method", default="")
    ap.add_argument("--recording", help="log of the recording run (shown for comparison)")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    runs = []
    for p in args.logs:
        v = parse(p, "BENCH")
        if v is None:
            print("bench-device: %s: no BENCH line" % p, file=sys.stderr)
            return 1
        missing = [k for k in REQUIRED if k not in v]
        if missing:
            print("bench-device: %s: BENCH line lacks %s" % (p, ", ".join(missing)), file=sys.stderr)
            return 1
        runs.append(v)
    table(args, "one enrollment (PKIOT_OP_ENROLL: keygen, CSR, TLS with HTTP Basic)", "BENCH", runs)
    # Re-enrollment (mutual TLS with the new certificate), when the firmware went on to it.
    re_runs = [parse(p, "BENCH_REENROLL") for p in args.logs]
    if all(r is not None and all(k in r for k in REQUIRED[:4]) for r in re_runs):
        for r in re_runs:
            r.setdefault("arena_peak", 0)
        table(args, "the re-enrollment that follows (PKIOT_OP_REENROLL: mutual TLS)", "BENCH_REENROLL", re_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
