#!/usr/bin/env bash
# Device cost of one enrollment: the qemu-enroll firmware, built with PKIOT_BENCH=1, enrolls
# (and re-enrolls) under `qemu-system-arm -icount shift=0,sleep=off`: one virtual nanosecond
# per guest instruction, so its clock counts instructions. Each run prints one line
#     BENCH total=<n> crypto=<n> tls_handshake=<n> other=<n> arena_peak=<bytes> ...
# and scripts/bench_device.py checks that the runs agree and prints the table.
#
# The runs repeat exactly, because everything that enters the device repeats:
#  1. the firmware runs in its bench-only fixed-input mode (`fixed=<Unix time>`,
#     examples/qemu-enroll/bench_fixed.c): entropy from a fixed stream, a constant wall clock,
#     and network frames read only while the engine waits, in batches that are the same in
#     every run, with the device clock held during the waits (host and server timing do not
#     reach the counts);
#  2. the server side is recorded once: one enrollment against Cisco libest's estserver
#     through a recording proxy (test/tools/tcp_replay.py record), at the start of every
#     invocation, so the figures are for a real libest exchange;
#  3. each measured run talks to a replay server (tcp_replay.py replay) that sends exactly
#     the recorded server bytes, only while the device sleeps for them (it follows the
#     device's fixed_sync= file), and checks that the device's bytes are the recorded ones
#     (the run fails, naming the first differing offset, when they are not).
# The fixed time is ten minutes after the test PKI was made, inside every certificate's
# validity. A new invocation makes a new PKI and a new recording (libest's keys, serial
# numbers and signatures change), so totals may differ slightly between invocations (0.2 %
# seen); within one invocation the runs are identical. BENCH_SESSION=DIR keeps the recording
# (with its trust anchor and time) in DIR and replays it in later invocations instead of
# recording again: then the counts repeat across invocations too, for as long as the
# firmware sends the same bytes.
#
# estserver, the proxy and the replay server bind addresses of their own: they and QEMU run
# inside a private network namespace (test/interop/est_env.sh); the guest reaches the
# namespace's 127.0.0.1 as 10.0.2.2 (QEMU user networking).
#
# Environment:
#   BENCH_ELF       firmware image (default build/cortex-m4-bench/qemu-enroll.elf)
#   BENCH_RUNS      measured enrollments (default 5)
#   BENCH_MACHINE   QEMU machine (default mps2-an386, the Cortex-M4 board)
#   BENCH_TIMEOUT   seconds per run (default 300)
#   BENCH_SESSION   directory of a recording to replay; recorded there first when it has none
#   BENCH_QUIET_MS  host milliseconds of network silence that complete an answer (default 50)
#   BENCH_LIVE=1    the old way: every run against estserver itself, host entropy and clock
#                   (not repeatable; for comparison)
#   BENCH_APPEND    firmware arguments replacing the defaults below; "@PORT@", "@CA@" and
#                   "@FLASH@" are substituted
#   BENCH_EXTRA     arguments appended to the defaults
#   BENCH_MARKDOWN=1  also print a markdown table
#   QEMU, PYTHON
# Exit: 0 measured, 1 a run failed or printed no BENCH line, 2 usage/build problem,
#       77 skipped (no network namespaces, no QEMU).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
TOP=$PWD

ELF=${BENCH_ELF:-build/cortex-m4-bench/qemu-enroll.elf}
RUNS=${BENCH_RUNS:-5}
MACHINE=${BENCH_MACHINE:-mps2-an386}
TIMEOUT=${BENCH_TIMEOUT:-300}
QEMU=${QEMU:-qemu-system-arm}
PYTHON=${PYTHON:-/usr/bin/python3}
NM=${CROSS_COMPILE:-arm-none-eabi-}nm
QUIET_MS=${BENCH_QUIET_MS:-50}
LIVE=${BENCH_LIVE:-}
SESSION=${BENCH_SESSION:-}
PORT=8443
DEFAULT_APPEND='host=10.0.2.2 port=@PORT@ ca=@CA@ flash=@FLASH@ user=estuser:estpwd subject=CN=pkiot-bench'
APPEND=${BENCH_APPEND:-$DEFAULT_APPEND${BENCH_EXTRA:+ $BENCH_EXTRA}}
REPLAY=test/tools/tcp_replay.py

say() { echo "bench-device: $*" >&2; }

[ -f "$ELF" ] || { say "$ELF not found (make bench-device builds it)"; exit 2; }
if command -v "$NM" >/dev/null 2>&1; then
  syms=$("$NM" "$ELF" 2>/dev/null)
  if ! grep -q ' qe_bench$' <<<"$syms"; then
    say "$ELF has no bench counters: build it with PKIOT_BENCH=1"
    exit 2
  fi
  if [ -z "$LIVE" ] && ! grep -q ' T board_fixed_entropy$' <<<"$syms"; then
    say "$ELF has no fixed-input mode (examples/qemu-enroll/bench_fixed.c): rebuild it"
    exit 2
  fi
fi
command -v "$QEMU" >/dev/null 2>&1 || { say "SKIP: $QEMU not installed"; exit 77; }
case $RUNS in ''|*[!0-9]*|0) say "BENCH_RUNS must be a positive number"; exit 2 ;; esac
case $QUIET_MS in ''|*[!0-9]*|0) say "BENCH_QUIET_MS must be a positive number"; exit 2 ;; esac

# shellcheck source=../test/interop/est_env.sh
. test/interop/est_env.sh
est_env_check || exit $?

mkdir -p build/bench-device
WORK=$(mktemp -d "$TOP/build/bench-device/run.XXXXXX")
# The last invocation's files stay for inspection; older run directories are removed.
for old in build/bench-device/run.*; do
  [ "$old" = "build/bench-device/$(basename "$WORK")" ] || rm -rf "$old"
done

# Background processes of this script (QEMU, proxy, replay server), ended on exit.
QEMU_PID=""
SERVER_PID=""
# shellcheck disable=SC2317  # called from the EXIT trap
on_exit_bench() {
  local p
  for p in $QEMU_PID $SERVER_PID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
trap 'exit 130' INT
trap 'exit 143' TERM
# est_env installs an EXIT trap (est_env_stop) when it makes the namespace: run ours first,
# then its.
chain_exit_trap() {
  local prev
  prev=$(trap -p EXIT | sed "s/^trap -- '\(.*\)' EXIT$/\1/")
  # shellcheck disable=SC2064,SC2154
  trap "bench_rc=\$?; on_exit_bench; (exit \$bench_rc); $prev" EXIT
}

# wait_file FILE PID: until FILE exists (the server listens), while PID lives; 10 s at most.
wait_file() {
  local i
  for i in $(seq 1 200); do
    [ -s "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# Background commands run as `ip netns exec "$EST_NS" CMD &`, not through the est_env_exec
# function: that would put a subshell between $! and CMD, and a signal would miss CMD.
# stop PID [SIGNAL]: end a background process this script started, and reap it.
stop() {
  if kill -0 "$1" 2>/dev/null; then kill "-${2:-TERM}" "$1" 2>/dev/null; fi
  wait "$1" 2>/dev/null
}

# run_qemu LOG FLASH EXTRA_ARGS ICOUNT: one enrollment; returns QEMU's (the firmware's) status.
# sleep=off: a WFI moves virtual time straight to the next timer (or, with none, not at all)
# instead of along with host time. ipv6=off: slirp would send IPv6 router advertisements on a
# randomised timer of its own.
run_qemu() {
  local log=$1 flash=$2 extra=$3 icount=$4 args rc
  args=${APPEND//@PORT@/$PORT}
  args=${args//@CA@/$CA}
  args=${args//@FLASH@/$flash}
  ip netns exec "$EST_NS" timeout -k 5 "$TIMEOUT" "$QEMU" -M "$MACHINE" -nographic \
    -semihosting-config enable=on,target=native -icount "$icount" \
    -nic user,model=lan9118,ipv6=off -kernel "$TOP/$ELF" -append "$args${extra:+ $extra}" \
    </dev/null >"$log" 2>&1 &
  QEMU_PID=$!
  wait "$QEMU_PID"
  rc=$?
  QEMU_PID=""
  return $rc
}

# Every run (the recording too) uses the same file names and arguments: the device prints
# and opens them at boot, and a name of another length would shift the instruction counts.
FLASH=$WORK/flash.bin
# The firmware appends W/R to it when it sleeps for an answer and runs again; the replay
# server sends only while it sleeps (examples/qemu-enroll/bench_fixed.c).
SYNC=$WORK/sync

show_tail() { tail -n 25 "$1" | sed 's/^/    | /' >&2; }

if [ -n "$LIVE" ]; then
  # --- the old way: every run against estserver, host entropy and clock -------------------
  est_env_ca "$WORK/pki" >/dev/null || { say "test PKI failed"; exit 2; }
  est_env_start "$WORK/pki" -p "$PORT" || exit $?
  chain_exit_trap
  CA=$EST_DIR/trust.pem
  FIXED=""
  ICOUNT=shift=0
  METHOD="live: estserver answers every run; host entropy and clock (not repeatable)"
else
  # --- recording (unless BENCH_SESSION already holds one) -------------------------------
  if [ -n "$SESSION" ]; then
    mkdir -p "$SESSION" && SESSION=$(cd "$SESSION" && pwd) || exit 2
  else
    SESSION=$WORK/session
    mkdir -p "$SESSION"
  fi
  ICOUNT=shift=0,sleep=off
  if [ -s "$SESSION/session.json" ] && [ -s "$SESSION/trust.pem" ] &&
     [ -s "$SESSION/fixed_time" ]; then
    est_env_netns || exit $?
    chain_exit_trap
    FIXED_TIME=$(cat "$SESSION/fixed_time")
    say "replaying the recording in $SESSION (Unix time $FIXED_TIME)"
  else
    est_env_ca "$WORK/pki" >/dev/null || { say "test PKI failed"; exit 2; }
    est_env_start "$WORK/pki" -p $((PORT + 1)) || exit $?
    chain_exit_trap
    cp "$EST_DIR/trust.pem" "$SESSION/trust.pem"
    # Ten minutes after the PKI was made: after every notBefore, including that of the
    # certificate libest issues during the recording, and long before any notAfter.
    FIXED_TIME=$(( $(date +%s) + 600 ))
    echo "$FIXED_TIME" > "$SESSION/fixed_time"
    rm -f "$SESSION/session.json" "$WORK/record.ready"
    ip netns exec "$EST_NS" "$PYTHON" "$REPLAY" record --listen "127.0.0.1:$PORT" \
      --target "127.0.0.1:$((PORT + 1))" --out "$SESSION/session.json" \
      --ready-file "$WORK/record.ready" --timeout $((TIMEOUT + 60)) 2>"$WORK/record-proxy.log" &
    SERVER_PID=$!
    if ! wait_file "$WORK/record.ready" "$SERVER_PID"; then
      say "recording proxy did not start"; cat "$WORK/record-proxy.log" >&2; exit 2
    fi
    CA=$SESSION/trust.pem
    say "recording one enrollment: estserver on port $((PORT + 1)), the proxy on $PORT"
    : > "$SYNC"
    run_qemu "$WORK/record.log" "$FLASH" \
      "fixed=$FIXED_TIME fixed_quiet_ms=$QUIET_MS fixed_sync=$SYNC" "$ICOUNT"
    rc=$?
    mv -f "$FLASH" "$WORK/flash-record.bin" 2>/dev/null
    stop "$SERVER_PID" TERM
    SERVER_PID=""
    if [ $rc -ne 0 ] || ! [ -s "$SESSION/session.json" ]; then
      say "the recording run failed (exit $rc); log $WORK/record.log:"
      show_tail "$WORK/record.log"
      cat "$WORK/record-proxy.log" >&2
      exit 1
    fi
    say "recorded: $(grep -m1 '^BENCH ' "$WORK/record.log" || echo 'no BENCH line')"
    # The server is not needed any more: the measured runs talk to the replay server.
    est_env_stop
    est_env_netns || exit $?
  fi
  CA=$SESSION/trust.pem
  FIXED="fixed=$FIXED_TIME fixed_quiet_ms=$QUIET_MS fixed_sync=$SYNC"
  METHOD="fixed inputs (seeded entropy, Unix time $FIXED_TIME); server: replay of one"
  METHOD="$METHOD recorded estserver session, the device's bytes checked identical in every run"
fi

say "$RUNS enrollment(s) of $ELF on $MACHINE, -icount $ICOUNT"
logs=()
failed=0
for i in $(seq 1 "$RUNS"); do
  log=$WORK/run-$i.log
  if [ -z "$LIVE" ]; then
    rm -f "$WORK/replay-$i.ready" "$WORK/replay-$i.json"
    : > "$SYNC"
    ip netns exec "$EST_NS" "$PYTHON" "$REPLAY" replay --listen "127.0.0.1:$PORT" \
      --session "$SESSION/session.json" --sync "$SYNC" --report "$WORK/replay-$i.json" \
      --ready-file "$WORK/replay-$i.ready" --timeout "$TIMEOUT" 2>"$WORK/replay-$i.log" &
    SERVER_PID=$!
    if ! wait_file "$WORK/replay-$i.ready" "$SERVER_PID"; then
      say "replay server did not start"; cat "$WORK/replay-$i.log" >&2; exit 2
    fi
  fi
  t0=$(date +%s.%N)
  rm -f "$FLASH"
  run_qemu "$log" "$FLASH" "$FIXED" "$ICOUNT"
  rc=$?
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  why=""
  mv -f "$FLASH" "$WORK/flash-$i.bin" 2>/dev/null
  if [ -n "$SERVER_PID" ]; then
    # The replay server is done once QEMU is; a short grace for its last connection.
    for _ in $(seq 1 40); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
    stop "$SERVER_PID" TERM
    SERVER_PID=""
    if ! grep -q '"ok": true' "$WORK/replay-$i.json" 2>/dev/null; then
      why=$(sed -n 's/.*"error": "\(.*\)".*/\1/p' "$WORK/replay-$i.json" 2>/dev/null)
      why="replay: ${why:-no verdict (see $WORK/replay-$i.log)}"
      if [ -n "${BENCH_SESSION:-}" ]; then
        why="$why (a firmware that sends other bytes needs a new recording: remove $SESSION)"
      fi
    fi
  fi
  bench=$(grep -m1 '^BENCH ' "$log" || true)
  if [ $rc -ne 0 ] || [ -z "$bench" ] || [ -n "$why" ]; then
    say "run $i: exit $rc after ${secs}s$([ -z "$bench" ] && echo ', no BENCH line')${why:+; $why}; log $log:"
    show_tail "$log"
    failed=1
    continue
  fi
  say "run $i: ${secs}s host time: $bench"
  logs+=("$log")
done

[ ${#logs[@]} -gt 0 ] || { say "no successful run"; exit 1; }
rec=()
if [ -s "$WORK/record.log" ]; then rec=(--recording "$WORK/record.log"); fi
"$PYTHON" scripts/bench_device.py --elf "$ELF" --machine "$MACHINE" --server "libest estserver" \
  --icount "$ICOUNT" --method "$METHOD" "${rec[@]}" ${BENCH_MARKDOWN:+--markdown} "${logs[@]}"
rc=$?
[ $failed -eq 0 ] || rc=1
exit $rc
