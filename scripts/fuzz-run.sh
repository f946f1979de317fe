#!/usr/bin/env bash
# Runs one libFuzzer target built by mk/fuzz.mk and prints one result line,
# "PASS: fuzz_<name> ..." or "FAIL: fuzz_<name> ...", which scripts/run-tests.sh counts.
#
#   scripts/fuzz-run.sh <name> --seconds N     fuzz for N seconds
#   scripts/fuzz-run.sh <name> --runs N        run N inputs (after the seeds)
#
# The working corpus build/fuzz/corpus/<name>/ is listed first so libFuzzer writes new inputs
# there; the seed directory test/fuzz/corpus/<name>/ is only read. Exit status: 0 when the
# fuzzer finished without a crash, leak, timeout or out-of-memory, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

[ $# -eq 3 ] || { echo "usage: $0 <name> --seconds N | --runs N" >&2; exit 2; }
name=$1 mode=$2 amount=$3
FB=build/fuzz
bin=$FB/fuzz_$name
work=$FB/corpus/$name
art=$FB/artifacts/$name
log=$FB/logs/$name.log
seeds=test/fuzz/corpus/$name
dict=test/fuzz/fuzz_$name.dict

[ -x "$bin" ] || { echo "FAIL: fuzz_$name (not built: $bin)"; exit 1; }
mkdir -p "$work" "$art" "$(dirname "$log")"

args=(-artifact_prefix="$art/" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}"
      -print_final_stats=1)
[ -f "$dict" ] && args+=(-dict="$dict")
case $mode in
  --seconds) args+=(-max_total_time="$amount"); limit=$((amount + 120)) ;;
  --runs)    args+=(-runs="$amount"); limit=${FUZZ_RUNS_TIMEOUT:-900} ;;
  *) echo "usage: $0 <name> --seconds N | --runs N" >&2; exit 2 ;;
esac
dirs=("$work")
[ -d "$seeds" ] && dirs+=("$seeds")

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

start=$(date +%s)
# The outer timeout only catches a fuzzer that hangs outside libFuzzer's own watchdog.
timeout -k 10 "$limit" "$bin" "${args[@]}" "${dirs[@]}" >"$log" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1 | cut -d' ' -f2)
seeds_n=$( [ -d "$seeds" ] && find "$seeds/" -type f | wc -l || echo 0)

if [ $rc -eq 0 ]; then
  echo "PASS: fuzz_$name (${runs:-?} runs in ${secs}s, cov ${cov:-?}, ${seeds_n} seeds)"
  exit 0
fi

reason=$(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY:|runtime error:|ERROR: libFuzzer|out-of-memory|deadly signal' "$log" \
         | sed 's/^==[0-9]*== *//' | cut -c1-160)
[ $rc -eq 124 ] || [ $rc -eq 137 ] && reason=${reason:-"killed after ${limit}s"}
echo "FAIL: fuzz_$name (exit $rc after ${secs}s: ${reason:-see log})"
crash=$(find "$art" -maxdepth 1 -type f -newermt "@$start" 2>/dev/null | head -n1)
{
  echo "  log: $log"
  [ -n "$crash" ] && echo "  input: $crash   reproduce: $bin $crash"
  tail -n 25 "$log" | sed 's/^/  | /'
} >&2
exit 1
