#!/usr/bin/env bash
# Network bring-up of the QEMU MPS2 boards: the qemu-net-smoke firmware gets an address by
# DHCP from QEMU's user-mode network, connects with the pkiot lwIP net port to an HTTP server
# on the host and fetches a page and a 1 MiB file. Then, when the Mbed TLS cross build is
# available, the qemu-tls-smoke firmware does a verified TLS handshake with `openssl s_server`
# and a GET inside it, and must refuse a server whose certificate does not chain to its CA.
#
# Everything runs inside a private network namespace that has only loopback, so the HTTP
# server's port cannot collide with anything else on the machine. Prints PASS:/FAIL: per
# check and exits 0 when all pass, 1 otherwise, 77 (with SKIP: lines) when QEMU, the cross
# compiler or network namespaces are unavailable.
#
# Environment: QEMU (default qemu-system-arm), QEMU_TIMEOUT seconds per run (default 60),
# PKIOT_QEMU_SKIP_BUILD=1 to use already-built images, PKIOT_QEMU_TLS_BUILD=dir-prefix to
# build the TLS images (and their Mbed TLS) in <prefix>-<target> instead of build/<target>,
# PKIOT_QEMU_NO_TLS=1 to skip the TLS checks.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
QEMU=${QEMU:-qemu-system-arm}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-60}
BOARDS=("qemu-mps2-an385:cortex-m3" "qemu-mps2-an386:cortex-m4")
NS="pkiot-qemu-$$"
TMP=""
HTTP_PID=""
TLS_PID=""
QEMU_PID=""

skip() {
    for b in "${BOARDS[@]}"; do
        echo "SKIP: qemu-net/${b%%:*}: $1"
    done
    exit 77
}

cleanup() {
    if [ -n "$QEMU_PID" ]; then kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null; fi
    if [ -n "$HTTP_PID" ]; then kill "$HTTP_PID" 2>/dev/null; wait "$HTTP_PID" 2>/dev/null; fi
    if [ -n "$TLS_PID" ]; then kill "$TLS_PID" 2>/dev/null; wait "$TLS_PID" 2>/dev/null; fi
    ip netns del "$NS" 2>/dev/null
    [ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v "$QEMU" >/dev/null 2>&1 || skip "$QEMU not installed"
"$QEMU" -M none -netdev help 2>/dev/null | grep -qx user || skip "$QEMU lacks user-mode networking"
command -v arm-none-eabi-gcc >/dev/null 2>&1 || skip "arm-none-eabi-gcc not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
ip netns add "$NS" 2>/dev/null || skip "network namespaces not permitted (need root or CAP_SYS_ADMIN)"
ip netns exec "$NS" ip link set lo up || skip "cannot bring up loopback in a network namespace"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pkiot-qemu-net.XXXXXX")

tls_build_dir() { # tls_build_dir <target>
    if [ -n "${PKIOT_QEMU_TLS_BUILD:-}" ]; then echo "$PKIOT_QEMU_TLS_BUILD-$1"; else echo "build/$1"; fi
}

TLS_SKIP=""
[ "${PKIOT_QEMU_NO_TLS:-0}" = 1 ] && TLS_SKIP="disabled by PKIOT_QEMU_NO_TLS"
command -v openssl >/dev/null 2>&1 || TLS_SKIP="openssl not installed"
if [ "${PKIOT_QEMU_SKIP_BUILD:-0}" != 1 ]; then
    for b in "${BOARDS[@]}"; do
        if ! make -C "$ROOT" --no-print-directory TARGET="${b#*:}" BOARD="${b%%:*}" \
                qemu-net-smoke >"$TMP/build.log" 2>&1; then
            echo "FAIL: qemu-net/${b%%:*}: firmware build failed"
            tail -20 "$TMP/build.log" | sed 's/^/    | /'
            exit 1
        fi
        if [ -z "$TLS_SKIP" ] && ! make -C "$ROOT" --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" \
                TARGET="${b#*:}" BOARD="${b%%:*}" BUILD="$(tls_build_dir "${b#*:}")" \
                qemu-tls-smoke >"$TMP/build-tls.log" 2>&1; then
            TLS_SKIP="TLS firmware (Mbed TLS cross build) does not build: $(grep -m1 -iE 'error|no rule' "$TMP/build-tls.log")"
        fi
    done
fi
mkdir -p "$TMP/www"
printf '<html><body>pkiot qemu smoke</body></html>\n' > "$TMP/www/index.html"
head -c 1048576 /dev/urandom > "$TMP/www/bulk.bin"
BULK_SIZE=1048576

# A fixed port is fine: the namespace is ours alone.
PORT=8000
ip netns exec "$NS" python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$TMP/www" \
    >"$TMP/http.log" 2>&1 &
HTTP_PID=$!
for _ in $(seq 1 50); do
    if ip netns exec "$NS" python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
kill -0 "$HTTP_PID" 2>/dev/null || { echo "FAIL: qemu-net: HTTP server did not start"; cat "$TMP/http.log"; exit 1; }

# run_qemu <machine> <elf> <append> <log>: runs QEMU in the namespace, returns its status.
run_qemu() {
    ip netns exec "$NS" timeout "$QEMU_TIMEOUT" "$QEMU" -M "$1" -nographic \
        -semihosting-config enable=on,target=native -nic user,model=lan9118 \
        -kernel "$2" -append "$3" </dev/null >"$4" 2>&1 &
    QEMU_PID=$!
    wait "$QEMU_PID"
    local rc=$?
    QEMU_PID=""
    return $rc
}

failed=0
report() { # report <name> <ok> <log> <why>
    if [ "$2" = 1 ]; then
        echo "PASS: $1"
    else
        echo "FAIL: $1: $4"
        sed 's/^/    | /' "$3"
        failed=1
    fi
}

for b in "${BOARDS[@]}"; do
    board=${b%%:*}
    target=${b#*:}
    machine=${board#qemu-}
    elf="$ROOT/build/$target/qemu-net-smoke.elf"
    if [ ! -f "$elf" ]; then
        echo "FAIL: qemu-net/$board: $elf missing"
        failed=1
        continue
    fi

    log="$TMP/$board-get.log"
    run_qemu "$machine" "$elf" "port=$PORT path=/ flash=$TMP/$board-flash.bin timeout=30" "$log"
    rc=$?
    ok=0
    if [ $rc -eq 0 ] && grep -q '^http: status line "HTTP/1.0 200 OK"' "$log" \
            && grep -q '^flash: save/load/erase round trip ok' "$log" && grep -q '^PASS:' "$log"; then
        ok=1
    fi
    report "qemu-net/$board" $ok "$log" "exit status $rc"

    log="$TMP/$board-bulk.log"
    run_qemu "$machine" "$elf" "port=$PORT path=/bulk.bin timeout=30" "$log"
    rc=$?
    ok=0
    if [ $rc -eq 0 ] && grep -q "body $BULK_SIZE bytes" "$log"; then
        ok=1
    fi
    report "qemu-net-bulk/$board" $ok "$log" "exit status $rc"
done

# --- TLS: verified handshake with openssl s_server, and a server the device must refuse ----
if [ -n "$TLS_SKIP" ]; then
    for b in "${BOARDS[@]}"; do echo "SKIP: qemu-tls/${b%%:*}: $TLS_SKIP"; done
    exit $failed
fi

mkcert() { # mkcert <dir>: EC P-256 CA and a server certificate for pkiot-test-server
    mkdir -p "$1"
    openssl ecparam -name prime256v1 -genkey -noout -out "$1/ca.key" &&
    openssl req -x509 -new -key "$1/ca.key" -subj "/CN=pkiot qemu test CA" -days 2 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
        -out "$1/ca.pem" &&
    openssl ecparam -name prime256v1 -genkey -noout -out "$1/srv.key" &&
    openssl req -new -key "$1/srv.key" -subj "/CN=pkiot-test-server" -out "$1/srv.csr" &&
    printf 'subjectAltName=DNS:pkiot-test-server\nextendedKeyUsage=serverAuth\n' > "$1/ext.cnf" &&
    openssl x509 -req -in "$1/srv.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial \
        -days 2 -extfile "$1/ext.cnf" -out "$1/srv.pem"
} >/dev/null 2>&1
mkcert "$TMP/pki" && mkcert "$TMP/other" || { echo "FAIL: qemu-tls: test certificates"; exit 1; }

TLS_PORT=4433
ip netns exec "$NS" openssl s_server -accept "$TLS_PORT" -cert "$TMP/pki/srv.pem" \
    -key "$TMP/pki/srv.key" -www -quiet >"$TMP/s_server.log" 2>&1 &
TLS_PID=$!
for _ in $(seq 1 50); do
    if ip netns exec "$NS" python3 -c "import socket; socket.create_connection(('127.0.0.1', $TLS_PORT), 1)" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
kill -0 "$TLS_PID" 2>/dev/null || { echo "FAIL: qemu-tls: openssl s_server did not start"; cat "$TMP/s_server.log"; exit 1; }

for b in "${BOARDS[@]}"; do
    board=${b%%:*}
    target=${b#*:}
    machine=${board#qemu-}
    elf="$ROOT/$(tls_build_dir "$target")/qemu-tls-smoke.elf"
    if [ ! -f "$elf" ]; then
        echo "SKIP: qemu-tls/$board: $elf missing"
        continue
    fi
    log="$TMP/$board-tls.log"
    run_qemu "$machine" "$elf" "port=$TLS_PORT ca=$TMP/pki/ca.pem sni=pkiot-test-server timeout=60" "$log"
    rc=$?
    ok=0
    if [ $rc -eq 0 ] && grep -q '^tls: TLSv1\.[23] .*server verified' "$log" \
            && grep -q '^https: status line "HTTP/1.0 200 ok"' "$log"; then
        ok=1
    fi
    report "qemu-tls/$board" $ok "$log" "exit status $rc"

    log="$TMP/$board-tls-badca.log"
    run_qemu "$machine" "$elf" "port=$TLS_PORT ca=$TMP/other/ca.pem sni=pkiot-test-server timeout=60" "$log"
    rc=$?
    ok=0
    if [ $rc -eq 1 ] && grep -q '^handshake: .*X509' "$log"; then
        ok=1
    fi
    report "qemu-tls-badca/$board" $ok "$log" "exit status $rc (expected a refused handshake)"
done

exit $failed
