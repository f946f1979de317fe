#!/usr/bin/env bash
# Footprint gate for the test run: `make size` with budget enforcement (configs/size_budgets.txt)
# and one PASS:/FAIL: line per budget, so scripts/run-tests.sh can count them (run_lines).
# Prints SKIP: and exits 0 when the Arm cross compiler is not installed. Exits non-zero when a
# budget is exceeded or the build fails (then with a FAIL: line of its own).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
CROSS_COMPILE=${CROSS_COMPILE:-arm-none-eabi-}
if ! command -v "${CROSS_COMPILE}gcc" >/dev/null 2>&1; then
  echo "SKIP: size: ${CROSS_COMPILE}gcc not installed"
  exit 0
fi
# Sub-makes get exactly the variables passed here, not those of a calling make.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
out=$(mktemp "${TMPDIR:-/tmp}/pkiot-size.XXXXXX")
trap 'rm -f "$out"' EXIT
make --no-print-directory -j"${JOBS:-$(nproc 2>/dev/null || echo 2)}" SIZE_LINES=1 size 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
# Over budget: size.py already printed the FAIL: lines. Anything else is a build/tool error.
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$out"; then
  echo "FAIL: size: make size failed (exit $rc)"
fi
exit "$rc"
