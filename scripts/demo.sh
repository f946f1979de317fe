#!/usr/bin/env bash
# make demo: an emulated Cortex-M4 device (QEMU MPS2 AN386 running examples/qemu-enroll) enrolls
# over EST against a local CA (Cisco libest's estserver on loopback, inside a private network
# namespace), re-enrolls with the certificate it got, and the host prints that certificate.
# Without QEMU or the cross compiler, the host program pkiot-enroll enrolls instead.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
d=$PWD/build/demo

device=qemu
for tool in qemu-system-arm arm-none-eabi-gcc; do
  if ! command -v $tool >/dev/null; then
    echo "demo: $tool is not installed (make deps installs it), so QEMU cannot run the device;" \
         "the host program pkiot-enroll enrolls instead" >&2
    device=host
  fi
done
if [ $device = qemu ] && ! qemu-system-arm -M help | grep -q '^mps2-an386 '; then
  echo "demo: this qemu-system-arm has no mps2-an386 machine; the host program pkiot-enroll enrolls instead" >&2
  device=host
fi
if [ $device = qemu ]; then
  make -s -j"$JOBS" TARGET=cortex-m4 qemu-enroll >/dev/null
  make -s libest >/dev/null
else
  make -s -j"$JOBS" lib ports examples libest >/dev/null
fi

. test/interop/est_env.sh
rm -rf "$d"
est_env_ca "$d" >/dev/null
est_env_start "$d" || { rc=$?; [ $rc = 77 ] && echo "demo: network namespaces are not permitted here; see README" >&2; exit $rc; }
echo "demo: libest estserver listening on 127.0.0.1:$EST_PORT (namespace $EST_NS)" >&2

if [ $device = qemu ]; then
  # Provisioning through -append and host files is emulator-only (examples/qemu-enroll/README.md).
  echo "demo: device console (qemu-system-arm -M mps2-an386, base64 bodies elided):" >&2
  args="port=$EST_PORT ca=build/demo/trust.pem user=$EST_USER:$EST_PASS flash=build/demo/flash.bin"
  args+=" subject=CN=demo-device-1,O=pkiot%20demo san=DNS:demo-device-1.local"
  status=0
  est_env_exec timeout 120 qemu-system-arm -M mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -nic user,model=lan9118 \
    -kernel build/cortex-m4/qemu-enroll.elf -append "$args" \
    </dev/null >"$d/device.log" 2>&1 || status=$?
  awk '/^-----BEGIN/ { print; skip = 1; next } /^-----END/ { skip = 0 } !skip' "$d/device.log"
  [ $status = 0 ] || { echo "demo: the device failed (exit $status), console in $d/device.log" >&2; exit 1; }
  # The certificate the device ended with: the PEM after its last "cert[...]: serial" line.
  awk '/^cert\[/ { buf = ""; f = 1; next } f && /^-----BEGIN/ { p = 1 }
       p { buf = buf $0 "\n" } p && /^-----END/ { p = 0; f = 0 } END { printf "%s", buf }' \
    "$d/device.log" >"$d/device.pem"
else
  est_env_exec build/host/pkiot-enroll est --server "https://127.0.0.1:$EST_PORT" \
    --trust "$d/trust.pem" --user "$EST_USER:$EST_PASS" \
    --subject "CN=demo-device-1,O=pkiot demo" --san DNS:demo-device-1.local \
    --key-type p256 --out "$d/device.pem" --key-out "$d/device.key" --state "$d/state.bin"
fi

echo
echo "=== certificate issued to the device ($device) ==="
openssl x509 -in "$d/device.pem" -noout -text
openssl verify -CAfile "$d/trust.pem" "$d/device.pem"
cat "$d/device.pem"
est_env_stop
