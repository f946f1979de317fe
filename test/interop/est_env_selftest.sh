#!/usr/bin/env bash
# Proves the libest EST test environment: every operation a pkiot EST test relies on is run
# against estserver with curl, libest's estclient and test/tools/est_raw.py, inside the
# private namespace, and the observed wire behaviour (documented in README.md) is asserted.
#
#   test/interop/est_env_selftest.sh [--capture DIR] [--keep]
#
# --capture DIR  also store the raw responses and their decoded bodies in DIR (this is how
#                test/fuzz/corpus/est-captures/ was made)
# --keep         keep the work folder (build/est-selftest.*) for inspection
# Exit status: 0 all passed, 1 something failed, 77 skipped (no namespaces).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CAPTURE=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --capture) CAPTURE=$2; shift ;;
    --keep) KEEP=1 ;;
    *) echo "usage: $0 [--capture DIR] [--keep]" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=est_env.sh
. "$TOP/test/interop/est_env.sh"
est_env_check || exit $?
if [ ! -x "$EST_ENV_ESTSERVER" ] || [ ! -x "$EST_ENV_ESTCLIENT" ]; then
  make -C "$TOP" --no-print-directory libest >&2 || { echo "FAIL: make libest" >&2; exit 1; }
fi
for t in curl openssl python3; do
  command -v "$t" >/dev/null || { echo "FAIL: $t not installed (make deps)" >&2; exit 1; }
done

mkdir -p "$TOP/build"
WORK=$(mktemp -d "$TOP/build/est-selftest.XXXXXX")
if [ "$KEEP" = 0 ]; then
  trap 'rm -rf "$WORK"' EXIT
else
  echo "work folder: $WORK" >&2
fi
[ -n "$CAPTURE" ] && mkdir -p "$CAPTURE" && CAPTURE=$(cd "$CAPTURE" && pwd)

PASS=0
FAIL=0
ok()  { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
check() { # check NAME CMD...
  local name=$1; shift
  if "$@" >"$WORK/last.out" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/     | /' "$WORK/last.out" | tail -n 15; fi
}

RAW() { est_env_exec python3 "$TOP/test/tools/est_raw.py" --port "$EST_PORT" --cafile "$EST_DIR/trust.pem" "$@"; }
HB() { python3 "$TOP/test/tools/http_body.py" "$@"; }
ENR=(--method POST --content-type application/pkcs10)
P=/.well-known/est

status_is() { [ "$(HB "$1" --status)" = "$2" ] || { echo "status $(HB "$1" --status), want $2"; head -c 400 "$1"; return 1; }; }
header_is() { local v; v=$(HB "$1" --header "$2"); [ "$v" = "$3" ] || { echo "$2: '$v', want '$3'"; return 1; }; }
no_header() { ! HB "$1" --header "$2" >/dev/null || { echo "unexpected $2 header"; return 1; }; }
# certs in a certs-only CMS (DER) -> PEM file
p7_certs() { openssl pkcs7 -inform DER -in "$1" -print_certs -out "$2" 2>&1 && grep -q "BEGIN CERTIFICATE" "$2"; }
fingerprints() { # all certificate fingerprints of a PEM bundle, sorted
  python3 - "$1" <<'EOF'
import re, subprocess, sys
pem = open(sys.argv[1]).read()
fps = []
for c in re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", pem, re.S):
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=c.encode(),
                         capture_output=True).stdout.decode().strip()
    fps.append(out)
print("\n".join(sorted(fps)))
EOF
}
same_key() { # same_key CERT KEYFILE [keyform]
  local a b
  a=$(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)
  b=$(openssl pkey -in "$2" ${3:+-inform "$3"} -pubout -outform DER | sha256sum)
  [ "$a" = "$b" ] || { echo "public key of $1 differs from $2"; return 1; }
}
issued_ok() { # issued_ok RESPONSE.http CSR_KEY NAME -> $WORK/NAME.crt
  local r=$1 key=$2 n=$3
  status_is "$r" 200 || return 1
  header_is "$r" Content-Type "application/pkcs7-mime; smime-type=certs-only" || return 1
  header_is "$r" Content-Transfer-Encoding base64 || return 1
  HB "$r" --der --out "$WORK/$n.p7.der" || { echo "body is not base64"; return 1; }
  p7_certs "$WORK/$n.p7.der" "$WORK/$n.crt" || return 1
  [ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/$n.crt")" = 1 ] || { echo "want exactly one certificate"; return 1; }
  openssl verify -CAfile "$EST_DIR/trust.pem" -untrusted "$EST_DIR/cacerts.pem" "$WORK/$n.crt" || return 1
  same_key "$WORK/$n.crt" "$key"
}
cap() { # cap NAME RESPONSE.http [der-out-name [part]]
  [ -n "$CAPTURE" ] || return 0
  cp "$2" "$CAPTURE/$1"
  if [ -n "${3:-}" ]; then
    if [ -n "${4:-}" ]; then HB "$2" --part "$4" --der --out "$CAPTURE/$3"; else HB "$2" --der --out "$CAPTURE/$3"; fi
  fi
}
lf_only_base64() { # body lines end in LF, not CRLF, 64 chars wide
  python3 - "$1" <<'EOF'
import sys
raw = open(sys.argv[1], "rb").read()
body = raw.split(b"\r\n\r\n", 1)[1]
assert b"\r" not in body, "CR in body"
lines = body.rstrip(b"\n\x00").split(b"\n")
assert all(len(l) == 64 for l in lines[:-1]), "lines not 64 wide"
assert body.endswith(b"\n"), "no final LF"
EOF
}

D=$WORK/pki
est_env_ca "$D" >/dev/null || { echo "FAIL est_env_ca" >&2; exit 1; }

###############################################################################################
echo "# default server: HTTP Basic required (estuser/estpwd), realm estrealm"
est_env_start "$D" -v || { echo "FAIL est_env_start" >&2; exit 1; }
NS1=$EST_NS
check "namespace has only loopback" sh -c "[ \"\$(ip -n $EST_NS -o link show | wc -l)\" = 1 ]"

RAW --out "$WORK/cacerts.http" >/dev/null
check "cacerts: 200, application/pkcs7-mime, base64" sh -c "
  [ \"\$(python3 $TOP/test/tools/http_body.py $WORK/cacerts.http --status)\" = 200 ] &&
  [ \"\$(python3 $TOP/test/tools/http_body.py $WORK/cacerts.http --header Content-Type)\" = application/pkcs7-mime ] &&
  [ \"\$(python3 $TOP/test/tools/http_body.py $WORK/cacerts.http --header Content-Transfer-Encoding)\" = base64 ]"
check "cacerts: status line is HTTP/1.0, 'Status: 200 OK' header, no Connection header" sh -c "
  head -1 $WORK/cacerts.http | grep -q '^HTTP/1.0 200 OK' && grep -q '^Status: 200 OK' $WORK/cacerts.http &&
  ! python3 $TOP/test/tools/http_body.py $WORK/cacerts.http --header Connection"
check "cacerts: base64 lines are 64 wide, LF-terminated (headers CRLF)" lf_only_base64 "$WORK/cacerts.http"
HB "$WORK/cacerts.http" --der --out "$WORK/cacerts.p7.der"
p7_certs "$WORK/cacerts.p7.der" "$WORK/cacerts.pem" >/dev/null 2>&1
if [ "$(fingerprints "$WORK/cacerts.pem")" = "$(fingerprints "$D/cacerts.pem")" ]; then ok "cacerts: fingerprints match cacerts.pem"; else bad "cacerts: fingerprints match cacerts.pem"; fi
cap cacerts.http "$WORK/cacerts.http" cacerts.p7.der

check "cacerts via curl (host name localhost verifies)" \
  est_env_exec curl -sSf --cacert "$D/trust.pem" --resolve "localhost:$EST_PORT:127.0.0.1" \
    -o "$WORK/curl-cacerts.b64" "https://localhost:$EST_PORT$P/cacerts"
check "TLS 1.3 refused, TLS 1.2 accepted" sh -c "
  ! ip netns exec $EST_NS openssl s_client -connect 127.0.0.1:$EST_PORT -tls1_3 -CAfile $D/trust.pem </dev/null >/dev/null 2>&1 &&
  ip netns exec $EST_NS openssl s_client -connect 127.0.0.1:$EST_PORT -tls1_2 -CAfile $D/trust.pem -verify_return_error </dev/null 2>/dev/null | grep -q 'Verify return code: 0'"
CIPHER=$(est_env_exec openssl s_client -connect "127.0.0.1:$EST_PORT" -CAfile "$D/trust.pem" </dev/null 2>/dev/null | awk '/Cipher is/{print $NF; exit}')
echo "     (negotiated with openssl s_client: $CIPHER)"

RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --out "$WORK/401.http" >/dev/null
check "simpleenroll without credentials: 401 + WWW-Authenticate Basic, empty body" sh -c "
  head -1 $WORK/401.http | grep -q '^HTTP/1.0 401 Unauthorized' &&
  [ \"\$(python3 $TOP/test/tools/http_body.py $WORK/401.http --header WWW-Authenticate)\" = 'Basic realm=\"estrealm\"' ] &&
  [ \"\$(python3 $TOP/test/tools/http_body.py $WORK/401.http --header Content-Length)\" = 0 ]"
cap 401.http "$WORK/401.http"

RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --user estuser:nope --out "$WORK/401-bad.http" >/dev/null
check "simpleenroll with a wrong password: HTTP/1.1 401, text body, no WWW-Authenticate" sh -c "
  head -1 $WORK/401-bad.http | grep -q '^HTTP/1.1 401 Unauthorized' &&
  ! python3 $TOP/test/tools/http_body.py $WORK/401-bad.http --header WWW-Authenticate &&
  grep -q '^Connection: close' $WORK/401-bad.http && grep -q 'Error 401: Unauthorized' $WORK/401-bad.http"
cap 401-badauth.http "$WORK/401-bad.http"

RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --user estuser:estpwd --out "$WORK/enroll.http" >/dev/null
check "simpleenroll with Basic: certs-only CMS with the issued cert for the CSR key" issued_ok "$WORK/enroll.http" "$D/device.key" enroll
check "simpleenroll: base64 LF-only, 64 wide" lf_only_base64 "$WORK/enroll.http"
check "simpleenroll: SAN copied from the CSR" sh -c "openssl x509 -in $WORK/enroll.crt -noout -ext subjectAltName | grep -q DNS:device.pkiot.test"
cap simpleenroll.http "$WORK/enroll.http" simpleenroll.p7.der

check "simpleenroll via curl --data-binary" sh -c "
  ip netns exec $EST_NS curl -sS -i --cacert $D/trust.pem -u estuser:estpwd -H 'Content-Type: application/pkcs10' \
    --data-binary @$D/device.csr.b64 $EST_URL/simpleenroll | head -1 | grep -q '200 OK'"

tr -d '\n' < "$D/device.csr.b64" > "$WORK/oneline.b64"
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$WORK/oneline.b64" --user estuser:estpwd --out "$WORK/oneline.http" >/dev/null
check "CSR body as one base64 line without any LF: 400 (libest needs a newline)" status_is "$WORK/oneline.http" 400
printf '\n' >> "$WORK/oneline.b64"
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$WORK/oneline.b64" --user estuser:estpwd --out "$WORK/oneline2.http" >/dev/null
check "CSR body as one base64 line ending in LF: 200" status_is "$WORK/oneline2.http" 200
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --cte "" --user estuser:estpwd --out "$WORK/nocte.http" >/dev/null
check "CSR without Content-Transfer-Encoding header: accepted" status_is "$WORK/nocte.http" 200
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.der" --cte "" --user estuser:estpwd --out "$WORK/der.http" >/dev/null
check "CSR as raw DER: 400" status_is "$WORK/der.http" 400
cap 400-bad-csr.http "$WORK/der.http"
RAW --method POST --content-type text/plain --path $P/simpleenroll --body-file "$D/device.csr.b64" --user estuser:estpwd --out "$WORK/400ct.http" >/dev/null
check "wrong request Content-Type: 400 'Invalid content type used.'" sh -c "grep -q 'Invalid content type used' $WORK/400ct.http && head -1 $WORK/400ct.http | grep -q '^HTTP/1.1 400'"
cap 400-content-type.http "$WORK/400ct.http"
RAW --path /index.html --out "$WORK/404.http" >/dev/null
check "path outside /.well-known/est: 404" status_is "$WORK/404.http" 404
cap 404.http "$WORK/404.http"
RAW --path $P/simpleenroll --user estuser:estpwd --out "$WORK/400m.http" >/dev/null
check "GET on simpleenroll: 400 'Invalid HTTP method'" sh -c "grep -q 'Invalid HTTP method' $WORK/400m.http"
cap 400-method.http "$WORK/400m.http"
openssl req -new -key "$D/device.key" -subj "/O=no common name" -outform DER 2>/dev/null | openssl base64 > "$WORK/nocn.b64"
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$WORK/nocn.b64" --user estuser:estpwd --out "$WORK/500.http" >/dev/null
check "CSR without CN (CA policy refuses): HTTP/1.1 500 'An error has occurred during enrollment.'" sh -c "
  head -1 $WORK/500.http | grep -q '^HTTP/1.1 500 Internal Server Error' && grep -q 'An error has occurred during enrollment' $WORK/500.http"
cap 500-enroll-failed.http "$WORK/500.http"
head -c 9000 /dev/zero | tr '\0' A | fold -w 64 > "$WORK/big.b64"
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$WORK/big.b64" --user estuser:estpwd --out "$WORK/413.http" >/dev/null
check "request body over 8192 bytes: HTTP/1.1 413 Content-Length too large" sh -c "head -1 $WORK/413.http | grep -q '^HTTP/1.1 413 Content-Length too large'"
cap 413.http "$WORK/413.http"

RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --cert "$D/boot.crt" --key "$D/boot.key" --out "$WORK/mtls-default.http" >/dev/null
check "client certificate alone (default mode, no -o): 401" status_is "$WORK/mtls-default.http" 401

# Re-enroll with the certificate just issued as the TLS client certificate.
openssl req -new -key "$D/device.key" -subj "/CN=pkiot-device" -addext "subjectAltName=DNS:device.pkiot.test" \
  -outform DER -out "$WORK/re.csr.der" 2>/dev/null
openssl base64 -in "$WORK/re.csr.der" -out "$WORK/re.csr.b64"
RAW "${ENR[@]}" --path $P/simplereenroll --body-file "$WORK/re.csr.b64" --cert "$WORK/enroll.crt" --key "$D/device.key" \
  --user estuser:estpwd --out "$WORK/reenroll.http" >/dev/null
check "simplereenroll (client cert = current cert, plus Basic)" issued_ok "$WORK/reenroll.http" "$D/device.key" reenroll
cap simplereenroll.http "$WORK/reenroll.http" simplereenroll.p7.der

RAW --path $P/csrattrs --out "$WORK/csrattrs.http" >/dev/null
check "csrattrs (default, no auth needed): 200 application/csrattrs base64" sh -c "
  [ \"\$(python3 $TOP/test/tools/http_body.py $WORK/csrattrs.http --status)\" = 200 ] &&
  [ \"\$(python3 $TOP/test/tools/http_body.py $WORK/csrattrs.http --header Content-Type)\" = application/csrattrs ]"
check "csrattrs default body: one unwrapped base64 line + a NUL byte, no LF" sh -c "
  python3 $TOP/test/tools/http_body.py $WORK/csrattrs.http --body | od -An -c | tr -s ' ' | grep -q '= = \\\\0\$'"
HB "$WORK/csrattrs.http" --der --out "$WORK/csrattrs.der"
check "csrattrs default decodes: SEQUENCE of macAddress, emailAddress, secp384r1, sha384 OIDs" sh -c "
  openssl asn1parse -inform DER -in $WORK/csrattrs.der | grep -q secp384r1"
cap csrattrs.http "$WORK/csrattrs.http" csrattrs.der

RAW "${ENR[@]}" --path $P/serverkeygen --body-file "$D/device.csr.b64" --user estuser:estpwd --out "$WORK/skg.http" > "$WORK/skg.sum"
check "serverkeygen: 200 multipart/mixed; boundary=est-server-boundary" header_is "$WORK/skg.http" Content-Type "multipart/mixed; boundary=est-server-boundary"
check "serverkeygen: body exceeds Content-Length by the multipart framing" sh -c "grep -q 'beyond_content_length=2[0-9][0-9] ' $WORK/skg.sum"
HB "$WORK/skg.http" --part 1 --der --out "$WORK/skg.key.der"
HB "$WORK/skg.http" --part 2 --der --out "$WORK/skg.p7.der"
check "serverkeygen part 1: 'application/pkcs8' label but PKCS#1 RSAPrivateKey (RSA-4096), unencrypted" sh -c "
  openssl rsa -inform DER -in $WORK/skg.key.der -noout -text 2>/dev/null | head -1 | grep -q '4096 bit' &&
  openssl asn1parse -inform DER -in $WORK/skg.key.der | sed -n 2p | grep -q 'INTEGER *:00' &&
  openssl asn1parse -inform DER -in $WORK/skg.key.der | sed -n 3p | grep -q 'INTEGER'"
p7_certs "$WORK/skg.p7.der" "$WORK/skg.crt" >/dev/null 2>&1
check "serverkeygen part 2: certs-only CMS, cert is for the returned key" same_key "$WORK/skg.crt" "$WORK/skg.key.der" DER
cap serverkeygen.http "$WORK/skg.http" serverkeygen.key.der 1
[ -n "$CAPTURE" ] && HB "$WORK/skg.http" --part 2 --der --out "$CAPTURE/serverkeygen.p7.der"

RAW --keep-alive --repeat 3 --out "$WORK/ka.http" > "$WORK/ka.sum"
check "keep-alive: 3 responses on one connection when the request allows it" sh -c "[ \"\$(grep -c \"closed=no\" $WORK/ka.sum)\" = 3 ]"
cap cacerts-keepalive-x3.http "$WORK/ka.http"
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --user estuser:estpwd --keep-alive --repeat 2 --out "$WORK/ka2.http" > "$WORK/ka2.sum"
check "keep-alive: 2 enrollments on one connection" sh -c "[ \"\$(grep -c \"'HTTP/1.0 200 OK'.*closed=no\" $WORK/ka2.sum)\" = 2 ]"
RAW --out "$WORK/close.http" > "$WORK/close.sum"
check "Connection: close request: server sends close_notify after the response" grep -q "closed=close_notify" "$WORK/close.sum"
RAW --http10 --no-connection-header --out "$WORK/close10.http" > "$WORK/close10.sum"
check "HTTP/1.0 request without Connection header: server closes" grep -q "closed=close_notify" "$WORK/close10.sum"

# libest's own client.
EC=$WORK/estclient
mkdir -p "$EC"
check "estclient -g (cacerts)" sh -c "ip netns exec $EST_NS env EST_OPENSSL_CACERT=$D/trust.pem $EST_ENV_ESTCLIENT -s 127.0.0.1 -p $EST_PORT -g -o $EC >/dev/null 2>&1 && [ -s $EC/cacert-0-0.pkcs7 ]"
check "estclient -e (simpleenroll, Basic)" sh -c "ip netns exec $EST_NS env EST_OPENSSL_CACERT=$D/trust.pem $EST_ENV_ESTCLIENT -s 127.0.0.1 -p $EST_PORT -e -u estuser -h estpwd -x $D/device.key --common-name pkiot-device -o $EC --pem-output >/dev/null 2>&1 && [ -s $EC/cert-0-0.pem ]"
cp "$EC/cert-0-0.pem" "$WORK/ec-enrolled.pem" 2>/dev/null
rm -f "$EC/cert-0-0.pem"
check "estclient -r (simplereenroll with -c/-k)" sh -c "ip netns exec $EST_NS env EST_OPENSSL_CACERT=$D/trust.pem $EST_ENV_ESTCLIENT -s 127.0.0.1 -p $EST_PORT -r -u estuser -h estpwd -c $WORK/ec-enrolled.pem -k $D/device.key -o $EC --pem-output >/dev/null 2>&1 && [ -s $EC/cert-0-0.pem ]"
check "estclient -a (csrattrs)" sh -c "ip netns exec $EST_NS env EST_OPENSSL_CACERT=$D/trust.pem $EST_ENV_ESTCLIENT -s 127.0.0.1 -p $EST_PORT -a -o $EC >/dev/null 2>&1 && [ -s $EC/csr-0-0.base64 ]"
check "estclient -q (serverkeygen)" sh -c "ip netns exec $EST_NS env EST_OPENSSL_CACERT=$D/trust.pem $EST_ENV_ESTCLIENT -s 127.0.0.1 -p $EST_PORT -q -u estuser -h estpwd -x $D/device.key -o $EC >/dev/null 2>&1 && [ -s $EC/key-0-0.key ] && [ -s $EC/cert-0-0.pkcs7 ]"
check "estserver log shows the estclient requests" grep -q 'POST /.well-known/est/simplereenroll HTTP/1.0' "$D/estserver.log"
PID1=$EST_PID
est_env_stop
check "stop: server gone, namespace deleted" sh -c "! kill -0 $PID1 2>/dev/null && ! ip netns list | grep -q '^$NS1\\b'"

###############################################################################################
echo "# -o: a verified client certificate replaces HTTP auth"
est_env_start "$D" -o || exit 1
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --cert "$D/boot.crt" --key "$D/boot.key" --out "$WORK/mtls.http" >/dev/null
check "bootstrap client certificate, no Basic: enrolled" issued_ok "$WORK/mtls.http" "$D/device.key" mtls
RAW "${ENR[@]}" --path $P/simplereenroll --body-file "$WORK/re.csr.b64" --cert "$WORK/mtls.crt" --key "$D/device.key" --out "$WORK/mtls-re.http" >/dev/null
check "simplereenroll with the issued cert only" issued_ok "$WORK/mtls-re.http" "$D/device.key" mtlsre
check "client certificate from a foreign CA: TLS handshake fails (unknown ca)" sh -c "
  ip netns exec $EST_NS python3 $TOP/test/tools/est_raw.py --port $EST_PORT --cafile $D/trust.pem --cert $D/foreign-client.crt --key $D/foreign-client.key | grep -q 'UNKNOWN_CA'"
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --out "$WORK/o-none.http" >/dev/null
check "no certificate, no credentials: 401 Basic challenge" status_is "$WORK/o-none.http" 401
check "estclient -e with the bootstrap certificate" sh -c "ip netns exec $EST_NS env EST_OPENSSL_CACERT=$D/trust.pem $EST_ENV_ESTCLIENT -s 127.0.0.1 -p $EST_PORT -e -c $D/boot.crt -k $D/boot.key -x $D/device.key --common-name pkiot-device -o $EC >/dev/null 2>&1"
est_env_stop

echo "# -n: no HTTP auth at all, client certificate required"
est_env_start "$D" -n || exit 1
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --cert "$D/boot.crt" --key "$D/boot.key" --out "$WORK/n-mtls.http" >/dev/null
check "client certificate: enrolled" status_is "$WORK/n-mtls.http" 200
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --user estuser:estpwd --out "$WORK/n-basic.http" >/dev/null
check "Basic without certificate: HTTP/1.1 401 (no challenge)" sh -c "head -1 $WORK/n-basic.http | grep -q '^HTTP/1.1 401' && ! python3 $TOP/test/tools/http_body.py $WORK/n-basic.http --header WWW-Authenticate"
est_env_stop

echo "# -D: HTTP Digest"
est_env_start "$D" -D || exit 1
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --out "$WORK/401-digest.http" >/dev/null
check "401 with a Digest challenge" sh -c "python3 $TOP/test/tools/http_body.py $WORK/401-digest.http --header WWW-Authenticate | grep -q '^Digest qop=\"auth\", realm=\"estrealm\", nonce='"
cap 401-digest.http "$WORK/401-digest.http"
check "curl --digest enrolls" sh -c "
  ip netns exec $EST_NS curl -sS -i --cacert $D/trust.pem --digest -u estuser:estpwd -H 'Content-Type: application/pkcs10' \
    --data-binary @$D/device.csr.b64 $EST_URL/simpleenroll | grep -q '^HTTP/1.0 200 OK'"
est_env_stop

###############################################################################################
echo "# -m 60: manual enrollment, 202 + Retry-After"
check "-m below 60 is refused by est_env_start" sh -c "! (. $TOP/test/interop/est_env.sh; EST_ENV_NO_TRAP=1 est_env_start $D -m 5) 2>/dev/null"
est_env_start "$D" -m 60 || exit 1
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --user estuser:estpwd --out "$WORK/202.http" >/dev/null
check "first request: HTTP/1.0 202 Accepted, Retry-After: 60, no body and no Content-Length" sh -c "
  head -1 $WORK/202.http | grep -q '^HTTP/1.0 202 Accepted' &&
  [ \"\$(python3 $TOP/test/tools/http_body.py $WORK/202.http --header Retry-After)\" = 60 ] &&
  ! python3 $TOP/test/tools/http_body.py $WORK/202.http --header Content-Length &&
  ! python3 $TOP/test/tools/http_body.py $WORK/202.http --header Content-Type &&
  [ -z \"\$(python3 $TOP/test/tools/http_body.py $WORK/202.http --body)\" ]"
cap 202.http "$WORK/202.http"
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --user estuser:estpwd --out "$WORK/202-2.http" >/dev/null
check "same key again (immediately): 200 with the certificate" issued_ok "$WORK/202-2.http" "$D/device.key" after202
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D/device.csr.b64" --user estuser:estpwd --out "$WORK/202-3.http" >/dev/null
check "third time: 202 again (the key left the pending table)" status_is "$WORK/202-3.http" 202
RAW "${ENR[@]}" --path $P/serverkeygen --body-file "$D/device.csr.b64" --user estuser:estpwd --out "$WORK/202-skg.http" >/dev/null
check "serverkeygen under -m: 202" status_is "$WORK/202-skg.http" 202
est_env_stop

###############################################################################################
echo "# -a: configured csrattrs; -l: CA label"
# The example value from libest's runserver.sh: challengePassword OID, attributes with SET values.
ATTRS="MGwGBysGAQEBARYwIgYDiDcBMRsTGVBhcnNlIFNFVCBhcyAyLjk5OS4xIGRhdGEwJwYDiDcCMSAGA4g3AxMZUGFyc2UgU0VUIGFzIDIuOTk5LjIgZGF0YQYJKyQDAwIIAQELBglghkgBZQMEAgI="
est_env_start "$D" -a "$ATTRS" -l myca || exit 1
RAW --path $P/myca/csrattrs --out "$WORK/csrattrs-custom.http" >/dev/null
check "csrattrs under the label: body is exactly EST_CSR_ATTR (no NUL, no LF)" sh -c "
  [ \"\$(python3 $TOP/test/tools/http_body.py $WORK/csrattrs-custom.http --body)\" = '$ATTRS' ] &&
  [ \"\$(python3 $TOP/test/tools/http_body.py $WORK/csrattrs-custom.http --body | wc -c)\" = ${#ATTRS} ]"
cap csrattrs-custom.http "$WORK/csrattrs-custom.http" csrattrs-custom.der
RAW --path $P/myca/cacerts --out "$WORK/label-cacerts.http" >/dev/null
check "cacerts under the label" status_is "$WORK/label-cacerts.http" 200
RAW "${ENR[@]}" --path $P/myca/simpleenroll --body-file "$D/device.csr.b64" --user estuser:estpwd --out "$WORK/label-enroll.http" >/dev/null
check "simpleenroll under the label" issued_ok "$WORK/label-enroll.http" "$D/device.key" label
RAW --path $P/other-label/cacerts --out "$WORK/label-other.http" >/dev/null
check "any other label is accepted too (estserver only logs it)" status_is "$WORK/label-other.http" 200
check "server log names the label" grep -q "Path Segment = myca" "$D/estserver.log"
check "estclient --path-seg -g" sh -c "ip netns exec $EST_NS env EST_OPENSSL_CACERT=$D/trust.pem $EST_ENV_ESTCLIENT -s 127.0.0.1 -p $EST_PORT --path-seg myca -g -o $EC >/dev/null 2>&1"
check "EST_URL includes the label" sh -c "[ '$EST_URL' = 'https://127.0.0.1:$EST_PORT/.well-known/est/myca' ]"
est_env_stop

est_env_start "$D" -a "" || exit 1
RAW --path $P/csrattrs --out "$WORK/csrattrs-empty.http" >/dev/null
check "empty csrattrs (-a ''): HTTP/1.1 204 No Content, Content-Length: 0" sh -c "
  head -1 $WORK/csrattrs-empty.http | grep -q '^HTTP/1.1 204 No Content' && grep -q '^Content-Length: 0' $WORK/csrattrs-empty.http"
cap csrattrs-204.http "$WORK/csrattrs-empty.http"
est_env_stop

###############################################################################################
echo "# intermediate CA"
D2=$WORK/pki-int
est_env_ca "$D2" --intermediate >/dev/null || exit 1
est_env_start "$D2" -o || exit 1
RAW --out "$WORK/cacerts-chain.http" >/dev/null
HB "$WORK/cacerts-chain.http" --der --out "$WORK/cacerts-chain.p7.der"
p7_certs "$WORK/cacerts-chain.p7.der" "$WORK/cacerts-chain.pem" >/dev/null 2>&1
if [ "$(fingerprints "$WORK/cacerts-chain.pem")" = "$(fingerprints "$D2/cacerts.pem")" ] && \
   [ "$(grep -c 'BEGIN CERT' "$WORK/cacerts-chain.pem")" = 2 ]; then ok "cacerts: issuing CA + root"; else bad "cacerts: issuing CA + root"; fi
cap cacerts-chain.http "$WORK/cacerts-chain.http" cacerts-chain.p7.der
RAW "${ENR[@]}" --path $P/simpleenroll --body-file "$D2/device.csr.b64" --cert "$D2/boot.crt" --key "$D2/boot.key" --out "$WORK/int-enroll.http" >/dev/null
check "enroll with the bootstrap cert (leaf only sent; server trusts int+root)" issued_ok "$WORK/int-enroll.http" "$D2/device.key" intenroll
check "issued by the intermediate" sh -c "openssl x509 -in $WORK/intenroll.crt -noout -issuer | grep -q 'pkiot test issuing CA'"
est_env_stop

###############################################################################################
echo "# cleanup on failure"
(
  . "$TOP/test/interop/est_env.sh"
  est_env_start "$D" >/dev/null 2>&1 || exit 3
  echo "$EST_NS $EST_PID" > "$WORK/trap.state"
  false
) ; rc=$?
read -r TNS TPID < "$WORK/trap.state"
check "a test that exits without est_env_stop leaves no server or namespace (exit $rc kept)" sh -c "
  [ $rc = 1 ] && ! kill -0 $TPID 2>/dev/null && ! ip netns list | grep -q '^$TNS\\b'"

if [ -n "$CAPTURE" ]; then
  cp "$D/root.crt" "$CAPTURE/trust-root.pem"
  cp "$D2/root.crt" "$CAPTURE/trust-root-chain.pem"
  echo "captures written to $CAPTURE" >&2
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
