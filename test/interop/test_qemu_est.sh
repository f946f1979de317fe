#!/usr/bin/env bash
# The emulated device: examples/qemu-enroll firmware on both QEMU MPS2 boards (AN385 Cortex-M3,
# AN386 Cortex-M4) enrolls and re-enrolls over EST against Cisco libest's estserver.
#
#  (a) enrollment + re-enrollment on both boards; the host checks with openssl that the
#      certificates the device printed chain to the test CA and carry the public key it printed
#      (and that this check refuses a certificate from another CA and one for another key);
#  (b) power cuts: QEMU is killed (SIGKILL) at named points of the lifecycle, found on the
#      console (the firmware's hold_ms= knob makes it stand still after each such line), at
#      random instants, and inside flash writes (flash_cut= knob, byte-exact); each time QEMU
#      starts again on the same flash image and must finish with the key that was in flash,
#      never generating a second one, and reuse a certificate that was already checkpointed
#      (and these checks fail when the restart is given an erased flash instead);
#  (c) sleepy link: the link drops for seconds after the first request (linkdown_ms=), and
#      the server answers 202 + Retry-After: 60 (estserver -m 60; max_sleep_ms= caps the wait
#      because libest accepts the repeat at once); the device sleeps in its main loop and
#      completes.
#
# Prints PASS:/FAIL: lines and a summary; exit 0 when nothing failed, 1 otherwise, 77 with
# SKIP: when QEMU, the cross compiler, openssl or network namespaces are missing.
# Environment: QEMU (qemu-system-arm), QEMU_EST_BOARDS ("an385 an386"), QEMU_EST_RANDOM_CUTS
# (random-instant cuts per board, default 4), QEMU_EST_SEED (for those instants),
# QEMU_EST_TIMEOUT (seconds per QEMU run, default 120), PKIOT_QEMU_SKIP_BUILD=1.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
QEMU=${QEMU:-qemu-system-arm}
W=$TOP/build/interop/qemu-est
RUN_TIMEOUT=${QEMU_EST_TIMEOUT:-120}
RANDOM_CUTS=${QEMU_EST_RANDOM_CUTS:-4}
SEED=${QEMU_EST_SEED:-$$}
BOARDS=${QEMU_EST_BOARDS:-an385 an386}
HOLD_MS=400

skip() { echo "SKIP: qemu-est: $1"; exit 77; }
command -v "$QEMU" >/dev/null 2>&1 || skip "$QEMU not installed"
"$QEMU" -M none -netdev help 2>/dev/null | grep -qx user || skip "$QEMU lacks user-mode networking"
command -v arm-none-eabi-gcc >/dev/null 2>&1 || skip "arm-none-eabi-gcc not installed"
command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
. test/interop/est_env.sh
est_env_check >/dev/null 2>&1 || skip "network namespaces not permitted (need root or CAP_SYS_ADMIN)"

QPID=""
cleanup() { if [ -n "$QPID" ]; then kill -9 "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; fi; }
trap cleanup EXIT   # est_env chains its own cleanup (server, namespace) in front of this

rm -rf "$W"
mkdir -p "$W"
if [ "${PKIOT_QEMU_SKIP_BUILD:-0}" != 1 ]; then
  for t in cortex-m3 cortex-m4; do
    make -s -j"$(nproc)" TARGET=$t qemu-enroll >"$W/build-$t.log" 2>&1 ||
      { echo "FAIL: qemu-est: firmware build for $t"; tail -n 20 "$W/build-$t.log"; exit 1; }
  done
  make -s libest >"$W/build-libest.log" 2>&1 || { echo "FAIL: qemu-est: libest build"; exit 1; }
fi
# Private copies: a concurrent PKIOT_BENCH=1 build relinks build/<target>/qemu-enroll.elf.
cp build/cortex-m3/qemu-enroll.elf "$W/an385.elf" && cp build/cortex-m4/qemu-enroll.elf "$W/an386.elf" ||
  { echo "FAIL: qemu-est: firmware images missing"; exit 1; }

PKI=$W/pki
est_env_ca "$PKI" >/dev/null || { echo "FAIL: qemu-est: test PKI"; exit 1; }
TRUST=$PKI/trust.pem

npass=0; nfail=0; ncuts=0
pass() { echo "PASS: $1"; npass=$((npass + 1)); }
fail() { echo "FAIL: $1${2:+ ($2)}"; nfail=$((nfail + 1)); }
check() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "${3:-}"; fi; }

# --- helpers --------------------------------------------------------------------------------
machine_of() { echo "mps2-$1"; }
# Paths relative to the top directory (QEMU's working directory): the firmware takes at most
# BOARD_FILE_PATH_MAX (128) bytes per path.
REL=${W#"$TOP"/}
base_args() { # BOARD NAME
  echo "port=$EST_PORT ca=$REL/pki/trust.pem user=$EST_USER:$EST_PASS subject=CN=qemu-$1-$2,O=pkiot flash=$REL/$1-$2.flash io_timeout_ms=5000 backoff_ms=300 timeout=100"
}
# run BOARD NAME LOG [ARGS...]: runs to the end; returns QEMU's (the firmware's) exit status.
run() {
  local b=$1 name=$2 log=$3
  shift 3
  est_env_exec timeout -k 5 "$RUN_TIMEOUT" "$QEMU" -M "$(machine_of "$b")" -nographic \
    -semihosting-config enable=on,target=native -nic user,model=lan9118 -kernel "$W/$b.elf" \
    -append "$(base_args "$b" "$name") $*" </dev/null >"$log" 2>&1
}
# power_cut BOARD NAME LOG HOW WHAT NTH [ARGS...]: starts the firmware and cuts its power.
#   HOW=line   SIGKILL to QEMU after the NTH console line that begins with WHAT
#   HOW=after  SIGKILL to QEMU WHAT seconds after the start
#   HOW=flash  the firmware's flash_cut= knob stops it inside a flash write (ARGS has it)
# Returns 0 when the cut happened while the firmware was running.
power_cut() {
  local b=$1 name=$2 log=$3 how=$4 what=$5 nth=$6
  shift 6
  if [ "$how" = flash ]; then
    run "$b" "$name" "$log" "$@"
    [ $? = 80 ] && grep -aq '^flash: simulated power cut' "$log"
    return
  fi
  ip netns exec "$EST_NS" "$QEMU" -M "$(machine_of "$b")" -nographic \
    -semihosting-config enable=on,target=native -nic user,model=lan9118 -kernel "$W/$b.elf" \
    -append "$(base_args "$b" "$name") $*" </dev/null >"$log" 2>&1 &
  QPID=$!   # `ip netns exec` execs QEMU: this is QEMU's own pid
  local i hit=1
  if [ "$how" = after ]; then
    sleep "$what"
    kill -0 "$QPID" 2>/dev/null && hit=0
  else
    for i in $(seq 1 1500); do
      if [ "$(grep -ac "^$what" "$log" 2>/dev/null || true)" -ge "$nth" ] 2>/dev/null; then hit=0; break; fi
      kill -0 "$QPID" 2>/dev/null || break
      sleep 0.02
    done
  fi
  kill -9 "$QPID" 2>/dev/null
  wait "$QPID" 2>/dev/null
  QPID=""
  return $hit
}
spki_hash_pem() { openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -c1-64; }
spki_hash_cert() { openssl x509 -noout -pubkey 2>/dev/null | spki_hash_pem; }
der_hash_cert() { openssl x509 -outform DER 2>/dev/null | sha256sum | cut -c1-64; }
# pem_after LOG PREFIX: the PEM block following the last console line that starts with PREFIX
pem_after() {
  awk -v m="$2" 'index($0, m) == 1 { buf = ""; f = 1; p = 0; next }
    f && /^-----BEGIN/ { p = 1 } p { buf = buf $0 "\n" } p && /^-----END/ { p = 0; f = 0 }
    END { printf "%s", buf }' "$1"
}
# cert_ok CERT_PEM_FILE PUBKEY_PEM_FILE: chains to the test CA and carries that public key
cert_ok() {
  openssl verify -CAfile "$TRUST" "$1" >/dev/null 2>&1 || return 1
  local a b
  a=$(spki_hash_cert <"$1")
  b=$(spki_hash_pem <"$2")
  [ -n "$a" ] && [ "$a" != "$(printf '' | sha256sum | cut -c1-64)" ] && [ "$a" = "$b" ]
}
# final_check LOG PREFIX: writes $LOG.cert / $LOG.pub; 0 when the device ended well
final_check() {
  pem_after "$1" "$2" >"$1.cert"
  pem_after "$1" "device public key (installed)" >"$1.pub"
  grep -aq '^result: PASS' "$1" && cert_ok "$1.cert" "$1.pub"
}
# flash_state FLASH DIR: newest valid blob of each flash area into DIR/ckpt.bin, DIR/cred.bin
# (A/B slots as in ports/storage/pkiot_storage_mem.h), then prints
#   ckpt_op=<1|2|-> ckpt_key=<spki sha256|-> ckpt_cert=<der sha256|-> cred_key=<spki sha256|->
flash_state() {
  local f=$1 d=$2
  rm -f "$d"/ckpt.bin "$d"/cred.bin "$d"/ck.key "$d"/ck.crt "$d"/cr.key
  python3 - "$f" "$d" <<'EOF'
import struct, sys, zlib
img = open(sys.argv[1], "rb").read()
best = {}
for off in range(0, len(img), 4096):          # slots start on 4 KiB sectors
    if img[off:off + 4] != b"PKS1":
        continue
    seq, ln, crc = struct.unpack("<III", img[off + 4:off + 16])
    blob = img[off + 16:off + 16 + ln]
    if len(blob) != ln or zlib.crc32(img[off + 4:off + 12] + blob) & 0xFFFFFFFF != crc:
        continue
    kind = {b"PKCK": "ckpt", b"QEC1": "cred"}.get(blob[:4])
    if kind and (kind not in best or ((seq - best[kind][0]) & 0xFFFFFFFF) < 0x80000000):
        best[kind] = (seq, blob)
for kind, (seq, blob) in best.items():
    open("%s/%s.bin" % (sys.argv[2], kind), "wb").write(blob)
if "cred" in best:
    b = best["cred"][1]
    kl, cl = struct.unpack("<HH", b[6:10])
    open(sys.argv[2] + "/cr.key", "wb").write(b[10:10 + kl])
EOF
  local op=- ck=- cc=- cr=-
  if [ -f "$d/ckpt.bin" ]; then
    op=$(python3 test/tools/ckpt_dump.py "$d/ckpt.bin" --key-der "$d/ck.key" --cert-der "$d/ck.crt" |
         sed -n 's/.*operation=\([0-9]*\).*/\1/p')
    [ -s "$d/ck.key" ] && ck=$(openssl pkey -inform DER -in "$d/ck.key" -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-64)
    [ -s "$d/ck.crt" ] && cc=$(sha256sum <"$d/ck.crt" | cut -c1-64)
  fi
  [ -s "$d/cr.key" ] && cr=$(openssl pkey -inform DER -in "$d/cr.key" -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-64)
  echo "ckpt_op=$op ckpt_key=$ck ckpt_cert=$cc cred_key=$cr"
}


# cut_case BOARD LABEL HOW WHAT NTH [RUN1 ARGS...] [-- RUN2 ARGS...]: one power cut, then QEMU
# starts again on the same flash image. Checks: the device finishes; its certificate chains
# to the CA and carries its key; that key is the one that was durable at the cut (last
# console "key:" line, the checkpoint's key, the installed record's key); no second key is
# generated when one was in flash; a certificate that was in the checkpoint is the one
# installed (not requested again). NO_202=enroll|all: the restarted run must not get a 202
# before installing the enrolled certificate / at all (libest answers 202 only for a public
# key it has not seen: the re-sent request carries the same key).
cut_case() {
  local b=$1 label=$2 how=$3 what=$4 nth=$5
  shift 5
  local a1=() a2=() side=1 x
  for x in "$@"; do
    if [ "$x" = -- ]; then side=2; continue; fi
    if [ $side = 1 ]; then a1+=("$x"); else a2+=("$x"); fi
  done
  local name=cut$((ncuts + ntried + 1))
  local d=$W/$b-$name
  ntried=$((ntried + 1))
  mkdir -p "$d"
  rm -f "$W/$b-$name.flash"
  [ "$how" = line ] && a1+=("hold_ms=$HOLD_MS")
  if ! power_cut "$b" "$name" "$d/run1.log" "$how" "$what" "$nth" "${a1[@]}"; then
    if [ "$how" = after ]; then
      echo "note: $b cut '$label': the firmware had already finished; not counted"
      return
    fi
    fail "$b power cut at '$label': the firmware never got there" "$(grep -a '^result:' "$d/run1.log")"
    return
  fi
  ncuts=$((ncuts + 1))
  local st k1 ck cc cr op
  st=$(flash_state "$W/$b-$name.flash" "$d")
  k1=$(grep -a '^key: ' "$d/run1.log" | tail -n 1 | sed 's/.*spki-sha256 //')
  op=$(sed 's/.*ckpt_op=\([^ ]*\).*/\1/' <<<"$st")
  ck=$(sed 's/.*ckpt_key=\([^ ]*\).*/\1/' <<<"$st")
  cc=$(sed 's/.*ckpt_cert=\([^ ]*\).*/\1/' <<<"$st")
  cr=$(sed 's/.*cred_key=\([^ ]*\).*/\1/' <<<"$st")
  # LOSE_FLASH=1: the restart finds an erased flash, as if the firmware ignored its checkpoint;
  # the checks below must then fail (proves they can).
  [ -n "${LOSE_FLASH:-}" ] && rm -f "$W/$b-$name.flash"
  run "$b" "$name" "$d/run2.log" "${a2[@]}"
  local rc=$? why="" fk tag
  final_check "$d/run2.log" "cert[reenroll]: serial" ||
    why="restart did not end with a valid certificate for its key (exit $rc)"
  fk=$(spki_hash_pem <"$d/run2.log.pub")
  [ -z "$why" ] && [ -n "$k1" ] && [ "$k1" != "$fk" ] && why="key printed before the cut ${k1:0:12} != final ${fk:0:12}"
  [ -z "$why" ] && [ "$ck" != - ] && [ "$ck" != "$fk" ] && why="key in the checkpoint ${ck:0:12} != final ${fk:0:12}"
  [ -z "$why" ] && [ "$cr" != - ] && [ "$cr" != "$fk" ] && why="installed key ${cr:0:12} != final ${fk:0:12}"
  if [ -z "$why" ] && { [ "$ck" != - ] || [ "$cr" != - ]; } && grep -aq '^progress: key generated' "$d/run2.log"; then
    why="a second key was generated although one was in flash"
  fi
  if [ -z "$why" ] && [ "$cc" != - ]; then
    tag=enroll
    [ "$op" = 2 ] && tag=reenroll
    pem_after "$d/run2.log" "cert[$tag]: serial" >"$d/cert-$tag.pem"
    if ! grep -aq '^main: certificate from the checkpoint is already installed' "$d/run2.log" &&
       [ "$(der_hash_cert <"$d/cert-$tag.pem")" != "$cc" ]; then
      why="the certificate in the checkpoint was not the one installed"
    fi
  fi
  case "${NO_202:-}" in
    enroll) sed -n '1,/^flash: credentials installed (enroll/p' "$d/run2.log" | grep -aq 'later processing' &&
              why=${why:-"the server did not recognise the re-sent request (202 again)"} ;;
    all) grep -aq 'later processing' "$d/run2.log" &&
              why=${why:-"the server did not recognise the re-sent request (202 again)"} ;;
  esac
  if [ -n "${LOSE_FLASH:-}" ]; then
    ncuts=$((ncuts - 1))
    check "$b negative: the power-cut check fails when the restart loses the flash ('$label')" \
      "$([ -n "$why" ] && echo 0 || echo 1)" "it passed; logs in $d"
    [ -n "$why" ] && echo "note: as it should, it said: $why"
    return
  fi
  local note=""
  [ "$ck" = - ] && [ "$cr" = - ] && note=" (no key in flash yet)"
  [ "$ck" != - ] && note=" (checkpoint: op $op, key ${ck:0:8}${cc:+, cert ${cc:0:8}})"
  [ "$ck" = - ] && [ "$cr" != - ] && note=" (installed key ${cr:0:8})"
  [ "$cc" = - ] && note=${note/, cert -/}
  check "$b power cut at '$label'$note: restart finishes with the same key" \
    "$([ -z "$why" ] && echo 0 || echo 1)" "$why; logs in $d"
}

# --- libest with HTTP Basic -------------------------------------------------------------------
ntried=0
est_env_start "$PKI" -d 1500 >/dev/null || { echo "FAIL: qemu-est: estserver start"; exit 1; }
declare -A clean_secs
for b in $BOARDS; do
  # (a) enrollment + re-enrollment, checked by the host
  log=$W/$b-a.log
  t0=$(date +%s.%N)
  run "$b" a "$log"
  rc=$?
  clean_secs[$b]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  pem_after "$log" "cert[enroll]: serial" >"$log.enroll.pem"
  pem_after "$log" "cert[reenroll]: serial" >"$log.reenroll.pem"
  pem_after "$log" "device public key (installed)" >"$log.pub"
  x=1
  [ $rc = 0 ] && grep -aq '^result: PASS enrolled and re-enrolled' "$log" && cert_ok "$log.enroll.pem" "$log.pub" &&
    cert_ok "$log.reenroll.pem" "$log.pub" && x=0
  check "$b enrollment + re-enrollment (${clean_secs[$b]} s): both certificates chain to the test CA and carry the printed device key" $x \
    "exit $rc; $(grep -a '^result:\|^engine:' "$log" | tail -n 2 | tr '\n' ' ')"
  x=1
  [ -s "$log.enroll.pem" ] &&
    [ "$(openssl x509 -in "$log.enroll.pem" -noout -serial 2>/dev/null)" != "$(openssl x509 -in "$log.reenroll.pem" -noout -serial 2>/dev/null)" ] &&
    [ "$(openssl x509 -in "$log.enroll.pem" -noout -subject -nameopt RFC2253 2>/dev/null)" = "subject=CN=qemu-$b-a,O=pkiot" ] &&
    [ "$(openssl x509 -in "$log.reenroll.pem" -noout -subject -nameopt RFC2253 2>/dev/null)" = "subject=CN=qemu-$b-a,O=pkiot" ] &&
    grep -aq "^io: connected to 10.0.2.2:$EST_PORT, TLSv1.2" "$log" && x=0
  check "$b re-enrollment: new serial, same subject" $x
  x=1
  [ "$(grep -a '^key: device key in flash checkpoint' "$log" | head -n 1 | sed 's/.*spki-sha256 //')" = "$(spki_hash_pem <"$log.pub")" ] && x=0
  check "$b the key reported when first checkpointed is the installed key" $x
  x=1
  grep -aq '^engine: starting reenroll' "$log" && ! grep -aq '^main: sleeping' "$log" && x=0
  check "$b clean run: no retry, no sleep" $x

  # The host check must be able to fail: a certificate from another CA, one for another key.
  x=0
  cert_ok "$PKI/foreign-client.crt" "$log.pub" && x=1
  check "$b negative: the host check refuses a certificate from another CA" $x
  x=0
  cert_ok "$PKI/boot.crt" "$log.pub" && x=1
  openssl verify -CAfile "$TRUST" "$PKI/boot.crt" >/dev/null 2>&1 || x=1   # it does chain
  check "$b negative: the host check refuses a certificate of the test CA for another key" $x

  x=0
  arm-none-eabi-nm "$W/$b.elf" | grep -Eq ' (malloc|_malloc_r|free|_free_r|calloc|realloc|_sbrk|_sbrk_r)$' && x=1
  check "$b image links no malloc/_malloc_r/free/_sbrk" $x

  # (c) sleepy link: cable out for 4 s right after the first request
  log=$W/$b-linkdown.log
  run "$b" linkdown "$log" linkdown_ms=4000 io_timeout_ms=1500 backoff_ms=500
  rc=$?
  x=1
  final_check "$log" "cert[reenroll]: serial" && grep -aq '^link: down for 4000 ms' "$log" &&
    grep -aq '^main: sleeping [0-9]* ms (retry backoff)' "$log" && grep -aq '^link: up again' "$log" && x=0
  check "$b link down 4 s after the first request: sleeps in its main loop, then completes" $x \
    "exit $rc; $(grep -a '^result:\|^engine:' "$log" | tail -n 2 | tr '\n' ' ')"
done

# (b) power cuts at named points of the lifecycle, found on the console
for b in $BOARDS; do
  cut_case "$b" "key generated" line "progress: key generated" 1
  cut_case "$b" "key and CSR checkpointed" line "flash: checkpoint saved" 1
  cut_case "$b" "first request sent" line "io: request sent" 1
  cut_case "$b" "server asked for credentials" line "progress: server asked for HTTP Basic" 1
  cut_case "$b" "request with credentials sent" line "io: request sent" 2
  cut_case "$b" "certificate received" line "progress: certificate received and verified" 1
  cut_case "$b" "certificate checkpointed" line "flash: checkpoint saved" 2
  cut_case "$b" "certificate installed" line "flash: credentials installed (enroll" 1
  cut_case "$b" "checkpoint erased after install" line "flash: checkpoint erased" 1
  cut_case "$b" "re-enrollment request sent" line "io: request sent" 3
  cut_case "$b" "re-enrolled certificate received" line "progress: certificate received and verified" 2
  cut_case "$b" "re-enrolled certificate checkpointed" line "flash: checkpoint saved" 4
  cut_case "$b" "re-enrolled certificate installed" line "flash: credentials installed (reenroll" 1
  LOSE_FLASH=1 cut_case "$b" "key and CSR checkpointed" line "flash: checkpoint saved" 1
done
named=$ncuts

# (b) power cuts inside flash writes (flash_cut=N:B): in the erase, the blob, the header and the
# magic of the saves that carry the key, the certificate and the installed record
for b in $BOARDS; do
  log=$W/$b-a.log
  slot_ck=$(sed -n 's/^flash: .*checkpoint slots 2 x \([0-9]*\).*/\1/p' "$log" | head -n 1)
  slot_cr=$(sed -n 's/^flash: .*credential slots 2 x \([0-9]*\).*/\1/p' "$log" | head -n 1)
  mapfile -t saves < <(grep -a '^flash: checkpoint saved (\|^flash: credentials installed (' "$log" |
    sed 's/^flash: checkpoint saved (\([0-9]*\) bytes.*/ck \1/; s/^flash: credentials installed ([a-z]*, \([0-9]*\) bytes.*/cr \1/')
  if [ ${#saves[@]} -lt 6 ] || [ -z "$slot_ck" ] || [ -z "$slot_cr" ]; then
    fail "$b flash write cuts: save sizes not found in $log"
    continue
  fi
  # save 1: key + CSR, 2: enrolled certificate, 3: installed record, 5: re-enrolled certificate
  for i in 1 2 3 5; do
    read -r kind len <<<"${saves[$((i - 1))]}"
    slot=$slot_ck
    what=checkpoint
    [ "$kind" = cr ] && slot=$slot_cr && what="credential record"
    for at in "50:slot erase" "$((slot + len / 2)):blob" "-10:header" "-2:magic"; do
      cut_case "$b" "flash save $i ($what), in the ${at#*:}" flash - 0 "flash_cut=$i:${at%%:*}"
    done
  done
done
inflash=$((ncuts - named))

# (b) power cuts at random instants of a run
RANDOM=$SEED
echo "note: random cut instants from QEMU_EST_SEED=$SEED"
for b in $BOARDS; do
  ms=$(awk -v s="${clean_secs[$b]}" 'BEGIN { printf "%d", s * 1000 }')
  for i in $(seq 1 "$RANDOM_CUTS"); do
    t=$(awk -v r=$RANDOM -v m="$ms" 'BEGIN { printf "%.3f", 0.05 + (0.8 * m / 1000.0 - 0.05) * r / 32768.0 }')
    cut_case "$b" "random instant ${t} s" after "$t" 0
  done
done
randoms=$((ncuts - named - inflash))
est_env_stop

# --- libest with manual enrollment: 202 + Retry-After: 60 -------------------------------------
est_env_start "$PKI" -m 60 -d 600 >/dev/null || { echo "FAIL: qemu-est: estserver -m 60 start"; exit 1; }
for b in $BOARDS; do
  log=$W/$b-202.log
  run "$b" m202 "$log" max_sleep_ms=1500
  rc=$?
  x=1
  final_check "$log" "cert[reenroll]: serial" &&
    [ "$(grep -ac '^main: sleeping 1500 ms (server asked to come back later; [0-9]* ms asked' "$log")" = 2 ] &&
    [ "$(grep -ac '^main: awake after' "$log")" = 2 ] && x=0
  check "$b 202 + Retry-After: 60 for enroll and re-enroll: sleeps in its main loop (capped at 1.5 s), completes" $x \
    "exit $rc; $(grep -a '^result:\|^engine:' "$log" | tail -n 2 | tr '\n' ' ')"
  NO_202=enroll cut_case "$b" "waiting after 202 (enroll)" line "main: sleeping" 1 -- max_sleep_ms=1000
  NO_202=all cut_case "$b" "waiting after 202 (re-enroll)" line "main: sleeping" 2 max_sleep_ms=1000 -- max_sleep_ms=1000
done
est_env_stop

echo "power cuts tried: $ncuts ($named at named points, $inflash inside flash writes, $randoms at random instants, $((ncuts - named - inflash - randoms)) while waiting after 202)"
echo "$npass passed, $nfail failed"
[ $nfail = 0 ]
