#!/usr/bin/env bash
# Installs everything the build and the tests need on Debian 12, idempotently.
# - apt packages from the machine's configured archive;
# - Mbed TLS 3.6 and lwIP 2.2 (and libest, the EST test peer) sources via `apt-get source`
#   from the trixie suite, using a private apt state under build/apt so the system's apt
#   configuration is never modified. The deb-src URI is read from the system's own sources.
# MBEDTLS_DIR / LWIP_DIR set by the user skip the corresponding download.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
TP=$TOP/third_party
STAMP_DIR=$TOP/build/deps
mkdir -p "$TP" "$STAMP_DIR"

APT_PKGS=(build-essential clang llvm libclang-rt-14-dev gcc-arm-none-eabi libnewlib-arm-none-eabi
  binutils-arm-none-eabi qemu-system-arm python3 python3-kconfiglib libcmocka-dev openssl
  libssl-dev valgrind cppcheck dpkg-dev xz-utils bzip2 iproute2 pebble scep
  autoconf automake libtool pkg-config liburiparser-dev curl)

log() { [ -n "${PKIOT_DEPS_QUIET:-}" ] || echo "deps: $*" >&2; }

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- private apt state for source packages -------------------------------------------------
APT_DIR=$TOP/build/apt
apt_src_opts() {
  echo -o "Dir::State=$APT_DIR/state" -o "Dir::State::Lists=$APT_DIR/lists" \
       -o "Dir::Cache=$APT_DIR/cache" -o "Dir::Etc::SourceList=$APT_DIR/sources.list" \
       -o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d" -o "Dir::State::status=/var/lib/dpkg/status" \
       -o "APT::Sandbox::User=root"
}
archive_uri() {
  # First Debian archive URI (not the security one) in the system's apt sources.
  local uri
  uri=$( (cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true) | awk '/^URIs:/{for(i=2;i<=NF;i++) print $i}' | grep -v security | head -n1)
  [ -n "$uri" ] || uri=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true) | awk '$1=="deb"||$1=="deb-src"{for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' | grep -v security | head -n1)
  [ -n "$uri" ] || { echo "deps: no Debian archive URI in the apt configuration" >&2; exit 1; }
  echo "$uri"
}
setup_private_apt() {
  [ -f "$APT_DIR/.updated" ] && return 0
  mkdir -p "$APT_DIR"/{state,lists/partial,cache/archives/partial,sources.list.d}
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(archive_uri) trixie main" > "$APT_DIR/sources.list"
  log "updating private apt state (trixie sources)"
  # shellcheck disable=SC2046
  apt-get $(apt_src_opts) update -qq >/dev/null
  touch "$APT_DIR/.updated"
}
fetch_source() { # name dir-glob link
  local pkg=$1 link=$2
  [ -e "$TP/$link/.pkiot-ready" ] && return 0
  setup_private_apt
  local work=$TP/.src-$pkg
  rm -rf "$work"; mkdir -p "$work"
  log "fetching $pkg source (trixie)"
  # shellcheck disable=SC2046
  (cd "$work" && apt-get $(apt_src_opts) source -qq "$pkg" >/dev/null 2>&1) \
    || (cd "$work" && apt-get $(apt_src_opts) source --download-only -qq "$pkg" >/dev/null && dpkg-source -x --skip-debianization ./*.dsc >/dev/null)
  local dir
  dir=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
  [ -n "$dir" ] || { echo "deps: could not unpack $pkg" >&2; exit 1; }
  rm -rf "${TP:?}/$link"
  mv "$dir" "$TP/$link"
  rm -rf "$work"
  touch "$TP/$link/.pkiot-ready"
}

[ -n "${MBEDTLS_DIR:-}" ] || fetch_source mbedtls mbedtls
[ -n "${LWIP_DIR:-}" ] || fetch_source lwip lwip
fetch_source libest libest
exit 0
