#!/usr/bin/env bash
# Static analysis for `make cppcheck`: lib/ and ports/, each port with the configuration it is
# built with. Any finding (warning, portability, performance, error) fails.
#
#   scripts/cppcheck.sh GEN_DIR      GEN_DIR holds the generated pkiot_config.h
#
# Third-party headers (Mbed TLS) are deliberately not on the include path: cppcheck does not
# read the system headers, so Mbed TLS's check_config.h misfires without them (CHAR_BIT), and
# findings in third-party code are not ours to fix. lwIP's headers are needed, because the
# lwIP port's own #if/#error checks read its options; they are reported nowhere else.
# Reviewed false positives live in scripts/cppcheck-suppressions.xml (or inline, next to the
# code, as "// cppcheck-suppress <id>").
set -uo pipefail
cd "$(dirname "$0")/.."

GEN=${1:?usage: $0 GEN_DIR}
LWIP_DIR=${LWIP_DIR:-third_party/lwip}
LWIP_CONFIG_DIR=${LWIP_CONFIG_DIR:-boards/common}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
OUT=build/cppcheck

common=(--quiet --error-exitcode=1 --std=c11 --language=c
        --enable=warning,portability,performance --inline-suppr
        --suppress-xml=scripts/cppcheck-suppressions.xml
        --template='{file}:{line}:{column}: {severity}: {message} [{id}]'
        -Iinclude -I"$GEN" -Iports '-DPKIOT_CONFIG_FILE="pkiot_config.h"')
rc=0
run() { # NAME ARGS...
  local name=$1; shift
  mkdir -p "$OUT/$name"
  cppcheck "${common[@]}" --cppcheck-build-dir="$OUT/$name" "$@" || rc=1
}

# lib/ and every port except lwIP, as built for the host (64-bit, POSIX).
shopt -s nullglob
ports=()
for d in ports/*/; do
  d=${d%/}
  [ "$d" = ports/lwip ] || ports+=("$d")
done
run host --platform=unix64 --library=posix -j "$JOBS" \
  -Iconfigs/mbedtls '-DMBEDTLS_CONFIG_FILE="pkiot_mbedtls_config.h"' lib "${ports[@]}"

# lwIP port: the raw-API variant with the boards' NO_SYS=1 options, the sockets variant with
# the NO_SYS=0 options it is compile-checked with. Both 32-bit, as on the devices.
if [ -d ports/lwip ]; then
  if [ ! -d "$LWIP_DIR/src/include" ]; then
    echo "cppcheck: no lwIP headers in $LWIP_DIR: run 'make deps' or set LWIP_DIR" >&2
    rc=1
  else
    for f in ports/lwip/*.c; do
      case $f in
        *sockets*) cfg=ports/lwip/check ;;
        *) cfg=$LWIP_CONFIG_DIR ;;
      esac
      run "lwip-$(basename "$f" .c)" --platform=unix32 -Iports/lwip -I"$cfg" -I"$LWIP_DIR/src/include" \
        --suppress="*:$LWIP_DIR/*" "$f"
    done
  fi
fi
exit $rc
