#!/usr/bin/env bash
# Builds Cisco libest, the EST test peer, from Debian's patched source tree
# (third_party/libest, unpacked with its quilt series applied by `make deps`).
#
#   test/interop/libest_build.sh            build into build/libest (prefix)
#
# The source tree is copied to build/libest-src and built there: autoreconf has to run
# (Debian's patches touch configure.ac and src/est/Makefile.am, and dh runs dh_autoreconf),
# and it would otherwise write into third_party/. Configuration follows debian/rules
# (--enable-brski, hardening=+all build flags) plus --with-uriparser-dir=/usr so the server
# accepts an optional CA label path segment (/.well-known/est/<label>/<op>); without
# uriparser libest rejects every URI that is not exactly /.well-known/est/<op>.
# Output: build/libest/bin/{estserver,estclient,...}, build/libest/lib/libest.so.3
# (binaries carry an rpath to it). The log is build/libest-src/pkiot-build.log.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SRC=${LIBEST_SRC_DIR:-$TOP/third_party/libest}
PREFIX=${LIBEST_PREFIX:-$TOP/build/libest}
WORK=${LIBEST_WORK_DIR:-$TOP/build/libest-src}
JOBS=${LIBEST_JOBS:-$(nproc 2>/dev/null || echo 2)}

if [ ! -f "$SRC/configure.ac" ] || [ ! -f "$SRC/example/server/estserver.c" ]; then
  echo "libest: no source in $SRC; run 'make deps' first" >&2
  exit 1
fi
for tool in autoreconf libtoolize make cc; do
  command -v "$tool" >/dev/null || { echo "libest: '$tool' missing; run 'make deps'" >&2; exit 1; }
done

# Only our own two output folders are replaced, never anything else under build/.
case "$WORK" in */libest-src) ;; *) echo "libest: refusing work dir $WORK" >&2; exit 1 ;; esac
case "$PREFIX" in */libest) ;; *) echo "libest: refusing prefix $PREFIX" >&2; exit 1 ;; esac

# Several `make libest` may run at once (parallel test runs): one builds, the others wait
# and reuse its result when it was made from the same source and the same build recipe.
mkdir -p "$(dirname "$PREFIX")"
exec 9>"$PREFIX.lock"
flock 9
KEY="$(cat "$0" | sha256sum | cut -c1-16) $(stat -c %Y "$SRC/configure.ac" 2>/dev/null) $(stat -c %Y "$SRC/.pkiot-ready" 2>/dev/null)"
if [ -f "$PREFIX/.pkiot-build-key" ] && [ "$(cat "$PREFIX/.pkiot-build-key")" = "$KEY" ] && \
   [ -x "$PREFIX/bin/estserver" ] && [ -x "$PREFIX/bin/estclient" ]; then
  exit 0
fi
rm -rf "$WORK" "$PREFIX"
mkdir -p "$(dirname "$WORK")"
cp -a "$SRC" "$WORK"
rm -rf "$WORK/.pc"
LOG=$WORK/pkiot-build.log
: > "$LOG"

fail() {
  echo "libest: $1 failed; last lines of $LOG:" >&2
  tail -n 30 "$LOG" >&2
  exit 1
}

# Debian's hardening flags, when dpkg-buildflags is there (dpkg-dev).
CFLAGS_D="-g -O2"
CPPFLAGS_D=""
LDFLAGS_D=""
if command -v dpkg-buildflags >/dev/null; then
  export DEB_BUILD_MAINT_OPTIONS=hardening=+all
  CFLAGS_D=$(dpkg-buildflags --get CFLAGS)
  CPPFLAGS_D=$(dpkg-buildflags --get CPPFLAGS)
  LDFLAGS_D=$(dpkg-buildflags --get LDFLAGS)
fi

URI_OPT=()
if [ -f /usr/include/uriparser/Uri.h ]; then
  URI_OPT=(--with-uriparser-dir=/usr)
else
  echo "libest: liburiparser-dev missing: CA label path segments will be rejected (make deps installs it)" >&2
fi

cd "$WORK"
{ autoreconf -fi; } >>"$LOG" 2>&1 || fail autoreconf
./configure --prefix="$PREFIX" --enable-brski --disable-static "${URI_OPT[@]}" \
  CFLAGS="$CFLAGS_D" CPPFLAGS="$CPPFLAGS_D" LDFLAGS="$LDFLAGS_D" >>"$LOG" 2>&1 || fail configure
make -j"$JOBS" >>"$LOG" 2>&1 || fail make
make install >>"$LOG" 2>&1 || fail "make install"

for b in estserver estclient; do
  [ -x "$PREFIX/bin/$b" ] || fail "install of $b"
done
echo "$KEY" > "$PREFIX/.pkiot-build-key"
echo "libest: built $PREFIX/bin/estserver and estclient" >&2
