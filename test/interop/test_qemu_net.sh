#!/usr/bin/env bash
# Network bring-up of the QEMU MPS2 boards: the qemu-net-smoke firmware gets an address by
# DHCP from QEMU's user-mode network, connects with the pkiot lwIP net port to an HTTP server
# on the host and fetches a page and a 1 MiB file.
#
# Everything runs inside a private network namespace that has only loopback, so the HTTP
# server's port cannot collide with anything else on the machine. Prints PASS:/FAIL: per
# check and exits 0 when all pass, 1 otherwise, 77 (with SKIP: lines) when QEMU, the cross
# compiler or network namespaces are unavailable.
#
# Environment: QEMU (default qemu-system-arm), QEMU_TIMEOUT seconds per run (default 60),
# PKIOT_QEMU_SKIP_BUILD=1 to use already-built images.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
QEMU=${QEMU:-qemu-system-arm}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-60}
BOARDS=("qemu-mps2-an385:cortex-m3" "qemu-mps2-an386:cortex-m4")
NS="pkiot-qemu-$$"
TMP=""
HTTP_PID=""
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

if [ "${PKIOT_QEMU_SKIP_BUILD:-0}" != 1 ]; then
    for b in "${BOARDS[@]}"; do
        if ! make -C "$ROOT" --no-print-directory TARGET="${b#*:}" BOARD="${b%%:*}" \
                qemu-net-smoke >/dev/null; then
            echo "FAIL: qemu-net/${b%%:*}: firmware build failed"
            exit 1
        fi
    done
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pkiot-qemu-net.XXXXXX")
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

exit $failed
