#!/usr/bin/env bash
# Device cost of one enrollment: the qemu-enroll firmware, built with PKIOT_BENCH=1, enrolls
# against Cisco libest's estserver several times under `qemu-system-arm -icount shift=0`
# (one virtual nanosecond per guest instruction, so its clock counts instructions). Each
# run prints one line
#     BENCH total=<n> crypto=<n> tls_handshake=<n> other=<n> arena_peak=<bytes>
# and scripts/bench_device.py checks that the runs agree and prints the table.
#
# estserver binds every address: it and QEMU run inside a private network namespace
# (test/interop/est_env.sh); the guest reaches the namespace's 127.0.0.1 as 10.0.2.2.
#
# Environment:
#   BENCH_ELF       firmware image (default build/cortex-m4/qemu-enroll.elf)
#   BENCH_RUNS      enrollments (default 5)
#   BENCH_MACHINE   QEMU machine (default mps2-an386, the Cortex-M4 board)
#   BENCH_TIMEOUT   seconds per run (default 300)
#   BENCH_APPEND    firmware arguments replacing the defaults below; "@PORT@", "@CA@" and
#                   "@FLASH@" are substituted
#   BENCH_EXTRA     arguments appended to the defaults
#   BENCH_MARKDOWN=1  also print a markdown table
#   QEMU, PYTHON
# Exit: 0 measured, 1 a run failed or printed no BENCH line, 2 usage/build problem,
#       77 skipped (no network namespaces, no QEMU).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
TOP=$PWD

ELF=${BENCH_ELF:-build/cortex-m4/qemu-enroll.elf}
RUNS=${BENCH_RUNS:-5}
MACHINE=${BENCH_MACHINE:-mps2-an386}
TIMEOUT=${BENCH_TIMEOUT:-300}
QEMU=${QEMU:-qemu-system-arm}
PYTHON=${PYTHON:-/usr/bin/python3}
NM=${CROSS_COMPILE:-arm-none-eabi-}nm
DEFAULT_APPEND='host=10.0.2.2 port=@PORT@ ca=@CA@ flash=@FLASH@ user=estuser:estpwd subject=CN=pkiot-bench'
APPEND=${BENCH_APPEND:-$DEFAULT_APPEND${BENCH_EXTRA:+ $BENCH_EXTRA}}

say() { echo "bench-device: $*" >&2; }

[ -f "$ELF" ] || { say "$ELF not found (make TARGET=cortex-m4 PKIOT_BENCH=1 qemu-enroll)"; exit 2; }
if command -v "$NM" >/dev/null 2>&1 && ! "$NM" "$ELF" 2>/dev/null | grep ' qe_bench$' >/dev/null; then
  say "$ELF has no bench counters: build it with PKIOT_BENCH=1"
  exit 2
fi
command -v "$QEMU" >/dev/null 2>&1 || { say "SKIP: $QEMU not installed"; exit 77; }
case $RUNS in ''|*[!0-9]*|0) say "BENCH_RUNS must be a positive number"; exit 2 ;; esac

# shellcheck source=../test/interop/est_env.sh
. test/interop/est_env.sh
est_env_check || exit $?

mkdir -p build/bench-device
WORK=$(mktemp -d "$TOP/build/bench-device/run.XXXXXX")
# The last run's files stay for inspection; older run directories are removed.
for old in build/bench-device/run.*; do
  [ "$old" = "build/bench-device/$(basename "$WORK")" ] || rm -rf "$old"
done

est_env_ca "$WORK/pki" >/dev/null || { say "test PKI failed"; exit 2; }
est_env_start "$WORK/pki" || exit $?

QEMU_PID=""
# shellcheck disable=SC2317  # called from the EXIT trap
on_exit_qemu() { if [ -n "$QEMU_PID" ]; then kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null; fi; }
trap 'exit 130' INT
trap 'exit 143' TERM
# est_env installed an EXIT trap (est_env_stop); run ours first, then its.
prev=$(trap -p EXIT | sed "s/^trap -- '\(.*\)' EXIT$/\1/")
# shellcheck disable=SC2064
trap "bench_rc=\$?; on_exit_qemu; (exit \$bench_rc); $prev" EXIT

say "$RUNS enrollment(s) of $ELF on $MACHINE, -icount shift=0, estserver port $EST_PORT"
logs=()
failed=0
for i in $(seq 1 "$RUNS"); do
  log=$WORK/run-$i.log
  args=${APPEND//@PORT@/$EST_PORT}
  args=${args//@CA@/$EST_DIR/trust.pem}
  args=${args//@FLASH@/$WORK/flash-$i.bin}
  t0=$(date +%s.%N)
  est_env_exec timeout -k 5 "$TIMEOUT" "$QEMU" -M "$MACHINE" -nographic \
    -semihosting-config enable=on,target=native -icount shift=0 \
    -nic user,model=lan9118 -kernel "$TOP/$ELF" -append "$args" </dev/null >"$log" 2>&1 &
  QEMU_PID=$!
  wait "$QEMU_PID"
  rc=$?
  QEMU_PID=""
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  bench=$(grep -m1 '^BENCH ' "$log" || true)
  if [ $rc -ne 0 ] || [ -z "$bench" ]; then
    say "run $i: exit $rc after ${secs}s$([ -z "$bench" ] && echo ', no BENCH line'); log $log:"
    tail -n 25 "$log" | sed 's/^/    | /' >&2
    failed=1
    continue
  fi
  say "run $i: ${secs}s host time: $bench"
  logs+=("$log")
done

[ ${#logs[@]} -gt 0 ] || { say "no successful run"; exit 1; }
"$PYTHON" scripts/bench_device.py --elf "$ELF" --machine "$MACHINE" --server "libest estserver" \
  ${BENCH_MARKDOWN:+--markdown} "${logs[@]}"
rc=$?
[ $failed -eq 0 ] || rc=1
exit $rc
