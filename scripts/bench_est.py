#!/usr/bin/env python3
"""Helper of scripts/bench_est.sh (pkiot-enroll versus libest's estclient).

  bench_est.py measure --out runs.jsonl --client NAME --iter I --mode direct|wire|warmup
                       --runner BENCH_EST_RUN [--stdout LOG] [--expect-file F]
                       [--timeout S] -- CMD ARGS...
      Runs CMD through the launcher built from scripts/bench_est.c and appends one JSON
      line: wall time (fork..wait4), user and system CPU time and peak RSS from wait4()'s
      rusage of CMD alone, the exit status, and ok (exit 0 and --expect-file present and
      non-empty).  CMD is killed after --timeout seconds.

  bench_est.py wire --out runs.jsonl --client NAME --iter I --log proxy.jsonl
      Appends one JSON line summing faultproxy.py's per-connection log of one run:
      connections, c2s/s2c bytes (TLS records as sent on TCP), per-connection detail.

  bench_est.py report --runs runs.jsonl --a pkiot-enroll --b estclient [--info info.txt]
      Prints the detail and a markdown table of medians with ratios A/B.
      Exit 1 when a run failed or a client has no successful run.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def append(path, rec):
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")


def cmd_measure(a):
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        sys.exit("bench_est.py measure: no command")
    if a.expect_file and os.path.exists(a.expect_file):
        os.unlink(a.expect_file)
    # The launcher (scripts/bench_est.c) forks and waits for the client; see there why.
    p = subprocess.run([a.runner, str(int(a.timeout)), a.stdout or os.devnull] + cmd,
                       stdout=subprocess.PIPE, check=False, text=True)
    vals = dict(kv.split("=", 1) for kv in p.stdout.split())
    if p.returncode != 0 or "wall_us" not in vals:
        sys.exit(f"bench_est.py measure: launcher failed ({p.returncode}): {p.stdout!r}")
    rc = int(vals["status"])
    killed = vals["timeout"] == "1"
    ok = rc == 0 and not killed
    if ok and a.expect_file:
        ok = os.path.isfile(a.expect_file) and os.path.getsize(a.expect_file) > 0
    rec = {
        "kind": "time", "client": a.client, "iter": a.iter, "mode": a.mode,
        "wall_ms": int(vals["wall_us"]) / 1000.0,
        "user_ms": int(vals["user_us"]) / 1000.0, "sys_ms": int(vals["sys_us"]) / 1000.0,
        "maxrss_kb": int(vals["maxrss_kb"]), "rc": rc, "timeout": killed, "ok": ok,
    }
    append(a.out, rec)
    return 0 if ok else 1


def cmd_wire(a):
    conns = []
    if os.path.exists(a.log):
        with open(a.log, encoding="utf-8") as f:
            conns = [json.loads(line) for line in f if line.strip()]
    conns.sort(key=lambda c: c.get("conn", 0))
    rec = {
        "kind": "wire", "client": a.client, "iter": a.iter,
        "conns": len(conns),
        "c2s": sum(c["c2s"] for c in conns), "s2c": sum(c["s2c"] for c in conns),
        "detail": [{"c2s": c["c2s"], "s2c": c["s2c"], "end": c["end"], "tls": c["tls"],
                    "s2c_app_bytes": c.get("s2c_app_bytes", 0)} for c in conns],
        # accept numbers 1..n without a gap: no connection missing from the log
        "complete": [c.get("conn") for c in conns] == list(range(1, len(conns) + 1)),
    }
    append(a.out, rec)
    return 0 if conns and rec["complete"] else 1


def resumed(detail):
    """Connections whose TLS handshake was an abbreviated one (session resumption).

    The server's non-application bytes (handshake records and alerts) of a full TLS 1.2
    handshake include its certificate; in a resumed one they are a few hundred bytes.
    A connection counts as resumed when they are under half of the first connection's.
    """
    hs = [c["s2c"] - c["s2c_app_bytes"] for c in detail]
    return sum(1 for h in hs[1:] if hs and h < hs[0] / 2)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_num(x, unit):
    if x != x:  # NaN
        return "n/a"
    if unit == "ms":
        return f"{x:.1f} ms"
    if unit == "KiB":
        return f"{x / 1024.0:.1f} MiB" if x >= 10240 else f"{x:.0f} KiB"
    if unit == "B":
        return f"{x:.0f} B"
    return f"{x:g}"


def ratio(a, b):
    if a != a or b != b or b == 0:
        return "n/a"
    return f"{a / b:.2f}"


def cmd_report(a):
    runs = []
    with open(a.runs, encoding="utf-8") as f:
        runs = [json.loads(line) for line in f if line.strip()]
    names = [a.a, a.b]
    failed = [r for r in runs if (r["kind"] == "time" and not r["ok"]) or
              (r["kind"] == "wire" and not r["complete"])]
    timed = {n: [r for r in runs if r["kind"] == "time" and r["mode"] == "direct"
                 and r["client"] == n and r["ok"]] for n in names}
    wire_t = {n: [r for r in runs if r["kind"] == "time" and r["mode"] == "wire"
                  and r["client"] == n] for n in names}
    wire = {}
    for n in names:
        ok_iters = {r["iter"] for r in wire_t[n] if r["ok"]}
        wire[n] = [r for r in runs if r["kind"] == "wire" and r["client"] == n
                   and r["iter"] in ok_iters and r["complete"]]

    if a.info and os.path.exists(a.info):
        with open(a.info, encoding="utf-8") as f:
            sys.stdout.write(f.read())
    print()

    rows = [
        ("wall time", "ms", lambda r: r["wall_ms"], timed),
        ("CPU user+sys", "ms", lambda r: r["user_ms"] + r["sys_ms"], timed),
        ("  user", "ms", lambda r: r["user_ms"], timed),
        ("  sys", "ms", lambda r: r["sys_ms"], timed),
        ("peak RSS", "KiB", lambda r: float(r["maxrss_kb"]), timed),
        ("bytes client->server", "B", lambda r: float(r["c2s"]), wire),
        ("bytes server->client", "B", lambda r: float(r["s2c"]), wire),
        ("bytes total", "B", lambda r: float(r["c2s"] + r["s2c"]), wire),
        ("TCP/TLS connections", "", lambda r: float(r["conns"]), wire),
        ("  of which TLS resumed", "", lambda r: float(resumed(r["detail"])), wire),
    ]
    # Detail: median with min..max, to show the spread behind each median.
    print("detail (median [min .. max] over successful runs; the user/sys split is sampled")
    print("at timer ticks, user+sys is exact)")
    w = max(len(r[0]) for r in rows)
    print(f"  {'':{w}}  " + "  ".join(f"{n:>34}" for n in names))
    for label, unit, get, src in rows:
        cells = []
        for n in names:
            xs = [get(r) for r in src[n]]
            if xs:
                cells.append(f"{fmt_num(med(xs), unit)} [{fmt_num(min(xs), unit)} .. "
                             f"{fmt_num(max(xs), unit)}]")
            else:
                cells.append("n/a")
        print(f"  {label:{w}}  " + "  ".join(f"{c:>34}" for c in cells))
    for n in names:
        print(f"  {n}: {len(timed[n])} timed runs, {len(wire[n])} proxied runs")
        # Per-connection bytes of the first proxied run (the pattern repeats).
        if wire[n]:
            d = wire[n][0]["detail"]
            parts = [f"conn {i + 1}: {c['c2s']} up / {c['s2c']} down, "
                     f"{c['s2c'] - c['s2c_app_bytes']} of it TLS handshake/alerts ({c['end']})"
                     for i, c in enumerate(d)]
            print("    connections of one run: " + "; ".join(parts))
            ends = {}
            for r in wire[n]:
                for c in r["detail"]:
                    e = c["end"].split(":")[0] + (":" + c["end"].split("] ")[-1]
                                                  if c["end"].startswith("error") else "")
                    ends[e] = ends.get(e, 0) + 1
            print("    how the proxied connections ended (first side to close): " +
                  ", ".join(f"{k} {v}" for k, v in sorted(ends.items())))
    if failed:
        print(f"FAILED runs: {len(failed)}")
        for r in failed[:10]:
            print("  " + json.dumps(r, sort_keys=True))
    print()

    n_iter = max([r["iter"] for r in runs if r["kind"] == "time"] or [0])
    print("```markdown")
    print(f"| EST simpleenroll, P-256, HTTP Basic (median of {n_iter}) "
          f"| {a.a} | {a.b} | {a.a} / {a.b} |")
    print("|---|---:|---:|---:|")
    for label, unit, get, src in rows:
        if label in ("  user", "  sys"):
            continue  # the user/sys split is tick-sampled: detail only
        label = label.strip()
        va = med([get(r) for r in src[a.a]])
        vb = med([get(r) for r in src[a.b]])
        rt = "–" if label == "of which TLS resumed" else ratio(va, vb)
        print(f"| {label} | {fmt_num(va, unit)} | {fmt_num(vb, unit)} | {rt} |")
    print()
    for line in a.note or []:
        print(line)
    wa, wb = med([r["wall_ms"] for r in timed[a.a]]), med([r["wall_ms"] for r in timed[a.b]])
    ca = med([r["user_ms"] + r["sys_ms"] for r in timed[a.a]])
    cb = med([r["user_ms"] + r["sys_ms"] for r in timed[a.b]])
    if wa == wa and wb == wb and wa > 0 and wb > 0:
        print(f"Client CPU is {100.0 * ca / wa:.0f} % ({a.a}) and {100.0 * cb / wb:.0f} % "
              f"({a.b}) of the wall time; the rest is waiting for the server.")
    print("```")
    bad = bool(failed) or any(not timed[n] or not wire[n] for n in names)
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd_name", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--out", required=True)
    m.add_argument("--client", required=True)
    m.add_argument("--iter", type=int, required=True)
    m.add_argument("--mode", choices=["direct", "wire", "warmup"], default="direct")
    m.add_argument("--expect-file")
    m.add_argument("--stdout", help="file for the command's stdout and stderr")
    m.add_argument("--timeout", type=float, default=30.0)
    m.add_argument("--runner", required=True, help="the compiled scripts/bench_est.c")
    m.add_argument("cmd", nargs=argparse.REMAINDER)
    w = sub.add_parser("wire")
    w.add_argument("--out", required=True)
    w.add_argument("--client", required=True)
    w.add_argument("--iter", type=int, required=True)
    w.add_argument("--log", required=True)
    r = sub.add_parser("report")
    r.add_argument("--runs", required=True)
    r.add_argument("--a", required=True)
    r.add_argument("--b", required=True)
    r.add_argument("--info")
    r.add_argument("--note", action="append", help="a line printed under the table")
    a = p.parse_args()
    if a.cmd_name == "measure":
        return cmd_measure(a)
    if a.cmd_name == "wire":
        return cmd_wire(a)
    return cmd_report(a)


if __name__ == "__main__":
    sys.exit(main())
