#!/usr/bin/env bash
# The EST interop checks of test_est.sh once more, with pkiot-enroll built from
# configs/host_port_path_defconfig: certificate paths (issued certificate, /cacerts) checked by
# the crypto port's cert_verify, i.e. Mbed TLS's validator, as in the device profiles. Fewer
# byte-offset cut points than test_est.sh (resuming does not depend on the path check).
# Prints PASS:/FAIL:/SKIP: lines with a "[port path]" mark; exit status as test_est.sh.
set -uo pipefail
TOP=${PKIOT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$TOP/build/host-port-path/pkiot-enroll
if [ ! -x "$BIN" ]; then
  echo "FAIL: [port path] $BIN is not built (make test builds it: PKIOT_DEFCONFIG=configs/host_port_path_defconfig)"
  exit 1
fi
PKIOT_ENROLL=$BIN EST_INTEROP_DIR=$TOP/build/interop/est-port-path EST_CUTS=${EST_CUTS:-8} \
  bash "$TOP/test/interop/test_est.sh" | sed -u -E 's/^(PASS|FAIL|SKIP): /\1: [port path] /'
