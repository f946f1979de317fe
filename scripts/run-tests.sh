#!/usr/bin/env bash
# Test runner. Keeps going after failures and always ends with one line
# "N passed, N failed" (", N skipped" when something was skipped); exits 1 if anything failed.
#
#   scripts/run-tests.sh unit BUILD_DIR...   every cmocka binary BUILD_DIR/test/test_*
#   scripts/run-tests.sh interop             every test/interop/test_*.sh
#   scripts/run-tests.sh all                 what `make test` runs: every build, the unit tests
#                                            of the gcc, clang and ASan+UBSan builds, fuzz
#                                            smoke, interop scripts, bench smoke, check-heap,
#                                            cppcheck, size budgets
#
# Counting:
#  - cmocka binary: the "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)" / "[  SKIPPED ]"
#    summaries; one that exits non-zero without reporting a failure (crash, sanitizer report,
#    leak, timeout) counts one more failure; one that exits 0 without a summary counts as 1
#    passed.
#  - interop script (and fuzz smoke): its "PASS: ", "FAIL: ", "SKIP: " lines; a non-zero exit
#    without a FAIL line, or a timeout, counts one more failure; exit 0 without any line
#    counts as 1 passed.
#  - build, check-heap, cppcheck: one test each.
#
# Environment: JOBS (default nproc), UNIT_TIMEOUT (300 s per binary), INTEROP_TIMEOUT (900 s
# per script), BUILD_TIMEOUT (1500 s per build), FUZZ_SMOKE_SECONDS (20 per target),
# TEST_LOG_DIR (build/test-logs). Interop scripts get PKIOT_TOP, PKIOT_BUILD (the gcc host
# build) and PKIOT_TEST_LOG_DIR.
set -uo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD

JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}
INTEROP_TIMEOUT=${INTEROP_TIMEOUT:-900}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-1500}
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-20}
LOGS=${TEST_LOG_DIR:-build/test-logs}
MAKE=${MAKE:-make}
# Sub-makes get exactly the variables passed below, not those of a calling make.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
export CMOCKA_MESSAGE_OUTPUT=STDOUT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

PASSED=0 FAILED=0 SKIPPED=0
FAILURES=()
TIMINGS=()

mkdir -p "$LOGS"

now() { date +%s; }
fail_item() { FAILURES+=("$1"); }
# Shows the end of a log right after a failure, so CI output explains itself.
show_tail() { tail -n "${2:-20}" "$1" | sed 's/^/    | /'; echo "    (full log: $1)"; }

# --- one check (build, static analysis, ...) = one test --------------------------------------
# run_check NAME LOG TIMEOUT CMD...
run_check() {
  local name=$1 log=$2 limit=$3; shift 3
  local t0 rc
  t0=$(now)
  mkdir -p "$(dirname "$log")"
  { timeout -k 10 "$limit" "$@" >"$log" 2>&1; } 2>/dev/null
  rc=$?
  if [ $rc -eq 0 ]; then
    PASSED=$((PASSED + 1))
    printf '  ok    %-40s %4ss\n' "$name" "$(( $(now) - t0 ))"
  else
    FAILED=$((FAILED + 1))
    local why="exit $rc"
    [ $rc -eq 124 ] && why="timed out after ${limit}s"
    printf '  FAIL  %-40s %4ss (%s)\n' "$name" "$(( $(now) - t0 ))" "$why"
    show_tail "$log" 25
    fail_item "$name ($why)"
  fi
  return $rc
}

# --- cmocka binaries ---------------------------------------------------------------------------
# Sum of the N in every "[  <word>  ] N test(s)" summary line (a binary may run several
# groups; cmocka does not end its last stderr line, so the match is not anchored).
cm_count() { grep -oE "\[ +$1 +\] [0-9]+ test\(s\)" "$2" | grep -oE '[0-9]+ test' | awk '{s += $1} END {print s + 0}'; }

run_unit_dir() {
  local dir=$1 label=${2:-$1}
  local bins=() b src
  shopt -s nullglob
  for b in "$dir"/test/test_*; do
    [ -f "$b" ] && [ -x "$b" ] || continue
    case $b in *.d|*.o|*.log) continue ;; esac
    bins+=("$b")
  done
  # A source without a binary is a test that did not build: count it rather than hide it.
  for src in test/unit/test_*.c; do
    b=$dir/test/$(basename "$src" .c)
    if [ ! -x "$b" ]; then
      FAILED=$((FAILED + 1))
      printf '  FAIL  %-40s (not built)\n' "$label/$(basename "$b")"
      fail_item "$label/$(basename "$b") (not built)"
    fi
  done
  shopt -u nullglob
  if [ ${#bins[@]} -eq 0 ]; then
    echo "  (no unit test binaries in $dir/test)"
    return 0
  fi
  local logdir=$LOGS/unit/$(echo "$label" | tr '/' '_')
  mkdir -p "$logdir"
  for b in "${bins[@]}"; do
    local name log rc p f s t0 extra=""
    name=$(basename "$b")
    # Only binaries whose source still exists: a deleted test must not keep passing.
    if [ -d test/unit ] && [ ! -f "test/unit/$name.c" ]; then
      continue
    fi
    log=$logdir/$name.log
    t0=$(now)
    # Tests run from the repository root; temporary files go under build/ or $TMPDIR.
    { timeout -k 10 "$UNIT_TIMEOUT" "$b" >"$log" 2>&1; } 2>/dev/null
    rc=$?
    p=$(cm_count PASSED "$log")
    f=$(cm_count FAILED "$log")
    s=$(cm_count SKIPPED "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      # No failure summary: the binary died (or hung) inside a test. What finished before
      # counts as it was reported; the test that was running is one more failure.
      # (A summary followed by a non-zero exit is e.g. LeakSanitizer at exit: one failure.)
      local running=""
      if ! grep -qE '\[  PASSED  \] [0-9]+ test' "$log"; then
        p=$(grep -cE '^\[       OK \] ' "$log")
        f=$(grep -cE '^\[  FAILED  \] [A-Za-z_][A-Za-z0-9_]*$' "$log")
        running=$(grep -oE '^\[ RUN      \] .*' "$log" | tail -n1 | sed 's/^\[ RUN      \] //')
      fi
      f=$((f + 1))
      if [ $rc -eq 124 ]; then extra="timed out after ${UNIT_TIMEOUT}s"
      elif [ $rc -gt 128 ]; then extra="killed by signal $((rc - 128))"
      elif grep -q 'ERROR: \(Address\|Leak\|UndefinedBehavior\)Sanitizer\|runtime error:' "$log"; then
        extra="sanitizer: $(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: .*\|runtime error: .*' "$log" | cut -c1-100)"
      else extra="exit $rc without a failure summary"
      fi
      [ -n "$running" ] && extra="$extra (in $running)"
    elif [ "$rc" -eq 0 ] && [ $((p + f + s)) -eq 0 ]; then
      p=1
    fi
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
    local sk=""
    [ "$s" -gt 0 ] && sk=", $s skipped"
    if [ "$f" -gt 0 ]; then
      local which
      which=$(grep -oE '^\[  FAILED  \] [A-Za-z_][A-Za-z0-9_]*$' "$log" | awk '{print $NF}' | sort -u | paste -sd, -)
      printf '  FAIL  %-40s %3s passed, %s failed%s %4ss\n' "$label/$name" "$p" "$f" "$sk" "$(( $(now) - t0 ))"
      [ -n "$extra" ] && echo "    $extra"
      show_tail "$log" 15
      fail_item "$label/$name: ${which:+$which${extra:+, }}$extra"
    else
      printf '  ok    %-40s %3s passed%s %4ss\n' "$label/$name" "$p" "$sk" "$(( $(now) - t0 ))"
    fi
  done
}

# --- PASS:/FAIL:/SKIP: producers (interop scripts, fuzz smoke) ---------------------------------
# run_lines NAME LOG TIMEOUT CMD...
run_lines() {
  local name=$1 log=$2 limit=$3; shift 3
  local t0 rc p f s extra=""
  t0=$(now)
  mkdir -p "$(dirname "$log")"
  { timeout -k 10 "$limit" "$@" >"$log" 2>&1; } 2>/dev/null
  rc=$?
  p=$(grep -c '^PASS: ' "$log")
  f=$(grep -c '^FAIL: ' "$log")
  s=$(grep -c '^SKIP: ' "$log")
  if [ $rc -eq 124 ]; then
    extra="timed out after ${limit}s"; f=$((f + 1))
  elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    extra="exit $rc without a FAIL line"; f=1
  elif [ $rc -eq 0 ] && [ $((p + f + s)) -eq 0 ]; then
    p=1
  fi
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
  local summary="$p passed"
  [ "$f" -gt 0 ] && summary+=", $f failed"
  [ "$s" -gt 0 ] && summary+=", $s skipped"
  if [ "$f" -gt 0 ]; then
    printf '  FAIL  %-40s %s %4ss\n' "$name" "$summary" "$(( $(now) - t0 ))"
    [ -n "$extra" ] && echo "    $extra"
    grep '^FAIL: ' "$log" | sed 's/^/    /' | head -n 20
    show_tail "$log" 15
    while IFS= read -r line; do fail_item "$name: ${line#FAIL: }"; done < <(grep '^FAIL: ' "$log" | head -n 20)
    [ "$(grep -c '^FAIL: ' "$log")" -gt 20 ] && fail_item "$name: ... and $(( $(grep -c '^FAIL: ' "$log") - 20 )) more FAIL lines in $log"
    [ -n "$extra" ] && fail_item "$name: $extra"
  else
    printf '  ok    %-40s %s %4ss\n' "$name" "$summary" "$(( $(now) - t0 ))"
    grep '^SKIP: ' "$log" | sed 's/^/    /' | head -n 5
  fi
  return 0
}

run_interop() {
  shopt -s nullglob
  local scripts=(test/interop/test_*.sh)
  shopt -u nullglob
  if [ ${#scripts[@]} -eq 0 ]; then
    echo "  (no interop scripts)"
    return 0
  fi
  export PKIOT_TOP=$TOP PKIOT_BUILD=${PKIOT_BUILD:-build/host} PKIOT_TEST_LOG_DIR=$TOP/$LOGS/interop
  local sc
  for sc in "${scripts[@]}"; do
    run_lines "interop/$(basename "$sc")" "$LOGS/interop/$(basename "$sc" .sh).log" "$INTEROP_TIMEOUT" bash "$sc"
  done
}

# --- phases ------------------------------------------------------------------------------------
phase_t0=0 phase_name=""
phase() {
  [ -n "$phase_name" ] && TIMINGS+=("$phase_name $(( $(now) - phase_t0 ))s")
  phase_name=$1; phase_t0=$(now)
  [ -n "$1" ] && echo "== $1"
}

summary() {
  phase ""
  if [ ${#FAILURES[@]} -gt 0 ]; then
    echo
    echo "Failed:"
    printf '  %s\n' "${FAILURES[@]}"
  fi
  if [ ${#TIMINGS[@]} -gt 0 ]; then
    echo
    echo "Time: $(IFS=,; echo "${TIMINGS[*]}" | sed 's/,/, /g'), total $(( $(now) - START ))s"
  fi
  local line="$PASSED passed, $FAILED failed"
  [ "$SKIPPED" -gt 0 ] && line+=", $SKIPPED skipped"
  echo "$line"
  [ "$FAILED" -eq 0 ]
}

# build NAME MAKE-ARGS...   (-k: build everything that can be built, so its tests still run)
build() {
  local name=$1; shift
  run_check "build $name" "$LOGS/build/$(echo "$name" | tr ' /' '__').log" "$BUILD_TIMEOUT" \
    "$MAKE" --no-print-directory -k -j"$JOBS" PKIOT_DEFCONFIG= "$@"
}

START=$(now)
mode=${1:-all}
[ $# -gt 0 ] && shift
case $mode in
  unit)
    [ $# -gt 0 ] || { echo "usage: $0 unit BUILD_DIR..." >&2; exit 2; }
    phase "unit tests"
    for d in "$@"; do run_unit_dir "$d"; done
    summary; exit $?
    ;;
  interop)
    phase "interop"
    run_interop
    summary; exit $?
    ;;
  all) ;;
  *) echo "usage: $0 unit BUILD_DIR... | interop | all" >&2; exit 2 ;;
esac

HOST="TARGET=host SAN="
phase "build"
# Relinking is cheap; a test or fuzz binary left over from an earlier build must not run in
# place of one whose sources no longer compile (make -k keeps going past such a failure).
rm -f build/host/test/test_* build/host-clang/test/test_* build/host-asan/test/test_* build/fuzz/fuzz_* \
  build/host-port-path/test/test_*
build "host gcc"    $HOST CC=gcc   BUILD=build/host       lib ports unit test-prereqs
build "host clang"  $HOST CC=clang BUILD=build/host-clang lib ports unit
build "host asan"   TARGET=host SAN=asan CC=gcc BUILD=build/host-asan lib ports unit
for t in cortex-m3 cortex-m4 cortex-m33; do
  build "$t" TARGET=$t BUILD=build/$t lib ports
done
# The smallest profile: catches code that only compiles with every protocol enabled.
run_check "build cortex-m4 est profile" "$LOGS/build/cortex-m4-est.log" "$BUILD_TIMEOUT" \
  "$MAKE" --no-print-directory -k -j"$JOBS" TARGET=cortex-m4 \
  PKIOT_DEFCONFIG=configs/cortex_m_est_defconfig BUILD=build/cortex-m4-est lib
# The device profiles' certificate path checks (the crypto port's cert_verify, Mbed TLS) on
# the host: its unit tests below, its EST interop run in test/interop/test_est_port_path.sh.
run_check "build host, path checks in the crypto port" "$LOGS/build/host-port-path.log" \
  "$BUILD_TIMEOUT" "$MAKE" --no-print-directory -k -j"$JOBS" TARGET=host SAN= CC=gcc \
  PKIOT_DEFCONFIG=configs/host_port_path_defconfig BUILD=build/host-port-path lib ports unit \
  examples
build "fuzz targets" fuzz-build

phase "unit (gcc)"
run_unit_dir build/host host
phase "unit (clang)"
run_unit_dir build/host-clang host-clang
phase "unit (asan+ubsan)"
run_unit_dir build/host-asan host-asan
phase "unit (path checks in the crypto port)"
run_unit_dir build/host-port-path host-port-path

phase "fuzz smoke"
shopt -s nullglob
fuzz_names=()
for src in test/fuzz/fuzz_*.c; do
  n=$(basename "$src" .c); n=${n#fuzz_}
  # A target that did not build is already counted in "build fuzz targets".
  [ -x "build/fuzz/fuzz_$n" ] && fuzz_names+=("$n")
done
shopt -u nullglob
if [ ${#fuzz_names[@]} -gt 0 ]; then
  run_lines "fuzz smoke (${#fuzz_names[@]} targets, ${FUZZ_SMOKE_SECONDS}s each)" "$LOGS/fuzz-smoke.log" \
    $(( (FUZZ_SMOKE_SECONDS + 150) * ${#fuzz_names[@]} )) \
    "$MAKE" --no-print-directory -k -j"$JOBS" FUZZ="${fuzz_names[*]}" \
    FUZZ_SMOKE_SECONDS="$FUZZ_SMOKE_SECONDS" fuzz-smoke
else
  echo "  (no fuzz targets)"
fi

phase "interop"
run_interop

phase "bench smoke"
run_lines "bench smoke (make bench, short)" "$LOGS/bench-smoke.log" 1200 \
  env MAKE="$MAKE" JOBS="$JOBS" bash scripts/bench-smoke.sh "$LOGS/bench"

phase "checks"
run_check "check-heap" "$LOGS/check-heap.log" 300 bash scripts/check-heap.sh
run_check "cppcheck" "$LOGS/cppcheck.log" 900 "$MAKE" --no-print-directory TARGET=host SAN= CC=gcc BUILD=build/host PKIOT_DEFCONFIG= cppcheck
run_lines "size budgets" "$LOGS/size.log" 600 bash scripts/check-size.sh

summary
