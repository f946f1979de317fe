#!/usr/bin/env bash
# bench_est.sh - pkiot-enroll versus libest's estclient, against one local libest estserver.
#
#   BENCH_N=20 bash scripts/bench_est.sh      (make bench-est [BENCH_N=N])
#
# Both clients do the same thing: one EST /simpleenroll with HTTP Basic (estuser/estpwd)
# for a CSR with CN only, signed with a P-256 key that was generated beforehand with
# `openssl genpkey` (a fresh key for every run, not timed: estclient cannot generate an EC
# key itself, without -x it makes an RSA-4096 one). Neither fetches /cacerts (estclient
# without -g, pkiot-enroll without --chain-out). Both send the first request without
# credentials, get 401 and repeat it with Basic on a new connection.
#
# Per iteration, in this order: pkiot-enroll timed, estclient timed (straight to the
# server), then pkiot-enroll and estclient once more through test/tools/faultproxy.py for
# the bytes on the wire. One untimed warm-up run of each client comes first. Timing: a
# small launcher (scripts/bench_est.c, built into build/bench-est/) forks the client and
# reads wait4()'s rusage (user+sys CPU, peak RSS of that process only) and the wall time
# from fork to exit; scripts/bench_est.py records the runs and prints the report.
# The bytes are faultproxy.py's per-connection counts: TCP payload, i.e. TLS records.
# Everything runs in the private network namespace of test/interop/est_env.sh, on loopback.
# Output: detail, then a markdown table of medians with ratios pkiot-enroll / estclient.
# Exit: 0 done, 1 a run failed or setup failed, 77 network namespaces not permitted here.
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$PWD
N=${BENCH_N:-20}
BIN=${PKIOT_ENROLL:-$TOP/build/host/pkiot-enroll}
ESTCLIENT=${LIBEST_ESTCLIENT:-$TOP/build/libest/bin/estclient}
PY=${PYTHON:-python3}
HELPER=$TOP/scripts/bench_est.py
PROXY=$TOP/test/tools/faultproxy.py
W=$TOP/build/bench-est

case "$N" in ''|*[!0-9]*|0) echo "bench-est: BENCH_N must be a positive integer (got '$N')" >&2; exit 2 ;; esac
for f in "$BIN" "$ESTCLIENT" "$TOP/build/libest/bin/estserver"; do
  [ -x "$f" ] || { echo "bench-est: $f missing (make -s lib ports examples libest)" >&2; exit 1; }
done

# shellcheck source=test/interop/est_env.sh
. test/interop/est_env.sh
est_env_check || exit 77

# One benchmark at a time in this tree: two would measure each other.
mkdir -p "$TOP/build"
exec 9>"$TOP/build/bench-est.lock"
flock -w 300 9 || { echo "bench-est: another bench-est still runs (build/bench-est.lock)" >&2; exit 1; }

rm -rf "$W"
mkdir -p "$W/keys" "$W/out"
RUNNER=$W/bench_est_run
${CC:-cc} -O2 -Wall -Wextra -o "$RUNNER" scripts/bench_est.c || { echo "bench-est: cannot build the launcher" >&2; exit 1; }
PKI=$W/pki
est_env_ca "$PKI" >/dev/null || { echo "bench-est: test PKI failed" >&2; exit 1; }
# -d bounds the server's life whatever happens to this script.
est_env_start "$PKI" -d 420 >/dev/null || exit $?
TRUST=$PKI/trust.pem
RUNS=$W/runs.jsonl
: > "$RUNS"
nfail=0

newkey() { # newkey FILE: fresh P-256 key, PKCS#8 PEM (what both clients read)
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# The two clients' command lines: set CMD, and OUTFILE (the file a success leaves behind).
pkiot_cmd() { # PORT KEY CN DIR
  CMD=("$BIN" est --server "https://127.0.0.1:$1" --trust "$TRUST" --user "$EST_USER:$EST_PASS"
       --newkey "$2" --subject "CN=$3" --out "$4/cert.pem" --state "$4/state.bin" --quiet)
  OUTFILE=$4/cert.pem
}
estclient_cmd() { # PORT KEY CN DIR  (trust anchor: EST_OPENSSL_CACERT)
  CMD=("$ESTCLIENT" -e -s 127.0.0.1 -p "$1" -u "$EST_USER" -h "$EST_PASS"
       -x "$2" --common-name "$3" -o "$4")
  OUTFILE=$4/cert-0-0.pkcs7
}
run_client() { # run_client pkiot|estclient ITER MODE PORT
  local client=$1 it=$2 mode=$3 port=$4 key d cn name
  d=$W/out/$client-$mode-$it
  rm -rf "$d"; mkdir -p "$d"
  key=$W/keys/$client-$mode-$it.pem
  newkey "$key" || { echo "bench-est: openssl genpkey failed" >&2; return 1; }
  cn=$(printf 'bench-%s-%03d' "${client:0:1}" "$it")   # same length for both clients
  "${client}_cmd" "$port" "$key" "$cn" "$d"
  name=$client; [ "$client" = pkiot ] && name=pkiot-enroll
  est_env_exec env EST_OPENSSL_CACERT="$TRUST" "$PY" "$HELPER" measure --out "$RUNS" \
    --client "$name" --iter "$it" --mode "$mode" --runner "$RUNNER" --expect-file "$OUTFILE" \
    --stdout "$d/log" --timeout 30 -- "${CMD[@]}"
}
run_wire() { # run_wire CLIENT ITER: one run through a fresh faultproxy, bytes logged
  local client=$1 it=$2 plog pport ppid rc name
  plog=$W/out/proxy-$client-$it.jsonl
  rm -f "$plog" "$W/pport"
  # --idle-exit: the proxy ends 0.3 s after the client's last connection closed, so its log
  # is complete once it has exited.
  est_env_exec "$PY" "$PROXY" --listen 127.0.0.1:0 --target "127.0.0.1:$EST_PORT" \
    --port-file "$W/pport" --timeout 60 --idle-exit 0.3 --log "$plog" 2>/dev/null &
  ppid=$!
  for _ in $(seq 200); do [ -s "$W/pport" ] && break; sleep 0.02; done
  pport=$(cat "$W/pport" 2>/dev/null)
  [ -n "$pport" ] || { echo "bench-est: faultproxy did not start" >&2; kill "$ppid" 2>/dev/null; return 1; }
  run_client "$client" "$it" wire "$pport"
  rc=$?
  wait "$ppid" 2>/dev/null
  name=$client; [ "$client" = pkiot ] && name=pkiot-enroll
  "$PY" "$HELPER" wire --out "$RUNS" --client "$name" --iter "$it" --log "$plog" || rc=1
  return $rc
}

LIBEST_VER=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$TOP/build/libest-src/est_config.h" 2>/dev/null)
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
{
  echo "bench-est: EST simpleenroll, pkiot-enroll versus libest estclient, N=$N (interleaved A B A B)"
  echo "  machine: $(nproc) cores, $CPU_MODEL, Linux $(uname -r)"
  echo "  both clients and estserver on loopback in one private network namespace (same machine)"
  echo "  load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "  pkiot-enroll: $BIN (Mbed TLS $(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "${MBEDTLS_DIR:-$TOP/third_party/mbedtls}/include/mbedtls/build_info.h" 2>/dev/null) linked in)"
  echo "  estclient:    $ESTCLIENT (libest $LIBEST_VER, $(openssl version | cut -d' ' -f1-2), shared libraries)"
  echo "  key: fresh P-256 per run, generated before the run (not timed), given as --newkey / -x"
  pkiot_cmd PORT KEY.pem CN DIR
  echo "  pkiot-enroll: ${CMD[*]}" | sed "s#$TOP/##g"
  estclient_cmd PORT KEY.pem CN DIR
  echo "  estclient:    EST_OPENSSL_CACERT=${TRUST#"$TOP"/} ${CMD[*]}" | sed "s#$TOP/##g"
  echo "  timing: direct to estserver; bytes: separate runs through test/tools/faultproxy.py (TCP payload = TLS records)"
} > "$W/info.txt"
echo "bench-est: N=$N, $((4 * N + 2)) enrollments (results in ${W#"$TOP"/}/)" >&2

t_start=$(date +%s)
# Warm-up (page cache, estserver threads): not counted.
run_client pkiot 0 warmup "$EST_PORT" || nfail=$((nfail + 1))
run_client estclient 0 warmup "$EST_PORT" || nfail=$((nfail + 1))
for it in $(seq 1 "$N"); do
  run_client pkiot "$it" direct "$EST_PORT" || nfail=$((nfail + 1))
  run_client estclient "$it" direct "$EST_PORT" || nfail=$((nfail + 1))
  run_wire pkiot "$it" || nfail=$((nfail + 1))
  run_wire estclient "$it" || nfail=$((nfail + 1))
  printf '\r  %d/%d' "$it" "$N" >&2
done
printf '\n' >&2
echo "  load average after:  $(cut -d' ' -f1-3 /proc/loadavg); $(( $(date +%s) - t_start )) s for $((4 * N + 2)) enrollments" >> "$W/info.txt"
est_env_stop

"$PY" "$HELPER" report --runs "$RUNS" --a pkiot-enroll --b estclient --info "$W/info.txt" \
  --note "Median of $N runs per client, interleaved (A B A B), against one libest ${LIBEST_VER:-?} estserver;" \
  --note "clients and server on loopback in one network namespace of a $(nproc)-core $CPU_MODEL," \
  --note "load average $LOAD_BEFORE before, $(cut -d' ' -f1 /proc/loadavg) after the run. Both clients: /simpleenroll with HTTP" \
  --note "Basic (first request without credentials, 401, repeated on a new connection), a fresh" \
  --note "P-256 key generated beforehand (not timed), no /cacerts. Time, CPU and peak RSS are the" \
  --note "client process's (wait4); bytes are TCP payload (TLS records) both ways, via a proxy."
rc=$?
if [ $nfail -gt 0 ]; then
  echo "bench-est: $nfail run(s) failed; logs in ${W#"$TOP"/}/out/" >&2
  rc=1
fi
exit $rc
