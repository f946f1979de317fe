#!/usr/bin/env bash
# make demo: a device enrolls over EST against a local CA (Cisco libest's estserver on
# loopback, inside a private network namespace) and prints the certificate it obtained.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
make -s -j"$JOBS" lib ports examples libest >/dev/null

. test/interop/est_env.sh
d=$PWD/build/demo
rm -rf "$d"
est_env_ca "$d"
est_env_start "$d" || { rc=$?; [ $rc = 77 ] && echo "demo: network namespaces are not permitted here; see README" >&2; exit $rc; }
echo "demo: libest estserver listening on 127.0.0.1:$EST_PORT (namespace $EST_NS)" >&2

est_env_exec build/host/pkiot-enroll est --server "https://127.0.0.1:$EST_PORT" \
  --trust "$d/trust.pem" --user "$EST_USER:$EST_PASS" \
  --subject "CN=demo-device-1,O=pkiot demo" --san DNS:demo-device-1.local \
  --key-type p256 --out "$d/device.pem" --key-out "$d/device.key" --state "$d/state.bin"

echo
echo "=== certificate issued to the device ==="
openssl x509 -in "$d/device.pem" -noout -subject -issuer -serial -dates -ext subjectAltName,keyUsage,extendedKeyUsage
openssl verify -CAfile "$d/trust.pem" "$d/device.pem"
cat "$d/device.pem"
est_env_stop
