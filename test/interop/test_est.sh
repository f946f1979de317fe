#!/usr/bin/env bash
# EST interoperability: pkiot-enroll against Cisco libest's estserver (a server someone else
# wrote), plus a fault-injecting proxy (cuts at protocol phases and byte offsets, followed by
# a fresh process with --resume) and a fake server for answers libest never gives.
# Prints PASS:/FAIL:/SKIP: lines; exit 0 when nothing failed, 77 when it cannot run here.
# PKIOT_ENROLL picks the program (default build/host/pkiot-enroll), EST_INTEROP_DIR the work
# directory (default build/interop/est), EST_CUTS the number of byte-offset cut points.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
BIN=${PKIOT_ENROLL:-$TOP/build/host/pkiot-enroll}
W=${EST_INTEROP_DIR:-$TOP/build/interop/est}
CUTS=${EST_CUTS:-40}

. test/interop/est_env.sh
est_env_check || { echo "SKIP: est interop (network namespaces not permitted)"; exit 77; }
make -s -j"$(nproc)" lib ports examples libest >/dev/null || { echo "FAIL: build for EST interop"; exit 1; }

rm -rf "$W"
mkdir -p "$W"
PKI=$W/pki
est_env_ca "$PKI" >/dev/null || { echo "FAIL: test PKI"; exit 1; }
TRUST=$PKI/trust.pem
nfail=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; nfail=$((nfail + 1)); }

# --- helpers ------------------------------------------------------------------------------
enroll() { # enroll URL ARGS... ; output of the program in $W/last.log
  local url=$1
  shift
  est_env_exec "$BIN" est --server "$url" --trust "$TRUST" --backoff-ms 200 "$@" >"$W/last.out" 2>"$W/last.log"
}
pubkey_of_cert() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -c1-64; }
pubkey_of_key() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-64; }
pubkey_of_der_key() { openssl pkey -inform DER -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-64; }
# cert_ok CERT KEY: chains to the test CA and carries the key
cert_ok() {
  openssl verify -CAfile "$TRUST" "$1" >/dev/null 2>&1 || return 1
  [ -n "$(pubkey_of_cert "$1")" ] && [ "$(pubkey_of_cert "$1")" = "$(pubkey_of_key "$2")" ]
}
ncerts() { grep -c -- "-----BEGIN CERTIFICATE-----" "$1" 2>/dev/null || echo 0; }
check() { # check NAME EXPECTED_RC ACTUAL_RC [extra condition result]
  local name=$1 want=$2 got=$3 extra=${4:-0}
  if [ "$got" = "$want" ] && [ "$extra" = 0 ]; then pass "$name"
  else fail "$name" "exit $got, wanted $want; $(tail -n 2 "$W/last.log" | tr '\n' ' ')"; fi
}

# --- libest with HTTP Basic (and optional client certificates) ----------------------------
est_env_start "$PKI" -d 600 >/dev/null || { echo "FAIL: estserver start"; exit 1; }
URL="https://127.0.0.1:$EST_PORT"
AUTH=(--user "$EST_USER:$EST_PASS")

enroll "$URL" --cacerts-only --out "$W/ca.pem" --state "$W/s0"
rc=$?
x=1; [ $rc = 0 ] && openssl x509 -in "$W/ca.pem" -noout >/dev/null 2>&1 && \
  [ "$(openssl x509 -in "$W/ca.pem" -noout -fingerprint -sha256)" = "$(openssl x509 -in "$TRUST" -noout -fingerprint -sha256)" ] && x=0
check "libest cacerts (certs-only CMS, verified TLS)" 0 $rc $x

for kt in p256 p384 rsa2048; do
  enroll "$URL" "${AUTH[@]}" --subject "CN=dev-$kt,O=pkiot" --san "DNS:dev-$kt.example" \
    --key-type $kt --out "$W/$kt.pem" --key-out "$W/$kt.key" --state "$W/s-$kt"
  rc=$?; x=1
  case $kt in p256) want="NIST CURVE: P-256" ;; p384) want="NIST CURVE: P-384" ;; rsa2048) want="Public-Key: (2048 bit)" ;; esac
  [ $rc = 0 ] && cert_ok "$W/$kt.pem" "$W/$kt.key" && openssl x509 -in "$W/$kt.pem" -noout -text | grep -q "$want" && x=0
  check "libest simpleenroll with HTTP Basic, $kt key" 0 $rc $x
done
openssl x509 -in "$W/p256.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "DNS:dev-p256.example" \
  && pass "libest issued certificate carries the requested SAN" || fail "libest issued certificate carries the requested SAN"

# estserver's default /csrattrs (macAddress, emailAddress, secp384r1, sha384) comes with the C
# string's NUL in the body and in Content-Length; the attributes still apply.
enroll "$URL" "${AUTH[@]}" --csrattrs --subject "CN=dev-default-attrs" --out "$W/dattrs.pem" \
  --key-out "$W/dattrs.key" --state "$W/s-dattrs"
rc=$?; x=1
[ $rc = 0 ] && cert_ok "$W/dattrs.pem" "$W/dattrs.key" && grep -q "CSR attributes applied" "$W/last.log" && \
  openssl x509 -in "$W/dattrs.pem" -noout -text | grep -q "NIST CURVE: P-384" && x=0
check "libest default csrattrs (body ends in a NUL byte) applied" 0 $rc $x

enroll "$URL" --subject "CN=no-auth" --out "$W/x.pem" --state "$W/s-noauth"
check "libest simpleenroll without credentials is refused (401)" 77 $?

for i in 1 2 3 4 5 6 7 8 9; do cat "$TRUST"; done > "$W/nine.pem"
est_env_exec "$BIN" est --server "$URL" --trust "$W/nine.pem" "${AUTH[@]}" --subject "CN=nine" \
  --out "$W/x.pem" --state "$W/s-nine" >"$W/last.out" 2>"$W/last.log"
rc=$?; x=1; grep -q "at most 8 trust anchors" "$W/last.log" && x=0
check "a trust bundle of 9 certificates is refused as configuration (limit 8)" 78 $rc $x

enroll "$URL" --user "$EST_USER:wrong" --subject "CN=bad-auth" --out "$W/x.pem" --state "$W/s-badauth"
check "libest simpleenroll with a wrong password is refused" 77 $?

# Basic + TLS client certificate together (bootstrap IDevID-style certificate from the PKI).
enroll "$URL" "${AUTH[@]}" --cert "$PKI/boot.crt" --key "$PKI/boot.key" --subject "CN=dev-both" \
  --out "$W/both.pem" --key-out "$W/both.key" --state "$W/s-both"
rc=$?; x=1; [ $rc = 0 ] && cert_ok "$W/both.pem" "$W/both.key" && x=0
check "libest simpleenroll with HTTP Basic and TLS client certificate" 0 $rc $x

# Re-enroll with the certificate just obtained: same key, then a new key.
enroll "$URL" "${AUTH[@]}" --reenroll --cert "$W/p256.pem" --key "$W/p256.key" \
  --out "$W/re.pem" --key-out "$W/re.key" --state "$W/s-re"
rc=$?; x=1
if [ $rc = 0 ] && cert_ok "$W/re.pem" "$W/re.key" && [ "$(pubkey_of_key "$W/re.key")" = "$(pubkey_of_key "$W/p256.key")" ] &&
   [ "$(openssl x509 -in "$W/re.pem" -noout -serial)" != "$(openssl x509 -in "$W/p256.pem" -noout -serial)" ] &&
   [ "$(openssl x509 -in "$W/re.pem" -noout -subject)" = "$(openssl x509 -in "$W/p256.pem" -noout -subject)" ] &&
   [ "$(openssl x509 -in "$W/re.pem" -noout -ext subjectAltName)" = "$(openssl x509 -in "$W/p256.pem" -noout -ext subjectAltName)" ] &&
   openssl x509 -in "$W/re.pem" -noout -ext subjectAltName | grep -q "DNS:dev-p256.example"; then x=0; fi
check "libest simplereenroll with the current certificate, same key, subject and SAN" 0 $rc $x
enroll "$URL" "${AUTH[@]}" --reenroll --rekey --cert "$W/p256.pem" --key "$W/p256.key" \
  --out "$W/rekey.pem" --key-out "$W/rekey.key" --state "$W/s-rekey"
rc=$?; x=1
[ $rc = 0 ] && cert_ok "$W/rekey.pem" "$W/rekey.key" && [ "$(pubkey_of_key "$W/rekey.key")" != "$(pubkey_of_key "$W/p256.key")" ] && x=0
check "libest simplereenroll with a new key" 0 $rc $x

enroll "$URL" "${AUTH[@]}" --label arbitrary-label --subject "CN=dev-label" --out "$W/label.pem" --key-out "$W/label.key" --state "$W/s-label"
rc=$?; x=1; [ $rc = 0 ] && cert_ok "$W/label.pem" "$W/label.key" && x=0
check "libest simpleenroll under a CA label" 0 $rc $x

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/own.key" 2>/dev/null
enroll "$URL" "${AUTH[@]}" --newkey "$W/own.key" --subject "CN=dev-own" --out "$W/own.pem" --state "$W/s-own"
rc=$?; x=1; [ $rc = 0 ] && cert_ok "$W/own.pem" "$W/own.key" && x=0
check "libest simpleenroll with an existing key (--newkey)" 0 $rc $x

# PSA persistent key: the private key stays in the key store (files in the current directory).
mkdir -p "$W/psa"
(cd "$W/psa" && est_env_exec "$BIN" est --psa --server "$URL" --trust "$TRUST" "${AUTH[@]}" --subject "CN=dev-psa" \
  --out "$W/psa.pem" --key-out "$W/psa.key" --state "$W/s-psa" >"$W/last.out" 2>"$W/last.log")
rc=$?; x=1
[ $rc = 0 ] && openssl verify -CAfile "$TRUST" "$W/psa.pem" >/dev/null 2>&1 && [ ! -e "$W/psa.key" ] && ls "$W/psa"/*.psa_its >/dev/null 2>&1 && x=0
check "libest simpleenroll with a PSA persistent key (private key never exported)" 0 $rc $x

enroll "$URL" "${AUTH[@]}" --serverkeygen --subject "CN=dev-skg" --out "$W/skg.pem" --key-out "$W/skg.key" --state "$W/s-skg"
rc=$?; x=1; [ $rc = 0 ] && cert_ok "$W/skg.pem" "$W/skg.key" && x=0
check "libest serverkeygen (key generated by the server)" 0 $rc $x

# Bootstrap: no trust anchor, the CA is accepted by its fingerprint.
FPR=$(openssl x509 -in "$TRUST" -noout -fingerprint -sha256 | cut -d= -f2)
est_env_exec "$BIN" est --server "$URL" --bootstrap --fingerprint "$FPR" "${AUTH[@]}" --subject "CN=dev-boot" \
  --out "$W/boot.pem" --key-out "$W/bootd.key" --state "$W/s-boot" >"$W/last.out" 2>"$W/last.log"
rc=$?; x=1; [ $rc = 0 ] && cert_ok "$W/boot.pem" "$W/bootd.key" && x=0
check "libest bootstrap (RFC 7030 4.1.1) with a confirmed fingerprint" 0 $rc $x
est_env_exec "$BIN" est --server "$URL" --bootstrap --fingerprint "00:11:22" "${AUTH[@]}" --subject "CN=dev-boot2" \
  --out "$W/boot2.pem" --state "$W/s-boot2" >"$W/last.out" 2>"$W/last.log"
check "libest bootstrap refuses a CA whose fingerprint does not match" 79 $?

# A trust anchor that did not issue the server certificate: TLS verification must fail.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/other.key" -out "$W/other.pem" -subj "/CN=other" -days 2 2>/dev/null
est_env_exec "$BIN" est --server "$URL" --trust "$W/other.pem" "${AUTH[@]}" --subject "CN=x" --out "$W/x.pem" --state "$W/s-otherta" >"$W/last.out" 2>"$W/last.log"
check "TLS server not trusted by the configured anchor is refused" 79 $?
est_env_exec "$BIN" est --server "https://localhost:$EST_PORT" --trust "$TRUST" "${AUTH[@]}" --subject "CN=dev-name" --out "$W/name.pem" --key-out "$W/name.key" --state "$W/s-name" >"$W/last.out" 2>"$W/last.log"
check "TLS host name checked (server certificate names localhost)" 0 $?

# --- the same operations under valgrind: no invalid access, no leak, no uninitialised use ----
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-origins=yes)
vg_case() { # vg_case NAME ARGS...
  local name=$1
  shift
  est_env_exec "${VG[@]}" "$BIN" est --server "$URL" --trust "$TRUST" "${AUTH[@]}" "$@" >"$W/last.out" 2>"$W/last.log"
  check "valgrind: $name" 0 $?
}
if command -v valgrind >/dev/null 2>&1; then
  vg_case "simpleenroll" --subject "CN=vg-1" --out "$W/vg1.pem" --key-out "$W/vg1.key" --state "$W/s-vg1" --chain-out "$W/vg-ca.pem"
  vg_case "simplereenroll with client certificate" --reenroll --cert "$W/vg1.pem" --key "$W/vg1.key" --out "$W/vg2.pem" --state "$W/s-vg2"
  vg_case "serverkeygen" --serverkeygen --subject "CN=vg-3" --out "$W/vg3.pem" --key-out "$W/vg3.key" --state "$W/s-vg3"
else
  echo "SKIP: valgrind not installed"
fi

# --- fault injection through the proxy: cut, then a fresh process resumes ------------------
PROXY=test/tools/faultproxy.py
run_proxy() { # run_proxy LOG ARGS... ; sets PPORT and PPID_
  rm -f "$W/pport"
  est_env_exec python3 $PROXY --listen 127.0.0.1:0 --target "127.0.0.1:$EST_PORT" --port-file "$W/pport" --timeout 60 --log "$1" "${@:2}" >/dev/null 2>&1 &
  PPID_=$!
  for _ in $(seq 100); do [ -s "$W/pport" ] && break; sleep 0.05; done
  PPORT=$(cat "$W/pport" 2>/dev/null)
}
# Measure a whole enrollment (cacerts + simpleenroll on one kept-alive connection).
run_proxy "$W/measure.json" --max-conns 5
enroll "https://127.0.0.1:$PPORT" "${AUTH[@]}" --chain-out "$W/m-ca.pem" --subject "CN=measure" --out "$W/m.pem" --key-out "$W/m.key" --state "$W/s-m"
mrc=$?
kill $PPID_ 2>/dev/null; wait $PPID_ 2>/dev/null
S2C=$(python3 -c 'import json,sys; print(sum(json.loads(l)["s2c"] for l in open(sys.argv[1])))' "$W/measure.json" 2>/dev/null || echo 0)
C2S=$(python3 -c 'import json,sys; print(sum(json.loads(l)["c2s"] for l in open(sys.argv[1])))' "$W/measure.json" 2>/dev/null || echo 0)
NCONN=$(wc -l < "$W/measure.json" 2>/dev/null || echo 0)
if [ $mrc = 0 ] && [ "$S2C" -gt 0 ]; then pass "enrollment through the proxy ($NCONN connection(s), $C2S bytes up, $S2C down)"
else fail "enrollment through the proxy" "exit $mrc"; fi

tried=0; resumed=0; bad=""
cut_case() { # cut_case LABEL PROXY-FAULT-ARGS...
  local label=$1
  shift
  local st="$W/s-cut"
  rm -f "$st" "$W/cut.pem" "$W/cut.key"
  run_proxy "$W/cut.json" --max-conns 3 "$@"
  enroll "https://127.0.0.1:$PPORT" "${AUTH[@]}" --max-attempts 1 --timeout 3 --chain-out "$W/cut-ca.pem" --subject "CN=cut" --out "$W/cut.pem" --state "$st"
  local rc1=$?
  kill $PPID_ 2>/dev/null; wait $PPID_ 2>/dev/null
  tried=$((tried + 1))
  local keyfp=""
  if [ -f "$st" ] && python3 test/tools/ckpt_dump.py "$st" --key-der "$W/cut-k.der" >/dev/null; then
    keyfp=$(pubkey_of_der_key "$W/cut-k.der")
  fi
  if [ $rc1 = 0 ]; then
    # The cut fell where nothing was lost (e.g. after the last byte was consumed).
    resumed=$((resumed + 1)); return
  fi
  enroll "$URL" "${AUTH[@]}" --resume --chain-out "$W/cut-ca.pem" --subject "CN=cut" --out "$W/cut.pem" --key-out "$W/cut.key" --state "$st"
  local rc2=$?
  if [ $rc2 = 0 ] && cert_ok "$W/cut.pem" "$W/cut.key" && { [ -z "$keyfp" ] || [ "$keyfp" = "$(pubkey_of_key "$W/cut.key")" ]; }; then
    resumed=$((resumed + 1))
  else
    bad="$bad $label(rc1=$rc1,rc2=$rc2)"
  fi
}
for ph in connect handshake request-head request response-head mid-body after-response; do
  cut_case "phase:$ph" --phase "$ph" --fault-conn 1
done
for ph in handshake request-head request response-head mid-body; do
  cut_case "phase:$ph:second-request" --phase "$ph" --fault-conn 2
done
if [ "$S2C" -gt 0 ]; then
  step=$(( S2C / CUTS )); [ $step -lt 1 ] && step=1
  for n in $(seq 1 "$step" "$S2C"); do cut_case "s2c@$n" --cut-s2c "$n" --fault-conn 1; done
  for n in $(seq 1 $(( (C2S + 7) / 8 )) "$C2S"); do cut_case "c2s@$n" --cut-c2s "$n" --fault-conn 1; done
fi
if [ -z "$bad" ]; then pass "connection cuts: $tried cut points tried, all $resumed finished with a valid certificate for the checkpointed key"
else fail "connection cuts: $tried tried, $resumed recovered" "failed:$bad"; fi
echo "est-cuts: tried=$tried recovered=$resumed"

est_env_stop >/dev/null 2>&1

# --- libest -m: 202 + Retry-After, then resume with the same request ----------------------
est_env_start "$PKI" -m 60 -d 300 >/dev/null || { fail "estserver -m start"; }
URL="https://127.0.0.1:$EST_PORT"
enroll "$URL" "${AUTH[@]}" --subject "CN=dev-later" --out "$W/later.pem" --key-out "$W/later.key" --state "$W/s-later"
rc=$?; x=1; grep -q "^sleep until " "$W/last.out" && [ -f "$W/s-later" ] && x=0
check "libest 202 Accepted: state saved, exit 75 with the wake time" 75 $rc $x
python3 test/tools/ckpt_dump.py "$W/s-later" --key-der "$W/later-k.der" >/dev/null 2>&1
enroll "$URL" "${AUTH[@]}" --resume --subject "CN=dev-later" --out "$W/later.pem" --key-out "$W/later.key" --state "$W/s-later"
rc=$?; x=1; [ $rc = 0 ] && cert_ok "$W/later.pem" "$W/later.key" && [ "$(pubkey_of_der_key "$W/later-k.der")" = "$(pubkey_of_key "$W/later.key")" ] && x=0
check "libest 202: --resume completes with the same key" 0 $rc $x

# Killed while waiting for the 202 retry (in-process wait), then resumed by a new process.
est_env_exec "$BIN" est --server "$URL" --trust "$TRUST" "${AUTH[@]}" --wait --subject "CN=dev-killed" \
  --out "$W/killed.pem" --key-out "$W/killed.key" --state "$W/s-killed" >"$W/k.out" 2>"$W/k.log" &
kpid=$!
for _ in $(seq 200); do grep -q "server asked for time" "$W/k.log" 2>/dev/null && break; sleep 0.05; done
kill -9 $kpid 2>/dev/null; wait $kpid 2>/dev/null
enroll "$URL" "${AUTH[@]}" --resume --subject "CN=dev-killed" --out "$W/killed.pem" --key-out "$W/killed.key" --state "$W/s-killed"
rc=$?; x=1; [ $rc = 0 ] && cert_ok "$W/killed.pem" "$W/killed.key" && x=0
check "process killed while waiting for 202, resumed by a new process" 0 $rc $x
est_env_stop >/dev/null 2>&1

# --- libest with client-certificate authentication only (-o) ------------------------------
est_env_start "$PKI" -o -d 300 >/dev/null || fail "estserver -o start"
URL="https://127.0.0.1:$EST_PORT"
enroll "$URL" --cert "$PKI/boot.crt" --key "$PKI/boot.key" --subject "CN=dev-mtls" --out "$W/mtls.pem" --key-out "$W/mtls.key" --state "$W/s-mtls"
rc=$?; x=1; [ $rc = 0 ] && cert_ok "$W/mtls.pem" "$W/mtls.key" && x=0
check "libest simpleenroll authenticated by TLS client certificate only" 0 $rc $x
est_env_stop >/dev/null 2>&1

# --- libest with /csrattrs (RFC 7030 4.5.2 example: P-384, SHA-384, challengePassword) -------
# RFC 7030's own example has a wrong outer length (0x26, erratum 4384); this is it corrected.
ATTRS="MDIGBysGAQEBARYGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiBggqhkjOPQQDAw=="
est_env_start "$PKI" -a "$ATTRS" -d 300 >/dev/null || fail "estserver -a start"
URL="https://127.0.0.1:$EST_PORT"
enroll "$URL" "${AUTH[@]}" --csrattrs --subject "CN=dev-attrs" --out "$W/attrs.pem" --key-out "$W/attrs.key" --state "$W/s-attrs"
rc=$?; x=1
if [ $rc = 0 ] && cert_ok "$W/attrs.pem" "$W/attrs.key" && openssl x509 -in "$W/attrs.pem" -noout -text | grep -q "NIST CURVE: P-384"; then x=0; fi
check "libest csrattrs applied (server asked for a P-384 key)" 0 $rc $x
est_env_stop >/dev/null 2>&1

# --- two-level PKI (root + issuing CA): libest serves both from /cacerts --------------------
PKI2=$W/pki2
if est_env_ca "$PKI2" --intermediate >/dev/null && est_env_start "$PKI2" -d 300 >/dev/null; then
  URL="https://127.0.0.1:$EST_PORT"
  cert_ok2() { # cert_ok2 CERT KEY: issued by the issuing CA under the root, carries the key
    openssl verify -CAfile "$PKI2/root.crt" -untrusted "$PKI2/int.crt" "$1" >/dev/null 2>&1 || return 1
    [ -n "$(pubkey_of_cert "$1")" ] && [ "$(pubkey_of_cert "$1")" = "$(pubkey_of_key "$2")" ]
  }
  FPR_ROOT=$(openssl x509 -in "$PKI2/root.crt" -noout -fingerprint -sha256 | cut -d= -f2)
  FPR_INT=$(openssl x509 -in "$PKI2/int.crt" -noout -fingerprint -sha256 | cut -d= -f2)
  est_env_exec "$BIN" est --server "$URL" --bootstrap --fingerprint "$FPR_ROOT" --fingerprint "$FPR_INT" \
    "${AUTH[@]}" --subject "CN=dev-boot-2l" --out "$W/boot2l.pem" --key-out "$W/boot2l.key" \
    --chain-out "$W/boot2l-ca.pem" --state "$W/s-boot2l" >"$W/last.out" 2>"$W/last.log"
  rc=$?; x=1; [ $rc = 0 ] && cert_ok2 "$W/boot2l.pem" "$W/boot2l.key" && [ "$(ncerts "$W/boot2l-ca.pem")" -ge 2 ] && x=0
  check "libest bootstrap with root and issuing CA, both fingerprints given (--fingerprint twice)" 0 $rc $x
  est_env_exec "$BIN" est --server "$URL" --bootstrap --fingerprint "$FPR_ROOT" "${AUTH[@]}" --subject "CN=dev-boot-2l-b" \
    --out "$W/boot2l-b.pem" --state "$W/s-boot2l-b" >"$W/last.out" 2>"$W/last.log"
  check "libest bootstrap refuses the issuing CA when only the root's fingerprint is given" 79 $?
  # A root as trust anchor: the /cacerts answer (issuing CA + root) must chain to it.
  enroll "$URL" --trust "$PKI2/trust.pem" --cacerts-only --out "$W/ca2l.pem" --state "$W/s-ca2l"
  rc=$?; x=1; [ $rc = 0 ] && [ "$(ncerts "$W/ca2l.pem")" = 2 ] && x=0
  check "libest cacerts of a two-level CA validated against the root trust anchor" 0 $rc $x
  enroll "$URL" --trust "$PKI2/trust.pem" "${AUTH[@]}" --chain-out "$W/en2l-ca.pem" --subject "CN=dev-2l" \
    --out "$W/en2l.pem" --key-out "$W/en2l.key" --state "$W/s-en2l"
  rc=$?; x=1; [ $rc = 0 ] && cert_ok2 "$W/en2l.pem" "$W/en2l.key" && x=0
  check "libest simpleenroll from an issuing CA, CA certificates fetched and validated first" 0 $rc $x
  est_env_stop >/dev/null 2>&1
else
  fail "two-level test PKI or estserver start"
  est_env_stop >/dev/null 2>&1
fi

# --- root CA key update (RFC 7030 4.4): libest serves NewWithNew, NewWithOld, OldWithNew ----
# and OldWithOld, all named like the root; a device that trusts the old root keeps all four.
PKI3=$W/pki3
rollover_pki() { # rollover_pki DIR: the three new certificates beside the PKI's root
  local d=$1
  printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >"$d/roll.ext"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/rootnew.key" 2>/dev/null &&
  openssl x509 -x509toreq -in "$d/root.crt" -signkey "$d/rootnew.key" -out "$d/rootnew.csr" 2>/dev/null &&
  openssl x509 -x509toreq -in "$d/root.crt" -signkey "$d/root.key" -out "$d/rootold.csr" 2>/dev/null &&
  openssl x509 -req -in "$d/rootnew.csr" -signkey "$d/rootnew.key" -days 3650 -extfile "$d/roll.ext" \
    -out "$d/nwn.crt" 2>/dev/null &&
  openssl x509 -req -in "$d/rootnew.csr" -CA "$d/root.crt" -CAkey "$d/root.key" -set_serial 0x7701 \
    -days 3650 -extfile "$d/roll.ext" -out "$d/nwo.crt" 2>/dev/null &&
  openssl x509 -req -in "$d/rootold.csr" -CA "$d/nwn.crt" -CAkey "$d/rootnew.key" -set_serial 0x7702 \
    -days 3650 -extfile "$d/roll.ext" -out "$d/own.crt" 2>/dev/null &&
  cat "$d/nwn.crt" "$d/nwo.crt" "$d/own.crt" "$d/root.crt" >"$d/cacerts.pem"
}
if est_env_ca "$PKI3" >/dev/null && rollover_pki "$PKI3" && est_env_start "$PKI3" -d 300 >/dev/null; then
  URL="https://127.0.0.1:$EST_PORT"
  enroll "$URL" --trust "$PKI3/trust.pem" --cacerts-only --out "$W/roll-ca.pem" --state "$W/s-roll"
  rc=$?; x=1; [ $rc = 0 ] && [ "$(ncerts "$W/roll-ca.pem")" = 4 ] && ! grep -q "left out" "$W/last.log" && x=0
  check "libest cacerts during a root CA key update: all four certificates kept" 0 $rc $x
  enroll "$URL" --trust "$PKI3/trust.pem" "${AUTH[@]}" --chain-out "$W/roll-en-ca.pem" --subject "CN=dev-roll" \
    --out "$W/roll-en.pem" --key-out "$W/roll-en.key" --state "$W/s-roll-en"
  rc=$?; x=1; [ $rc = 0 ] && [ "$(ncerts "$W/roll-en-ca.pem")" = 4 ] && \
    openssl verify -CAfile "$PKI3/root.crt" "$W/roll-en.pem" >/dev/null 2>&1 && x=0
  check "libest simpleenroll during a root CA key update, CA certificates fetched first" 0 $rc $x
  est_env_stop >/dev/null 2>&1
else
  fail "root key update test PKI or estserver start"
  est_env_stop >/dev/null 2>&1
fi

# --- the fake server: answers libest never gives -------------------------------------------
# FAKE_SERVER_ARGS: more server options (they override the defaults); FAKE_NOTE: added to the
# check's name when a scenario runs more than once.
fake_case() { # fake_case SCENARIO EXPECTED_RC [extra client args...]
  local sc=$1 want=$2
  shift 2
  rm -f "$W/fport" "$W/f-$sc.state" "$W/f-$sc.log"
  # shellcheck disable=SC2086
  est_env_exec python3 test/tools/fake_est_server.py --pki "$PKI" --port 0 --port-file "$W/fport" \
    --log "$W/f-$sc.log" --scenario "$sc" --user "$EST_USER:$EST_PASS" --timeout 30 --retry-after 5 --hang-s 10 \
    ${FAKE_SERVER_ARGS:-} >/dev/null 2>&1 &
  local fpid=$!
  for _ in $(seq 100); do [ -s "$W/fport" ] && break; sleep 0.05; done
  enroll "https://127.0.0.1:$(cat "$W/fport")" "${AUTH[@]}" --max-attempts 1 --timeout 3 --subject "CN=fake-$sc" \
    --out "$W/f-$sc.pem" --key-out "$W/f-$sc.key" --state "$W/f-$sc.state" "$@"
  local rc=$?
  kill $fpid 2>/dev/null; wait $fpid 2>/dev/null
  local x=0
  if [ "$want" = 0 ] && [[ " $* " != *" --cacerts-only "* ]]; then cert_ok "$W/f-$sc.pem" "$W/f-$sc.key" || x=1; fi
  # After a failure the checkpoint is still a valid blob (never half-written).
  if [ "$want" != 0 ] && [ -f "$W/f-$sc.state" ] && ! python3 test/tools/ckpt_dump.py "$W/f-$sc.state" >/dev/null; then x=1; fi
  check "fake server '$sc'${FAKE_NOTE:+ ($FAKE_NOTE)} -> exit $want" "$want" $rc $x
}
est_env_netns || fail "namespace for the fake server"
fake_case ok 0
fake_case lf-base64 0
fake_case crlf-base64 0
fake_case nowrap-base64 0
fake_case chunked 0
fake_case no-content-length 0
fake_case auth-401 0
fake_case slow 0
fake_case retry-delta 75
fake_case retry-date 75
fake_case retry-no-header 75
fake_case bad-base64 65
fake_case pem-body 65
fake_case wrong-content-type 65
fake_case empty-200 65
fake_case oversize 65
fake_case garbage 65
fake_case truncated 69
fake_case close 69
fake_case hang 69
fake_case http-500 69
fake_case http-400 76
fake_case http-403 76
fake_case http-404 76
fake_case wrong-cert 79
fake_case foreign-chain 79
# RFC 7030 4.1.3: CA certificates that do not chain to the trust anchor are left out. With
# none left the answer is refused, whether asked for alone or fetched before an enrollment
# (then no request is sent); otherwise the device keeps the ones that validate.
FAKE_SERVER_ARGS="--on cacerts" FAKE_NOTE="cacerts only" fake_case foreign-chain 79 --cacerts-only
FAKE_SERVER_ARGS="--on cacerts" FAKE_NOTE="cacerts before simpleenroll" fake_case foreign-chain 79 --chain-out "$W/f-foreign-ca.pem"
x=1; grep -q '"op": "cacerts"' "$W/f-foreign-chain.log" 2>/dev/null && \
  ! grep -q '"op": "simpleenroll"' "$W/f-foreign-chain.log" && x=0
check "no enrollment request after refused CA certificates" 0 0 $x
# The real CA certificates, without the foreign root the server mixed in.
mixed_kept_ok() {
  [ "$(ncerts "$1")" = "$(ncerts "$PKI/cacerts.pem")" ] && \
    ! grep -qF "$(sed -n 2p "$PKI/foreign-root.crt")" "$1" && \
    grep -q "left out a CA certificate that does not validate" "$W/last.log"
}
FAKE_SERVER_ARGS="--on cacerts" FAKE_NOTE="cacerts only" fake_case cacerts-mixed 0 --cacerts-only
x=1; mixed_kept_ok "$W/f-cacerts-mixed.pem" && x=0
check "cacerts with a foreign root mixed in: the foreign root left out, the CA's kept" 0 0 $x
FAKE_NOTE="cacerts before simpleenroll" fake_case cacerts-mixed 0 --chain-out "$W/f-mixed-ca.pem"
x=1; mixed_kept_ok "$W/f-mixed-ca.pem" && x=0
check "enrolled with the validated CA certificates only, the foreign root left out" 0 0 $x
# 429 is "later" (RFC 6585 4): Retry-After is obeyed like a 503's; without it, a backoff.
FAKE_SERVER_ARGS="--retry-after 1" FAKE_NOTE="Retry-After: 1, --wait" fake_case http-429 0 --wait
x=1; grep -q "server asked for time" "$W/last.log" && x=0
check "429 with Retry-After: waited as the server asked, no backoff" 0 0 $x
FAKE_SERVER_ARGS="--retry-after 1" fake_case http-429 75
FAKE_NOTE="--max-attempts 2" fake_case http-429-no-header 0 --max-attempts 2
fake_case http-429-no-header 69
# A kept-alive connection the server closed while idle: retried at once on a new connection,
# without using up the single attempt allowed here.
fake_case idle-close 0 --chain-out "$W/f-idle-ca.pem"
x=1; grep -q "kept-alive connection was closed by the server: reconnecting" "$W/last.log" && x=0
check "stale kept-alive connection replaced at once (no backoff, no attempt counted)" 0 0 $x

# State survives a malformed answer: the same key finishes against a correct server.
rm -f "$W/fport"
est_env_exec python3 test/tools/fake_est_server.py --pki "$PKI" --port 0 --port-file "$W/fport" --scenario ok --timeout 30 >/dev/null 2>&1 &
fpid=$!
for _ in $(seq 100); do [ -s "$W/fport" ] && break; sleep 0.05; done
python3 test/tools/ckpt_dump.py "$W/f-bad-base64.state" --key-der "$W/bb-k.der" >/dev/null 2>&1
enroll "https://127.0.0.1:$(cat "$W/fport")" "${AUTH[@]}" --resume --subject "CN=fake-bad-base64" --out "$W/bb.pem" --key-out "$W/bb.key" --state "$W/f-bad-base64.state"
rc=$?; kill $fpid 2>/dev/null; wait $fpid 2>/dev/null
x=1; [ $rc = 0 ] && cert_ok "$W/bb.pem" "$W/bb.key" && [ "$(pubkey_of_der_key "$W/bb-k.der")" = "$(pubkey_of_key "$W/bb.key")" ] && x=0
check "after a malformed answer the checkpoint resumes with the same key" 0 $rc $x

[ $nfail = 0 ]
