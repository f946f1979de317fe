#!/usr/bin/env bash
# The lwIP sockets-API net port (ports/lwip/pkiot_lwip_sockets.c) run on an operating system:
# test/lwip-sockets/lws_enroll.c brings up lwIP 2.2 with its unix port (pthreads, NO_SYS=0)
# on a TAP device and enrolls over EST (pkiot engine, pkiot_tls over the port, HTTP Basic)
# against Cisco libest's estserver. The TAP device, the server and the program all live in a
# private network namespace (test/interop/est_env.sh), so the host's network is untouched:
#
#   namespace: estserver (any address) -- 10.0.2.2/24 tap0 ==TAP== lwIP 10.0.2.15 (lws-enroll)
#
# Cases: enrollment with an address literal (certificate checked with openssl: chains to the
# test CA, carries the device key), the port used non-blocking (pkiot_step and the port itself
# report would-block), traffic really on the TAP link, a host name through lwip_getaddrinfo()
# (local host table), a request larger than lwIP's send buffer (partial sends), a connection
# reset mid-response (retried), and failures: a foreign trust anchor (PKIOT_E_TLS_VERIFY),
# no server listening (PKIOT_E_NET_CONNECT, on every attempt), a name that does not resolve
# (PKIOT_E_NET_DNS).
#
# Prints PASS:/FAIL: lines; exit 0 when nothing failed, 1 otherwise. Where it cannot run (no
# network namespaces, no /dev/net/tun, no lwIP unix port, no openssl) it prints SKIP: and
# exits 0. Takes about 2 s once built (about 20 s building everything from scratch).
# Environment: PKIOT_LWS_BUILD (build directory of lws-enroll; default $PKIOT_BUILD, else
# build/host), PKIOT_LWS_SKIP_BUILD=1 (use what is built), LWS_INTEROP_DIR (work directory,
# default build/interop/lwip-sockets).
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
T0=$(date +%s)
# Given to make as it is: build/host and $TOP/build/host are different flag sets to make.
B=${PKIOT_LWS_BUILD:-${PKIOT_BUILD:-build/host}}
case $B in /*) BIN=$B/lws-enroll ;; *) BIN=$TOP/$B/lws-enroll ;; esac
W=${LWS_INTEROP_DIR:-$TOP/build/interop/lwip-sockets}
LWIP_DIR=${LWIP_DIR:-$TOP/third_party/lwip}
TAP=tap0
DEV_IP=10.0.2.15
SRV_IP=10.0.2.2
SRV_NAME=est.pkiot.test

skip() { echo "SKIP: lwip-sockets: $1"; exit 0; }
command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
[ -f "$LWIP_DIR/contrib/ports/unix/port/sys_arch.c" ] || skip "no lwIP unix port in $LWIP_DIR/contrib (run 'make deps')"
[ -c /dev/net/tun ] || skip "no /dev/net/tun (TUN/TAP driver)"
. test/interop/est_env.sh
est_env_check >/dev/null 2>&1 || skip "network namespaces not permitted (need root or CAP_SYS_ADMIN)"

if [ "${PKIOT_LWS_SKIP_BUILD:-0}" != 1 ]; then
  mkdir -p "$W"
  make -s -j"$(nproc)" BUILD="$B" lwip-sockets >"$W/../lwip-sockets-build.log" 2>&1 ||
    { echo "FAIL: lwip-sockets: build of lws-enroll"; tail -n 20 "$W/../lwip-sockets-build.log"; exit 1; }
  make -s libest >"$W/../lwip-sockets-libest.log" 2>&1 || { echo "FAIL: lwip-sockets: libest build"; exit 1; }
fi
[ -x "$BIN" ] || { echo "FAIL: lwip-sockets: $BIN missing"; exit 1; }

rm -rf "$W"
mkdir -p "$W"
PKI=$W/pki
est_env_ca "$PKI" >/dev/null || { echo "FAIL: lwip-sockets: test PKI"; exit 1; }
TRUST=$PKI/trust.pem
# The server certificate also names the host name case's $SRV_NAME (and keeps the address).
cat > "$W/server-ext.cnf" <<EOF
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:$SRV_NAME, DNS:localhost, IP:$SRV_IP, IP:127.0.0.1
EOF
{ openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/server.key" \
    -subj "/CN=$SRV_NAME" -out "$W/server.csr" &&
  openssl x509 -req -in "$W/server.csr" -CA "$PKI/root.crt" -CAkey "$PKI/root.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 2 -sha256 -extfile "$W/server-ext.cnf" \
    -out "$PKI/server.crt"; } >/dev/null 2>&1 || { echo "FAIL: lwip-sockets: server certificate"; exit 1; }

# Namespace with the TAP device (the kernel's side of the link), then estserver inside it.
est_env_netns >/dev/null 2>&1 || skip "cannot create a network namespace"
if ! ip -n "$EST_NS" tuntap add dev "$TAP" mode tap 2>"$W/tuntap.log"; then
  skip "cannot create a TAP device in the namespace: $(head -n1 "$W/tuntap.log")"
fi
ip -n "$EST_NS" addr add "$SRV_IP/24" dev "$TAP" && ip -n "$EST_NS" link set "$TAP" up ||
  { echo "FAIL: lwip-sockets: cannot configure $TAP"; exit 1; }
est_env_start "$PKI" -d 300 >/dev/null || { echo "FAIL: lwip-sockets: estserver start"; exit 1; }

nfail=0
pass() { echo "PASS: lwip-sockets: $1"; }
fail() { echo "FAIL: lwip-sockets: $1${2:+ ($2)}"; nfail=$((nfail + 1)); }
show() { sed 's/^/    | /' "$1" | tail -n "${2:-15}"; }

# lws NAME ARGS...: run the program in the namespace, output in $W/NAME.log, status returned.
lws() {
  local name=$1; shift
  est_env_exec timeout 60 "$BIN" --tap "$TAP" --ip "$DEV_IP" --gw "$SRV_IP" --trust "$TRUST" \
    --user "$EST_USER:$EST_PASS" --backoff-ms 100 --timeout 30 --verbose "$@" >"$W/$name.log" 2>&1
}
num() { grep -o "$2=[0-9]*" "$W/$1.log" | tail -n1 | cut -d= -f2; }
result() { grep -o 'lws: result .*' "$W/$1.log" | cut -c1-160; }
pub_of_cert() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -c1-64; }
pub_of_key() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-64; }
# cert_ok CERT KEY: chains to the test CA and carries the key
cert_ok() {
  openssl verify -CAfile "$TRUST" "$1" >/dev/null 2>&1 || return 1
  [ -n "$(pub_of_cert "$1")" ] && [ "$(pub_of_cert "$1")" = "$(pub_of_key "$2")" ]
}
tap_rx() { ip -n "$EST_NS" -s -j link show "$TAP" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["bytes"])' 2>/dev/null || echo 0; }
URL=https://$SRV_IP:$EST_PORT

# --- 1. enrollment with an address literal --------------------------------------------------
rx0=$(tap_rx)
lws enroll --server "$URL" --subject "CN=lws-device,O=pkiot" --san "DNS:lws-device.pkiot.test" \
  --out "$W/enroll.pem" --key-out "$W/enroll.key"
rc=$?
rx1=$(tap_rx)
if [ $rc = 0 ] && grep -q '^lws: result OK' "$W/enroll.log"; then
  pass "EST simpleenroll over lwIP sockets + TLS + HTTP Basic ($(num enroll port_connects) connections, $(num enroll elapsed_ms) ms)"
else
  fail "EST simpleenroll over lwIP sockets + TLS + HTTP Basic" "exit $rc; $(result enroll)"
  show "$W/enroll.log"
fi
if [ $rc = 0 ] && cert_ok "$W/enroll.pem" "$W/enroll.key" &&
   openssl x509 -in "$W/enroll.pem" -noout -subject 2>/dev/null | grep -q 'CN *= *lws-device' &&
   openssl x509 -in "$W/enroll.pem" -noout -ext subjectAltName 2>/dev/null | grep -q 'DNS:lws-device.pkiot.test'; then
  pass "issued certificate chains to the test CA, carries the device key, subject and SAN"
else
  fail "issued certificate chains to the test CA, carries the device key, subject and SAN"
fi
wr=$(num enroll want_read); ww=$(num enroll want_write)
pc=$(num enroll port_connect_want); pr=$(num enroll port_recv_want)
if [ "${wr:-0}" -gt 0 ] && [ "${ww:-0}" -gt 0 ] && [ "${pc:-0}" -gt 0 ] && [ "${pr:-0}" -gt 0 ]; then
  pass "non-blocking: pkiot_step returned WANT_READ $wr and WANT_WRITE $ww times; the port's connect would-block $pc, recv $pr times"
else
  fail "non-blocking: WANT_READ/WANT_WRITE from pkiot_step and would-block from the port" \
    "want_read=$wr want_write=$ww port_connect_want=$pc port_recv_want=$pr"
fi
if [ $((rx1 - rx0)) -gt 2000 ]; then
  pass "the connections ran over the TAP link (the namespace's $TAP received $((rx1 - rx0)) bytes from lwIP)"
else
  fail "the connections ran over the TAP link" "$TAP received $((rx1 - rx0)) bytes"
fi

# --- 2. a host name: lwip_getaddrinfo() with lwIP's local host table ---------------------------
lws name --server "https://$SRV_NAME:$EST_PORT" --resolve "$SRV_NAME:$SRV_IP" --subject "CN=lws-by-name" \
  --out "$W/name.pem" --key-out "$W/name.key"
rc=$?
if [ $rc = 0 ] && grep -q "connected to $SRV_NAME:$EST_PORT" "$W/name.log" && cert_ok "$W/name.pem" "$W/name.key"; then
  pass "host name resolved by lwip_getaddrinfo, server name checked by TLS, enrolled"
else
  fail "host name resolved by lwip_getaddrinfo, server name checked by TLS, enrolled" "exit $rc; $(result name)"
  show "$W/name.log"
fi

# --- 3. a request larger than TCP_SND_BUF (1072 bytes): lwIP accepts it in parts --------------
sans=()
for i in 1 2 3 4 5 6 7 8; do sans+=(--san "DNS:device-$i.a-rather-long-subdomain-name-for-this-test.pkiot.test"); done
lws big --server "$URL" --subject "CN=lws-big,O=pkiot test organisation,OU=lwIP sockets" "${sans[@]}" \
  --out "$W/big.pem" --key-out "$W/big.key"
rc=$?
sp=$(num big port_send_partial)
nsan=$(openssl x509 -in "$W/big.pem" -noout -ext subjectAltName 2>/dev/null | grep -o 'DNS:device-' | wc -l)
if [ $rc = 0 ] && [ "${sp:-0}" -gt 0 ] && [ "$nsan" = 8 ] && cert_ok "$W/big.pem" "$W/big.key"; then
  pass "request larger than lwIP's send buffer: $sp partial sends, $(num big port_send_want) would-block, 8 SANs issued"
else
  fail "request larger than lwIP's send buffer" "exit $rc, partial sends ${sp:-?}, SANs $nsan; $(result big)"
  show "$W/big.log"
fi

# --- 4. connection reset in the middle of the response, then a retry -------------------------
rm -f "$W/proxy.port"
ip netns exec "$EST_NS" python3 test/tools/faultproxy.py --listen "$SRV_IP:9443" \
  --target "127.0.0.1:$EST_PORT" --phase mid-body --cut-mode reset --fault-conn 2 --max-conns 3 \
  --timeout 40 --port-file "$W/proxy.port" --log "$W/proxy.jsonl" >"$W/proxy.log" 2>&1 &
PROXY=$!
for _ in $(seq 1 50); do [ -s "$W/proxy.port" ] && break; sleep 0.1; done
lws reset --server "https://$SRV_IP:9443" --subject "CN=lws-reset" --out "$W/reset.pem" --key-out "$W/reset.key"
rc=$?
kill "$PROXY" 2>/dev/null; wait "$PROXY" 2>/dev/null
if [ $rc = 0 ] && grep -q 'lws: net: \(recv\|send\): PKIOT_E_NET_CLOSED' "$W/reset.log" &&
   grep -q '"faulted": true' "$W/proxy.jsonl" 2>/dev/null && cert_ok "$W/reset.pem" "$W/reset.key"; then
  pass "connection reset mid-response: the port reports PKIOT_E_NET_CLOSED, the retry on a new socket enrolls"
else
  fail "connection reset mid-response, then a retry" "exit $rc; $(result reset)"
  show "$W/reset.log"
fi

# --- 5. failures ------------------------------------------------------------------------------
lws foreign --server "$URL" --trust "$PKI/foreign-root.crt" --subject "CN=lws-foreign" --out "$W/foreign.pem"
rc=$?
if [ $rc = 1 ] && grep -q '^lws: result FAIL PKIOT_E_TLS_VERIFY' "$W/foreign.log" && [ ! -e "$W/foreign.pem" ]; then
  pass "foreign trust anchor: refused with PKIOT_E_TLS_VERIFY"
else
  fail "foreign trust anchor: refused with PKIOT_E_TLS_VERIFY" "exit $rc; $(result foreign)"
  show "$W/foreign.log"
fi

# Nothing listens on port 9: the kernel answers the SYN with a reset, on each of 2 attempts.
lws down --server "https://$SRV_IP:9" --max-attempts 2 --subject "CN=lws-down" --out "$W/down.pem"
rc=$?
if [ $rc = 1 ] && grep -q '^lws: result FAIL PKIOT_E_NET_CONNECT' "$W/down.log" &&
   [ "$(grep -c 'lws: net: connect: PKIOT_E_NET_CONNECT' "$W/down.log")" = 2 ]; then
  pass "server down: PKIOT_E_NET_CONNECT from the port on both attempts"
else
  fail "server down: PKIOT_E_NET_CONNECT from the port on both attempts" "exit $rc; $(result down)"
  show "$W/down.log"
fi

lws nodns --server "https://unknown.pkiot.test:$EST_PORT" --max-attempts 1 --subject "CN=lws-nodns" --out "$W/nodns.pem"
rc=$?
if [ $rc = 1 ] && grep -q '^lws: result FAIL PKIOT_E_NET_DNS' "$W/nodns.log"; then
  pass "unknown host name: PKIOT_E_NET_DNS"
else
  fail "unknown host name: PKIOT_E_NET_DNS" "exit $rc; $(result nodns)"
  show "$W/nodns.log"
fi

echo "lwip-sockets: $nfail failed, $(( $(date +%s) - T0 )) s"
[ "$nfail" = 0 ]
