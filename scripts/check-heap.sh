#!/usr/bin/env bash
# Zero-malloc check: no object in a built pkiot archive may reference the C library's heap.
#
#   scripts/check-heap.sh [archive...]
#
# Without arguments: every build/*/libpkiot.a and build/*/libpkiot_ports.a, plus the Mbed TLS
# archive of cross builds (on the device Mbed TLS must run on its static arena; on the host it
# legitimately uses calloc/free). ARM archives are read with arm-none-eabi-nm.
# Prints each offending archive, object and symbol; exits 1 if there is any, or if there is
# nothing to check.
set -uo pipefail
cd "$(dirname "$0")/.."

FORBIDDEN='malloc calloc realloc free strdup strndup reallocarray aligned_alloc posix_memalign
memalign valloc pvalloc asprintf vasprintf _malloc_r _free_r _calloc_r _realloc_r _strdup_r
_strndup_r _memalign_r'

archives=("$@")
if [ ${#archives[@]} -eq 0 ]; then
  shopt -s nullglob
  archives=(build/*/libpkiot.a build/*/libpkiot_ports.a build/*/libpkiot_mbedtls3p.a)
fi

is_arm() { readelf -h "$1" 2>/dev/null | grep -m1 -q 'Machine:.*ARM'; }

pattern="^($(echo $FORBIDDEN | tr ' ' '|'))\$"
checked=0 bad=0
for a in "${archives[@]}"; do
  [ -f "$a" ] || { echo "check-heap: $a: no such archive" >&2; bad=$((bad + 1)); continue; }
  if is_arm "$a"; then
    nm=${CROSS_COMPILE:-arm-none-eabi-}nm
  else
    # The host Mbed TLS build uses the C library's calloc/free by design.
    case $a in */libpkiot_mbedtls3p.a) [ $# -eq 0 ] && continue ;; esac
    nm=${NM:-nm}
  fi
  # nm -A: "archive:object:         U symbol"
  if ! out=$($nm -A -u "$a" 2>&1); then
    echo "check-heap: $nm failed on $a: $out" >&2; bad=$((bad + 1)); continue
  fi
  hits=$(printf '%s\n' "$out" | awk -v pat="$pattern" '$NF ~ pat { n = split($1, p, ":"); print "  " p[n-1] ": " $NF }' | sort -u)
  checked=$((checked + 1))
  if [ -n "$hits" ]; then
    echo "check-heap: $a references the heap:"
    printf '%s\n' "$hits"
    bad=$((bad + 1))
  fi
done

if [ $checked -eq 0 ] && [ $bad -eq 0 ]; then
  echo "check-heap: no archives under build/ (build first, e.g. make lib ports)" >&2
  exit 1
fi
if [ $bad -ne 0 ]; then
  echo "check-heap: FAILED ($bad of ${#archives[@]} archives)"
  exit 1
fi
echo "check-heap: $checked archives, no allocator references"
