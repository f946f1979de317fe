#!/usr/bin/env bash
# Self-test of the test tools: every fake_est_server.py scenario and every faultproxy.py
# fault, checked with curl, openssl and est_raw.py inside a private network namespace.
#
#   test/tools/selftest.sh          exit 0 passed, 1 failed, 77 skipped (no namespaces)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../interop/est_env.sh
. "$TOP/test/interop/est_env.sh"
est_env_check || exit $?
for t in curl openssl python3; do
  command -v "$t" >/dev/null || { echo "FAIL: $t not installed (make deps)" >&2; exit 1; }
done
mkdir -p "$TOP/build"
WORK=$(mktemp -d "$TOP/build/tools-selftest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
D=$WORK/pki
est_env_ca "$D" >/dev/null || { echo "FAIL: est_env_ca" >&2; exit 1; }
est_env_netns || exit $?

PASS=0
FAIL=0
ok()  { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
check() {
  local name=$1; shift
  if "$@" >"$WORK/last.out" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/     | /' "$WORK/last.out" | tail -n 12; fi
}
T=$TOP/test/tools
HB() { python3 "$T/http_body.py" "$@"; }
P=/.well-known/est

FAKE_PID=
fake() { # fake PORT ARGS... : start fake_est_server.py in the namespace, wait for its port
  local port=$1; shift
  rm -f "$WORK/fake.port"
  est_env_exec python3 "$T/fake_est_server.py" --pki "$D" --port "$port" --port-file "$WORK/fake.port" \
    --timeout 60 --log "$WORK/fake.log" "$@" 2>>"$WORK/fake.err" &
  FAKE_PID=$!
  local i
  for i in $(seq 1 100); do [ -s "$WORK/fake.port" ] && return 0; sleep 0.05; done
  echo "fake server did not start" >&2
  return 1
}
stop_fake() {
  [ -n "$FAKE_PID" ] || return 0
  kill "$FAKE_PID" 2>/dev/null
  wait "$FAKE_PID" 2>/dev/null
  FAKE_PID=
}
RAW() { est_env_exec python3 "$T/est_raw.py" --cafile "$D/trust.pem" --timeout 5 "$@"; }
ENR=(--method POST --content-type application/pkcs10 --body-file "$D/device.csr.b64")
CURL() { est_env_exec curl -sS --max-time 10 --cacert "$D/trust.pem" "$@"; }
p7_one_cert() { # p7_one_cert RESPONSE -> $WORK/cert.pem
  HB "$1" --der --out "$WORK/p7.der" && openssl pkcs7 -inform DER -in "$WORK/p7.der" -print_certs -out "$WORK/cert.pem" &&
    grep -q 'BEGIN CERTIFICATE' "$WORK/cert.pem"
}
same_key() {
  [ "$(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" = \
    "$(openssl pkey -in "$2" ${3:+-inform "$3"} -pubout -outform DER | sha256sum)" ]
}

echo "# fake_est_server.py"
fake 9100 --scenario ok
RAW --port 9100 --out "$WORK/ok-cacerts.http" >/dev/null
check "ok: cacerts is the PKI's CA set" sh -c "
  python3 $T/http_body.py $WORK/ok-cacerts.http --der --out $WORK/c.der &&
  openssl pkcs7 -inform DER -in $WORK/c.der -print_certs | openssl x509 -noout -fingerprint -sha256 >$WORK/a &&
  openssl x509 -in $D/cacerts.pem -noout -fingerprint -sha256 >$WORK/b && cmp $WORK/a $WORK/b"
RAW --port 9100 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/ok-enroll.http" >/dev/null
check "ok: simpleenroll issues a cert for the CSR key, chaining to the trust anchor" sh -c "
  $(declare -f p7_one_cert HB same_key); T=$T WORK=$WORK; p7_one_cert $WORK/ok-enroll.http &&
  openssl verify -CAfile $D/trust.pem $WORK/cert.pem && same_key $WORK/cert.pem $D/device.key"
check "ok: curl enrolls (HTTP/1.1 200)" sh -c "ip netns exec $EST_NS curl -sS --cacert $D/trust.pem -i -H 'Content-Type: application/pkcs10' --data-binary @$D/device.csr.b64 https://localhost:9100$P/simplereenroll | head -1 | grep -q '200 OK'"
RAW --port 9100 --path $P/csrattrs --out "$WORK/ok-attrs.http" >/dev/null
check "ok: csrattrs decodes to DER CsrAttrs" sh -c "python3 $T/http_body.py $WORK/ok-attrs.http --der --out $WORK/a.der && openssl asn1parse -inform DER -in $WORK/a.der | grep -q challengePassword"
RAW --port 9100 "${ENR[@]}" --path $P/serverkeygen --out "$WORK/ok-skg.http" > "$WORK/ok-skg.sum"
check "ok: serverkeygen multipart: PKCS#8 key + cert for that key, exact Content-Length" sh -c "
  $(declare -f HB same_key); T=$T;
  grep -q 'beyond_content_length=0 ' $WORK/ok-skg.sum &&
  HB $WORK/ok-skg.http --part 1 --der --out $WORK/k.der && openssl pkey -inform DER -in $WORK/k.der -noout &&
  HB $WORK/ok-skg.http --part 2 --der --out $WORK/k.p7 && openssl pkcs7 -inform DER -in $WORK/k.p7 -print_certs -out $WORK/k.crt &&
  same_key $WORK/k.crt $WORK/k.der DER"
RAW --port 9100 --path $P/anylabel/cacerts --out "$WORK/ok-label.http" >/dev/null
check "ok: any CA label accepted" sh -c "[ \"\$(python3 $T/http_body.py $WORK/ok-label.http --status)\" = 200 ]"
check "ok: JSON request log" sh -c "grep -q '\"label\": \"anylabel\"' $WORK/fake.log && grep -q '\"op\": \"serverkeygen\"' $WORK/fake.log"
RAW --port 9100 --out "$WORK/ok-close.http" > "$WORK/ok-close.sum"
check "ok: ends a connection with close_notify" grep -q "closed=close_notify" "$WORK/ok-close.sum"
stop_fake

run_enroll() { # run_enroll SCENARIO PORT EXTRA... -> $WORK/SCENARIO.http, summary in .sum
  local s=$1 port=$2; shift 2
  fake "$port" --scenario "$s" "$@" || return 1
  RAW --port "$port" "${ENR[@]}" --path $P/simpleenroll --out "$WORK/$s.http" > "$WORK/$s.sum" 2>&1
  stop_fake
}
status_of() { HB "$1" --status; }

run_enroll bad-base64 9101
check "bad-base64: 200 whose body does not decode" sh -c "[ \"\$(python3 $T/http_body.py $WORK/bad-base64.http --status)\" = 200 ] && ! python3 $T/http_body.py $WORK/bad-base64.http --der"
run_enroll truncated 9102
check "truncated: Content-Length larger than the body, then EOF without close_notify" sh -c "grep -q 'beyond_content_length=-' $WORK/truncated.sum && grep -q 'closed=eof-without-close_notify' $WORK/truncated.sum"
run_enroll no-content-length 9103
check "no-content-length: HTTP/1.0, no Content-Length, body ends at close" sh -c "head -1 $WORK/no-content-length.http | grep -q 'HTTP/1.0 200' && ! python3 $T/http_body.py $WORK/no-content-length.http --header Content-Length && python3 $T/http_body.py $WORK/no-content-length.http --der >/dev/null"
run_enroll wrong-content-type 9104
check "wrong-content-type: text/html" sh -c "[ \"\$(python3 $T/http_body.py $WORK/wrong-content-type.http --header Content-Type)\" = text/html ]"
fake 9105 --scenario oversize --size 1048576
RAW --port 9105 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/oversize.http" >/dev/null; stop_fake
check "oversize: 1 MiB base64 body" sh -c "[ \"\$(python3 $T/http_body.py $WORK/oversize.http --header Content-Length)\" = 1048576 ] && [ \"\$(python3 $T/http_body.py $WORK/oversize.http --body | wc -c)\" = 1048576 ]"
for c in 500 400 403 404; do
  run_enroll "http-$c" $((9110 + c / 100 + c % 10))
  check "http-$c: status $c with a text/plain body" sh -c "[ \"\$(python3 $T/http_body.py $WORK/http-$c.http --status)\" = $c ] && python3 $T/http_body.py $WORK/http-$c.http --header Content-Type | grep -q text/plain && python3 $T/http_body.py $WORK/http-$c.http --body | grep -q 'simulated failure'"
done
fake 9120 --scenario retry-date --retry-after 30 --retry-count 2 --on simpleenroll
for i in 1 2 3; do RAW --port 9120 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/rd$i.http" >/dev/null; done
RAW --port 9120 --out "$WORK/rd-cacerts.http" >/dev/null
stop_fake
check "retry-date: 202 with an HTTP-date Retry-After twice, then 200" sh -c "
  [ \"\$(python3 $T/http_body.py $WORK/rd1.http --status)\" = 202 ] && [ \"\$(python3 $T/http_body.py $WORK/rd2.http --status)\" = 202 ] &&
  [ \"\$(python3 $T/http_body.py $WORK/rd3.http --status)\" = 200 ] &&
  python3 $T/http_body.py $WORK/rd1.http --header Retry-After | grep -Eq '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT\$'"
check "retry-date --on simpleenroll: other operations are answered (cacerts 200)" sh -c "[ \"\$(python3 $T/http_body.py $WORK/rd-cacerts.http --status)\" = 200 ]"
fake 9121 --scenario retry-delta --retry-after 7
RAW --port 9121 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/rdl1.http" >/dev/null
RAW --port 9121 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/rdl2.http" >/dev/null
stop_fake
check "retry-delta: 202 Retry-After: 7, then 200" sh -c "[ \"\$(python3 $T/http_body.py $WORK/rdl1.http --header Retry-After)\" = 7 ] && [ \"\$(python3 $T/http_body.py $WORK/rdl2.http --status)\" = 200 ]"
fake 9122 --scenario retry-forever --retry-after 5
for i in 1 2 3; do RAW --port 9122 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/rf$i.http" >/dev/null; done
stop_fake
check "retry-forever: always 202" sh -c "[ \"\$(python3 $T/http_body.py $WORK/rf3.http --status)\" = 202 ]"
run_enroll retry-no-header 9123
check "retry-no-header: 202 without Retry-After" sh -c "[ \"\$(python3 $T/http_body.py $WORK/retry-no-header.http --status)\" = 202 ] && ! python3 $T/http_body.py $WORK/retry-no-header.http --header Retry-After"
fake 9124 --scenario chunked --chunk-size 50
check "chunked: curl reassembles a valid certs-only CMS" sh -c "
  ip netns exec $EST_NS curl -sS --cacert $D/trust.pem -D $WORK/ch.head -o $WORK/ch.b64 -H 'Content-Type: application/pkcs10' --data-binary @$D/device.csr.b64 https://localhost:9124$P/simpleenroll &&
  grep -qi '^Transfer-Encoding: chunked' $WORK/ch.head && openssl base64 -d -in $WORK/ch.b64 | openssl pkcs7 -inform DER -print_certs -noout"
RAW --port 9124 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/chunked.http" >/dev/null
stop_fake
check "chunked: raw body has chunk-size lines" sh -c "python3 $T/http_body.py $WORK/chunked.http --body | head -1 | grep -q '^32'"
run_enroll lf-base64 9125
run_enroll crlf-base64 9126
run_enroll nowrap-base64 9127
b64_style() { # b64_style FILE lf|crlf
  python3 - "$1" "$2" <<'EOF'
import sys
raw = open(sys.argv[1], "rb").read()
body = raw.split(b"\r\n\r\n", 1)[1]
eol = b"\r\n" if sys.argv[2] == "crlf" else b"\n"
lines = body.split(eol)
assert lines[-1] == b"", "no final line break"
assert all(len(l) == 64 for l in lines[:-2]), "lines not 64 wide"
assert sys.argv[2] == "crlf" or b"\r" not in body, "CR in an LF body"
EOF
}
check "lf-base64: 64-wide lines ending in LF" b64_style "$WORK/lf-base64.http" lf
check "crlf-base64: 64-wide lines ending in CRLF" b64_style "$WORK/crlf-base64.http" crlf
check "nowrap-base64: one line, no line break" sh -c "[ \"\$(python3 $T/http_body.py $WORK/nowrap-base64.http --body | wc -l)\" = 0 ] && python3 $T/http_body.py $WORK/nowrap-base64.http --der >/dev/null"
fake 9128 --scenario auth-401
RAW --port 9128 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/a1.http" >/dev/null
RAW --port 9128 "${ENR[@]}" --path $P/simpleenroll --user estuser:wrong --out "$WORK/a2.http" >/dev/null
RAW --port 9128 "${ENR[@]}" --path $P/simpleenroll --user estuser:estpwd --out "$WORK/a3.http" >/dev/null
RAW --port 9128 "${ENR[@]}" --path $P/simpleenroll --cert "$D/boot.crt" --key "$D/boot.key" --out "$WORK/a4.http" >/dev/null
check "auth-401: curl -u retries after the Basic challenge" sh -c "ip netns exec $EST_NS curl -sS -o /dev/null -w '%{http_code}' --cacert $D/trust.pem -u estuser:estpwd -H 'Content-Type: application/pkcs10' --data-binary @$D/device.csr.b64 https://localhost:9128$P/simpleenroll | grep -q 200"
stop_fake
check "auth-401: 401 + WWW-Authenticate Basic, 401 for a wrong password, 200 with estuser:estpwd or a PKI client cert" sh -c "
  [ \"\$(python3 $T/http_body.py $WORK/a1.http --status)\" = 401 ] && python3 $T/http_body.py $WORK/a1.http --header WWW-Authenticate | grep -q '^Basic realm=' &&
  [ \"\$(python3 $T/http_body.py $WORK/a2.http --status)\" = 401 ] && [ \"\$(python3 $T/http_body.py $WORK/a3.http --status)\" = 200 ] &&
  [ \"\$(python3 $T/http_body.py $WORK/a4.http --status)\" = 200 ] && grep -q '\"auth\": \"cert:pkiot-bootstrap\"' $WORK/fake.log"
run_enroll garbage 9129
check "garbage: no HTTP status line" sh -c "! head -1 $WORK/garbage.http | grep -q '^HTTP/'"
run_enroll close 9130
check "close: no response at all" grep -q "(no response)" "$WORK/close.sum"
fake 9131 --scenario hang --hang-s 3
est_env_exec python3 "$T/est_raw.py" --cafile "$D/trust.pem" --timeout 1 --port 9131 "${ENR[@]}" --path $P/simpleenroll > "$WORK/hang.sum" 2>&1
stop_fake
check "hang: no answer within the client's timeout" grep -q "(no response)" "$WORK/hang.sum"
fake 9132 --scenario slow --drip 64 --drip-ms 10
RAW --port 9132 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/slow.http" > "$WORK/slow.sum"
stop_fake
check "slow: complete answer, dripped (takes > 0.1 s)" sh -c "grep -q \"'HTTP/1.1 200 OK'.*beyond_content_length=0\" $WORK/slow.sum && grep -Eq 't=(0\\.[1-9]|[1-9])' $WORK/slow.sum"
run_enroll empty-200 9133
check "empty-200: 200 with Content-Length: 0" sh -c "[ \"\$(python3 $T/http_body.py $WORK/empty-200.http --header Content-Length)\" = 0 ]"
run_enroll wrong-cert 9134
check "wrong-cert: chains to the anchor but is not for the CSR key" sh -c "
  $(declare -f p7_one_cert HB same_key); T=$T WORK=$WORK; p7_one_cert $WORK/wrong-cert.http &&
  openssl verify -CAfile $D/trust.pem $WORK/cert.pem && ! same_key $WORK/cert.pem $D/device.key"
run_enroll foreign-chain 9135
check "foreign-chain: cert for the CSR key that does not chain to the anchor" sh -c "
  $(declare -f p7_one_cert HB same_key); T=$T WORK=$WORK; p7_one_cert $WORK/foreign-chain.http &&
  ! openssl verify -CAfile $D/trust.pem $WORK/cert.pem && openssl verify -CAfile $D/foreign-root.crt $WORK/cert.pem && same_key $WORK/cert.pem $D/device.key"
fake 9136 --scenario foreign-chain --on cacerts
RAW --port 9136 --out "$WORK/fc-cacerts.http" >/dev/null
RAW --port 9136 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/fc-enroll.http" >/dev/null
stop_fake
check "--on cacerts: only cacerts is faulted (foreign root), enroll is correct" sh -c "
  $(declare -f p7_one_cert HB); T=$T WORK=$WORK; p7_one_cert $WORK/fc-cacerts.http &&
  openssl x509 -in $WORK/cert.pem -noout -subject | grep -q foreign && p7_one_cert $WORK/fc-enroll.http &&
  openssl verify -CAfile $D/trust.pem $WORK/cert.pem"
run_enroll pem-body 9137
check "pem-body: PEM text instead of base64 DER" sh -c "python3 $T/http_body.py $WORK/pem-body.http --body | head -1 | grep -q 'BEGIN PKCS7'"
fake 9138 --scenario keygen-bad-length
RAW --port 9138 "${ENR[@]}" --path $P/serverkeygen --out "$WORK/kbl.http" > "$WORK/kbl.sum"
stop_fake
check "keygen-bad-length: libest's framing (PKCS#1 key, Content-Length short by the multipart framing)" sh -c "
  grep -q 'beyond_content_length=[1-9]' $WORK/kbl.sum && python3 $T/http_body.py $WORK/kbl.http --part 1 --der --out $WORK/kbl.key &&
  openssl rsa -inform DER -in $WORK/kbl.key -noout -check"
fake 9139 --scenario ok --max-requests 2 --timeout 30
RAW --port 9139 --out "$WORK/m1.http" >/dev/null; RAW --port 9139 --out "$WORK/m2.http" >/dev/null
sleep 0.5
check "--max-requests 2: the server exits by itself" sh -c "! kill -0 $FAKE_PID 2>/dev/null"
stop_fake
fake 9140 --scenario ok --timeout 1
sleep 1.8
check "--timeout 1: the server exits by itself" sh -c "! kill -0 $FAKE_PID 2>/dev/null"
stop_fake
fake 9141 --scenario ok --plain
check "--plain: HTTP without TLS" sh -c "ip netns exec $EST_NS curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:9141$P/cacerts | grep -q 200"
stop_fake

###############################################################################################
echo "# faultproxy.py"
PX_PID=
proxy() { # proxy LISTEN_PORT TARGET_PORT ARGS...
  local lp=$1 tp=$2; shift 2
  rm -f "$WORK/px.port"
  est_env_exec python3 "$T/faultproxy.py" --listen "127.0.0.1:$lp" --target "127.0.0.1:$tp" \
    --port-file "$WORK/px.port" --log "$WORK/px.log" --timeout 30 "$@" 2>>"$WORK/px.err" &
  PX_PID=$!
  local i
  for i in $(seq 1 100); do [ -s "$WORK/px.port" ] && return 0; sleep 0.05; done
  return 1
}
wait_proxy() { local i; for i in $(seq 1 60); do kill -0 "$PX_PID" 2>/dev/null || { wait "$PX_PID" 2>/dev/null; return 0; }; sleep 0.05; done; kill "$PX_PID" 2>/dev/null; wait "$PX_PID" 2>/dev/null; return 1; }
lastlog() { tail -n 1 "$WORK/px.log"; }
jget() { python3 -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))" "$1" "$2"; }

# TLS, through to the fake server (TLS 1.2 like libest)
fake 9200 --scenario ok --timeout 120
: > "$WORK/px.log"
proxy 9300 9200 --max-conns 1
RAW --port 9300 --out "$WORK/px-measure.http" > "$WORK/px-measure.sum"
check "pass-through: --max-conns 1 exits after one connection" wait_proxy
L=$(lastlog)
S2C=$(jget "$L" s2c)
check "pass-through: response intact, log has byte counts (s2c=$S2C) and record counts" sh -c "
  grep -q \"'HTTP/1.1 200 OK'.*beyond_content_length=0\" $WORK/px-measure.sum && [ $S2C -gt 1000 ] &&
  [ \"$(jget "$L" tls)\" = True ] && [ \"$(jget "$L" s2c_app_records)\" -ge 1 ]"

for n in 0 1 5 100 $((S2C / 2)) $((S2C - 40)); do
  proxy 9300 9200 --max-conns 1 --cut-s2c "$n"
  RAW --port 9300 --out "$WORK/px-cut.http" > "$WORK/px-cut.sum" 2>&1
  wait_proxy
  L=$(lastlog)
  if [ "$(jget "$L" s2c)" = "$n" ] && [ "$(jget "$L" end)" = cut ] && ! grep -q "beyond_content_length=0 " "$WORK/px-cut.sum"; then
    ok "cut-s2c $n: exactly $n bytes reached the client, response incomplete"
  else
    bad "cut-s2c $n"; echo "     | $L"; sed 's/^/     | /' "$WORK/px-cut.sum"
  fi
done
proxy 9300 9200 --max-conns 1 --cut-c2s 200
RAW --port 9300 --out "$WORK/px-c2s.http" > "$WORK/px-c2s.sum" 2>&1; wait_proxy
check "cut-c2s 200: 200 bytes reached the server" sh -c "[ \"$(jget "$(lastlog)" c2s)\" = 200 ]"
proxy 9300 9200 --max-conns 1 --cut-s2c 100 --cut-mode reset
RAW --port 9300 --out "$WORK/px-rst.http" > "$WORK/px-rst.sum" 2>&1; wait_proxy
check "cut-mode reset: the client sees a connection reset" grep -qi "reset" "$WORK/px-rst.sum"
for ph in request response-head mid-body after-response; do
  proxy 9300 9200 --max-conns 1 --phase "$ph"
  RAW --port 9300 "${ENR[@]}" --path $P/simpleenroll --out "$WORK/px-$ph.http" > "$WORK/px-$ph.sum" 2>&1
  wait_proxy
  cp "$WORK/px.log" "$WORK/px-$ph.log"
done
check "phase request (TLS): request delivered, no response byte" sh -c "grep -q '(no response)' $WORK/px-request.sum && grep -q 'phase:request' $WORK/px-request.log"
check "phase response-head (TLS): head only, body missing" sh -c "grep -q \"'HTTP/1.1 200 OK' head=[0-9]* body=0\" $WORK/px-response-head.sum"
check "phase mid-body (TLS): head, then EOF inside the body record" sh -c "grep -q \"'HTTP/1.1 200 OK'.*beyond_content_length=-.*eof-without-close_notify\" $WORK/px-mid-body.sum"
check "phase after-response (TLS): full response, close_notify suppressed" sh -c "grep -q 'beyond_content_length=0 closed=eof-without-close_notify' $WORK/px-after-response.sum"
proxy 9300 9200 --max-conns 1 --phase handshake
RAW --port 9300 --out "$WORK/px-hs.http" > "$WORK/px-hs.sum" 2>&1; wait_proxy
check "phase handshake: TLS handshake fails" grep -q "TLS handshake failed" "$WORK/px-hs.sum"
proxy 9300 9200 --max-conns 3 --fault-conn 2 --cut-s2c 10
for i in 1 2 3; do RAW --port 9300 --out "$WORK/px-f$i.http" > "$WORK/px-f$i.sum" 2>&1; done
wait_proxy
check "--fault-conn 2: only the second of three connections is cut" sh -c "
  grep -q 'beyond_content_length=0' $WORK/px-f1.sum && grep -q 'TLS handshake failed' $WORK/px-f2.sum && grep -q 'beyond_content_length=0' $WORK/px-f3.sum"
proxy 9300 9200 --max-conns 1 --delay-ms 800
RAW --port 9300 --out "$WORK/px-delay.http" > "$WORK/px-delay.sum" 2>&1; wait_proxy
check "delay-ms 800: response intact, connection took > 0.8 s" sh -c "grep -q 'beyond_content_length=0' $WORK/px-delay.sum && [ \"$(jget "$(lastlog)" ms)\" -ge 800 ]"
proxy 9300 9200 --max-conns 1 --drip 3 --drip-ms 0
RAW --port 9300 --out "$WORK/px-drip.http" > "$WORK/px-drip.sum" 2>&1; wait_proxy
check "drip 3: response intact" grep -q "beyond_content_length=0" "$WORK/px-drip.sum"
proxy 9300 9200 --max-conns 1 --stall-at 1500 --stall-ms 600 --cut-mode close
RAW --port 9300 --out "$WORK/px-stall.http" > "$WORK/px-stall.sum" 2>&1; wait_proxy
check "stall-at 1500: response intact after the pause" sh -c "grep -q 'beyond_content_length=0' $WORK/px-stall.sum && grep -q 'stall@1500' $WORK/px.log"
proxy 9300 9200 --max-conns 1 --phase request --cut-mode half --hang-ms 1500
est_env_exec python3 "$T/est_raw.py" --cafile "$D/trust.pem" --timeout 0.8 --port 9300 "${ENR[@]}" --path $P/simpleenroll > "$WORK/px-half.sum" 2>&1
wait_proxy
check "cut-mode half: the client times out (no close seen)" grep -q "(no response)" "$WORK/px-half.sum"
stop_fake

# plain HTTP through to the fake server
fake 9201 --scenario ok --plain
for ph in request-head request response-head mid-body after-response; do
  proxy 9301 9201 --max-conns 1 --phase "$ph"
  est_env_exec python3 "$T/est_raw.py" --plain --timeout 3 --port 9301 "${ENR[@]}" --path $P/simpleenroll \
    --keep-alive --out "$WORK/pp-$ph.http" > "$WORK/pp-$ph.sum" 2>&1
  wait_proxy
  cp "$WORK/px.log" "$WORK/pp-$ph.log"
done
check "plain request-head: the server got the head only (c2s = head length)" sh -c "
  grep -q '(no response)' $WORK/pp-request-head.sum && tail -1 $WORK/pp-request-head.log | grep -q 'phase:request-head'"
check "plain request: full request delivered, no response" sh -c "grep -q '(no response)' $WORK/pp-request.sum"
check "plain response-head: head, no body" sh -c "grep -q \"'HTTP/1.1 200 OK' head=[0-9]* body=0\" $WORK/pp-response-head.sum"
check "plain mid-body: half of Content-Length" sh -c "python3 - $WORK/pp-mid-body.http <<'EOF'
import sys
raw = open(sys.argv[1], 'rb').read()
head, body = raw.split(b'\r\n\r\n', 1)
cl = int([l.split(b':')[1] for l in head.split(b'\r\n') if l.lower().startswith(b'content-length')][0])
assert len(body) == cl // 2, (len(body), cl)
EOF"
check "plain after-response: whole response, then the cut (keep-alive connection)" sh -c "grep -q \"beyond_content_length=0 closed=fin\" $WORK/pp-after-response.sum"
proxy 9301 9201 --max-conns 1 --phase connect
est_env_exec python3 "$T/est_raw.py" --plain --timeout 3 --port 9301 > "$WORK/pp-connect.sum" 2>&1; wait_proxy
check "phase connect: closed before contacting the target" sh -c "grep -q '(no response)' $WORK/pp-connect.sum && tail -1 $WORK/px.log | grep -q '\"c2s\": 0'"
stop_fake
proxy 9302 9299 --timeout 1
sleep 1.6
check "--timeout 1: the proxy exits by itself" sh -c "! kill -0 $PX_PID 2>/dev/null"
wait "$PX_PID" 2>/dev/null
proxy 9302 9299 --idle-exit 0.5
sleep 1.2
check "--idle-exit 0.5: the proxy exits when unused" sh -c "! kill -0 $PX_PID 2>/dev/null"
wait "$PX_PID" 2>/dev/null

NS=$EST_NS
est_env_stop
check "namespace removed, no tool left running" sh -c "! ip netns list | grep -q '^$NS\\b'"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
