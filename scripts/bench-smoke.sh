#!/usr/bin/env bash
# Short runs of the benchmarks for `make test` (the benchmarks themselves are `make bench`):
# proves they still run and that the device figure keeps its two claims, identical counts
# from run to run and "everything else" within 10 %. Prints PASS:/FAIL:/SKIP: lines.
#
#   bash scripts/bench-smoke.sh LOGDIR
#
# MAKE (default make) and JOBS (default nproc) as in scripts/run-tests.sh.
set -u
cd "$(dirname "$0")/.." || exit 2
LOGDIR=${1:?usage: $0 LOGDIR}
MAKE=${MAKE:-make}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$LOGDIR"

est_log=$LOGDIR/bench-est.log
"$MAKE" --no-print-directory -j"$JOBS" TARGET=host SAN= CC=gcc BUILD=build/host PKIOT_DEFCONFIG= \
  BENCH_N=2 bench-est >"$est_log" 2>&1
rc=$?
if grep -q '^bench-est: skipped' "$est_log"; then
  echo "SKIP: bench-est: $(grep -m1 '^bench-est: skipped' "$est_log")"
elif [ $rc -eq 0 ] && grep -q 'estclient' "$est_log"; then
  echo "PASS: bench-est: pkiot-enroll and estclient measured, 2 runs each"
else
  echo "FAIL: bench-est exited $rc (log $est_log)"
fi

dev_log=$LOGDIR/bench-device.log
"$MAKE" --no-print-directory BENCH_RUNS=2 bench-device >"$dev_log" 2>&1
rc=$?
if grep -q '^bench-device: skipped' "$dev_log"; then
  echo "SKIP: bench-device: $(grep -m1 '^bench-device: skipped' "$dev_log")"
  exit 0
fi
if [ $rc -ne 0 ]; then
  echo "FAIL: bench-device exited $rc (log $dev_log)"
  exit 0
fi
echo "PASS: bench-device: enrollment and re-enrollment ran twice on the emulated Cortex-M4"
n=$(grep -c 'repeatability: the instruction counts are identical in all 2 runs' "$dev_log")
if [ "$n" -eq 2 ]; then
  echo "PASS: bench-device: instruction counts identical in both runs (enrollment, re-enrollment)"
else
  echo "FAIL: bench-device: counts not identical between runs ($n of 2 figures; log $dev_log)"
fi
n=$(grep -c 'everything else: .* (aim <= 10%): met' "$dev_log")
if [ "$n" -eq 2 ]; then
  echo "PASS: bench-device: everything but crypto and handshakes within 10 % of the total"
else
  echo "FAIL: bench-device: 'everything else' over 10 % ($n of 2 figures met; log $dev_log)"
fi
exit 0
