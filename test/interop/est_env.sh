#!/usr/bin/env bash
# est_env.sh - test PKI and a libest `estserver` in a private network namespace.
#
# Use it either sourced (functions; state in EST_* shell variables):
#     . test/interop/est_env.sh
#     est_env_ca "$dir"                       || exit $?
#     est_env_start "$dir" -m 60 -a "$attrs"  || exit $?   # 77 = skip (no namespaces)
#     est_env_exec curl ... "https://127.0.0.1:$EST_PORT/.well-known/est/cacerts"
#     est_env_stop                                         # also runs from the EXIT trap
# or as a command (state in DIR/est_env.state):
#     test/interop/est_env.sh ca DIR [--intermediate] [--days N]
#     test/interop/est_env.sh start DIR [options]     prints EST_NS=..., EST_PORT=..., EST_PID=...
#     test/interop/est_env.sh exec DIR CMD...         runs CMD inside the namespace
#     test/interop/est_env.sh stop DIR
#     test/interop/est_env.sh check                   exit 0, or 77 when namespaces are not permitted
#
# estserver binds every address, so it only ever runs inside a namespace that has nothing
# but loopback; clients (curl, estclient, pkiot-enroll, QEMU) run there too via est_env_exec.
# See test/interop/README.md for what libest does on the wire.

EST_ENV_TOP=${EST_ENV_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
EST_ENV_ESTSERVER=${LIBEST_ESTSERVER:-$EST_ENV_TOP/build/libest/bin/estserver}
EST_ENV_ESTCLIENT=${LIBEST_ESTCLIENT:-$EST_ENV_TOP/build/libest/bin/estclient}
EST_USER=${EST_USER:-estuser}
EST_PASS=${EST_PASS:-estpwd}

est_env__log() { echo "est_env: $*" >&2; }

# --- namespace ----------------------------------------------------------------------------

# Returns 0 when this process may create network namespaces, 77 (with a message) otherwise.
est_env_check() {
  if ! command -v ip >/dev/null 2>&1; then
    est_env__log "SKIP: 'ip' (iproute2) not installed"
    return 77
  fi
  local probe="pkiot-probe-$$-$RANDOM"
  if ! ip netns add "$probe" >/dev/null 2>&1; then
    est_env__log "SKIP: network namespaces not permitted here (needs root/CAP_SYS_ADMIN); estserver binds every address and is only run inside one"
    return 77
  fi
  ip netns del "$probe" >/dev/null 2>&1 || true
  return 0
}

# est_env_netns: create a private namespace with only loopback up; sets EST_NS.
# Used by est_env_start, and directly by tests that only run the fake server/proxy.
est_env_netns() {
  if [ -n "${EST_NS:-}" ] && ip netns pids "$EST_NS" >/dev/null 2>&1; then
    return 0
  fi
  est_env_check || return $?
  EST_NS="pkiot-est-$$-$RANDOM"
  if ! ip netns add "$EST_NS"; then
    est_env__log "cannot create namespace $EST_NS"
    EST_NS=
    return 1
  fi
  ip -n "$EST_NS" link set lo up || { ip netns del "$EST_NS" || true; EST_NS=; return 1; }
  export EST_NS
  est_env__trap
  return 0
}

# Run a command inside the namespace.
est_env_exec() {
  [ -n "${EST_NS:-}" ] || { est_env__log "no namespace: call est_env_netns or est_env_start first (est_env_stop deletes it)"; return 1; }
  ip netns exec "$EST_NS" "$@"
}

# Cleanup on exit, chained before any EXIT trap the caller had already set.
est_env__trap() {
  [ -z "${EST_ENV_NO_TRAP:-}" ] || return 0
  # Once per process: a ( subshell ) has its own EXIT trap and needs its own cleanup.
  [ "${EST_ENV__TRAPPED:-}" != "$BASHPID" ] || return 0
  EST_ENV__TRAPPED=$BASHPID
  local old=""
  local t
  # Only at the top level: inside a subshell `trap -p` still shows the parent's trap,
  # which is not active there and must not run twice.
  if [ "$BASHPID" = "$$" ]; then
    t=$(trap -p EXIT)
    if [ -n "$t" ]; then
      eval "set -- $t"
      old=$3
    fi
  fi
  EST_ENV__OLD_EXIT_TRAP=$old
  # shellcheck disable=SC2064
  trap 'est_env__rc=$?; est_env_stop; eval "${EST_ENV__OLD_EXIT_TRAP:-}"; exit $est_env__rc' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# --- test PKI -------------------------------------------------------------------------------


# est_env__issue NAME SUBJ EXTSECTION CA_CRT CA_KEY DAYS: P-256 key NAME.key, cert NAME.crt.
est_env__issue() {
  local d=$1 name=$2 subj=$3 ext=$4 cacrt=$5 cakey=$6 days=$7
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -config "$d/ext.cnf" \
    -keyout "$d/$name.key" -out "$d/$name.csr" -subj "$subj" 2>/dev/null || return 1
  openssl x509 -req -in "$d/$name.csr" -CA "$cacrt" -CAkey "$cakey" \
    -set_serial "0x$(openssl rand -hex 8)" -days "$days" -sha256 \
    -extfile "$d/ext.cnf" -extensions "$ext" -out "$d/$name.crt" 2>/dev/null || return 1
  rm -f "$d/$name.csr"
}

# est_env_ca DIR [--intermediate] [--days N]
#   --intermediate  issue device certificates from an intermediate CA under the root
#   --days N        validity of certificates that estserver issues (default 365)
est_env_ca() {
  local d="" inter=0 days=365
  while [ $# -gt 0 ]; do
    case "$1" in
      --intermediate) inter=1 ;;
      --days) days=$2; shift ;;
      -*) est_env__log "est_env_ca: unknown option $1"; return 2 ;;
      *) d=$1 ;;
    esac
    shift
  done
  [ -n "$d" ] || { est_env__log "usage: est_env_ca DIR [--intermediate] [--days N]"; return 2; }
  mkdir -p "$d" && d=$(cd "$d" && pwd) || return 1
  # One file for `openssl req` (needs a [req] section) and the extension sections.
  cat > "$d/ext.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt             = no
[ dn ]
CN = unused
[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
[ v3_int ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_server ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1, IP:10.0.2.2, IP:::1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_client ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF

  # Root CA (EC P-256), self-signed.
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -config "$d/ext.cnf" \
    -keyout "$d/root.key" -out "$d/root.crt" -days 3650 -sha256 -subj "/CN=pkiot test root CA" \
    -extensions v3_root -set_serial "0x$(openssl rand -hex 8)" 2>/dev/null \
    || { est_env__log "root CA creation failed"; return 1; }

  # An unrelated root, for "does not chain to the trust anchor" cases.
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -config "$d/ext.cnf" \
    -keyout "$d/foreign-root.key" -out "$d/foreign-root.crt" -days 3650 -sha256 \
    -subj "/CN=pkiot foreign root CA" -extensions v3_root \
    -set_serial "0x$(openssl rand -hex 8)" 2>/dev/null || return 1

  if [ "$inter" = 1 ]; then
    est_env__issue "$d" int "/CN=pkiot test issuing CA" v3_int "$d/root.crt" "$d/root.key" 1825 || return 1
    cp "$d/int.crt" "$d/ca.crt"; cp "$d/int.key" "$d/ca.key"
    cat "$d/int.crt" "$d/root.crt" > "$d/cacerts.pem"
  else
    cp "$d/root.crt" "$d/ca.crt"; cp "$d/root.key" "$d/ca.key"
    cp "$d/root.crt" "$d/cacerts.pem"
  fi
  chmod 600 "$d"/*.key
  # Client trust anchor (what a device is provisioned with) and estserver's TLS client trust.
  cp "$d/root.crt" "$d/trust.pem"
  cp "$d/cacerts.pem" "$d/trusted.pem"

  # EST server TLS certificate, straight from the root: localhost, 127.0.0.1, 10.0.2.2, ::1.
  est_env__issue "$d" server "/CN=localhost" v3_server "$d/root.crt" "$d/root.key" 825 || return 1
  # Bootstrap (manufacturer) client certificate for mTLS enrollment, from the issuing CA.
  est_env__issue "$d" boot "/CN=pkiot-bootstrap" v3_client "$d/ca.crt" "$d/ca.key" 825 || return 1
  cat "$d/boot.crt" > "$d/boot-chain.pem"
  if [ "$inter" = 1 ]; then cat "$d/int.crt" >> "$d/boot-chain.pem"; fi
  # A client certificate from the foreign root (mTLS must fail with it).
  est_env__issue "$d" foreign-client "/CN=pkiot-foreign" v3_client "$d/foreign-root.crt" "$d/foreign-root.key" 825 || return 1

  # A ready device key and CSR (PEM, DER, and base64 as an EST request body).
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -config "$d/ext.cnf" \
    -keyout "$d/device.key" -out "$d/device.csr" -subj "/CN=pkiot-device" \
    -addext "subjectAltName=DNS:device.pkiot.test" 2>/dev/null || return 1
  openssl req -in "$d/device.csr" -outform DER -out "$d/device.csr.der"
  openssl base64 -in "$d/device.csr.der" -out "$d/device.csr.b64"
  chmod 600 "$d/device.key"

  # The `openssl ca`-style database and configuration that estserver's built-in CA reads
  # (EST_OPENSSL_CACONFIG; its section layout is the one in libest's estExampleCA.cnf).
  mkdir -p "$d/newcerts"
  : > "$d/index.txt"
  openssl rand -hex 8 | tr 'a-f' 'A-F' > "$d/serial"
  cat > "$d/ca.cnf" <<EOF
[ ca ]
default_ca      = CA_default

[ CA_default ]
dir             = $d
database        = \$dir/index.txt
new_certs_dir   = \$dir/newcerts
certificate     = \$dir/ca.crt
serial          = \$dir/serial
private_key     = \$dir/ca.key
default_days    = $days
default_crl_days= 30
default_md      = sha256
policy          = policy_any
email_in_dn     = no
name_opt        = ca_default
cert_opt        = ca_default
# Copy extensions from the CSR (e.g. subjectAltName) unless set below.
copy_extensions = copy
x509_extensions = device_cert
# Tests enroll the same subject many times.
unique_subject  = no

[ policy_any ]
countryName             = optional
stateOrProvinceName     = optional
localityName            = optional
organizationName        = optional
organizationalUnitName  = optional
commonName              = supplied
serialNumber            = optional

[ device_cert ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
EOF
  echo "$days" > "$d/.est_env_days"
  return 0
}

# --- estserver ------------------------------------------------------------------------------

# est_env_start DIR [options] [-- extra estserver options]
#   -p PORT      TCP port (default 8443; every namespace is fresh, so any port is free)
#   -o           HTTP auth not required when the TLS client certificate verifies (estserver -o)
#   -n           no HTTP auth at all: a client certificate is required (estserver -n)
#   -D           HTTP Digest instead of Basic (estserver -h)
#   -m N         manual-enrollment simulation: the first (re)enroll of a public key gets
#                202 + Retry-After: N, the repeat of the same key succeeds. N must be 60..172800
#                (libest ignores other values and keeps Retry-After: 3600). /serverkeygen then
#                always answers 202 (each attempt has a fresh server-made key).
#   -a B64       /csrattrs body (base64 DER of CsrAttrs), via EST_CSR_ATTR
#   -r REALM     HTTP auth realm (default estrealm)
#   -t           require the CSR challengePassword to carry the tls-unique value (estserver -t)
#   -l LABEL     record a CA label for clients (estserver accepts any label; see README)
#   -d SECONDS   server shuts itself down after this long (default 900)
#   -v           verbose server log (DIR/estserver.log)
# Sets and exports EST_NS EST_PORT EST_PID EST_DIR EST_LABEL EST_URL (https://127.0.0.1:PORT
# /.well-known/est[/LABEL]), EST_USER EST_PASS.
est_env_start() {
  local d="" port=8443 realm=estrealm life=900 label="" attrs="" have_attrs=0
  local args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      -p) port=$2; shift ;;
      -o) args+=(-o) ;;
      -n) args+=(-n) ;;
      -D) args+=(-h) ;;
      -m)
        # libest refuses (does not clamp) values below 60 and then keeps its 3600 default.
        if ! [ "$2" -ge 60 ] 2>/dev/null || [ "$2" -gt 172800 ]; then
          est_env__log "est_env_start: -m needs 60..172800 seconds (libest ignores other values and sends Retry-After: 3600)"
          return 2
        fi
        args+=(-m "$2"); shift ;;
      -a) attrs=$2; have_attrs=1; shift ;;
      -r) realm=$2; shift ;;
      -t) args+=(-t) ;;
      -l) label=$2; shift ;;
      -d) life=$2; shift ;;
      -v) args+=(-v) ;;
      --) shift; args+=("$@"); break ;;
      -*) est_env__log "est_env_start: unknown option $1"; return 2 ;;
      *) d=$1 ;;
    esac
    shift
  done
  [ -n "$d" ] && [ -f "$d/ca.cnf" ] || { est_env__log "est_env_start: DIR with a PKI from est_env_ca required"; return 2; }
  d=$(cd "$d" && pwd)
  if [ ! -x "$EST_ENV_ESTSERVER" ]; then
    est_env__log "estserver not built ($EST_ENV_ESTSERVER): run 'make libest'"
    return 1
  fi
  if [ -n "${EST_PID:-}" ] && kill -0 "$EST_PID" 2>/dev/null; then
    est_env__log "est_env_start: a server is already running (pid $EST_PID); est_env_stop first"
    return 1
  fi
  # A namespace made here is removed again if the server does not come up; one made before
  # (est_env_netns, maybe with other servers in it) is left alone.
  local own_ns=0
  if [ -z "${EST_NS:-}" ] || ! ip netns pids "$EST_NS" >/dev/null 2>&1; then own_ns=1; fi
  est_env_netns || return $?

  local envs=(EST_CACERTS_RESP="$d/cacerts.pem" EST_TRUSTED_CERTS="$d/trusted.pem"
              EST_OPENSSL_CACONFIG="$d/ca.cnf")
  if [ "$have_attrs" = 1 ]; then envs+=(EST_CSR_ATTR="$attrs"); fi
  : > "$d/estserver.log"
  # estserver logs with printf; line-buffer it so the log is readable while it runs.
  local buf=()
  if command -v stdbuf >/dev/null; then buf=(stdbuf -oL -eL); fi
  (
    cd "$d" || exit 1
    exec ip netns exec "$EST_NS" env -u EST_CSR_ATTR "${envs[@]}" "${buf[@]}" "$EST_ENV_ESTSERVER" \
      -c "$d/server.crt" -k "$d/server.key" -r "$realm" -p "$port" -d "$life" "${args[@]}" \
      </dev/null >>"$d/estserver.log" 2>&1
  ) &
  EST_PID=$!
  EST_PORT=$port
  EST_DIR=$d
  EST_LABEL=$label
  EST_URL="https://127.0.0.1:$port/.well-known/est${label:+/$label}"
  export EST_PID EST_PORT EST_DIR EST_LABEL EST_URL EST_USER EST_PASS

  # Ready when the port is listening inside the namespace.
  local i
  for i in $(seq 1 100); do
    if ! kill -0 "$EST_PID" 2>/dev/null; then
      est_env__log "estserver exited at start; log:"
      tail -n 20 "$d/estserver.log" >&2
      EST_PID=
      if [ "$own_ns" = 1 ]; then est_env_stop; fi
      return 1
    fi
    if ip netns exec "$EST_NS" ss -Hltn "sport = :$port" 2>/dev/null | grep -q LISTEN; then
      est_env__save_state
      return 0
    fi
    sleep 0.1
  done
  est_env__log "estserver did not listen on port $port within 10 s"
  kill -KILL "$EST_PID" 2>/dev/null || true
  wait "$EST_PID" 2>/dev/null || true
  EST_PID=
  if [ "$own_ns" = 1 ]; then est_env_stop; fi
  return 1
}

est_env__save_state() {
  [ -n "${EST_DIR:-}" ] || return 0
  {
    echo "EST_NS=$EST_NS"
    echo "EST_PORT=$EST_PORT"
    echo "EST_PID=$EST_PID"
    echo "EST_DIR=$EST_DIR"
    echo "EST_LABEL=$EST_LABEL"
    echo "EST_URL=$EST_URL"
  } > "$EST_DIR/est_env.state"
}

# Stop the server (and anything else still running in the namespace), delete the namespace.
# Idempotent; safe from traps.
est_env_stop() {
  local pid=${EST_PID:-} ns=${EST_NS:-} i p
  # Every step tolerates "already gone": callers may run under `set -e`.
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    # SIGINT is estserver's orderly shutdown; TERM/KILL if it does not finish.
    kill -INT "$pid" 2>/dev/null || true
    for i in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
  if [ -n "$ns" ]; then
    # Leftovers are processes this environment started in its own namespace.
    for p in $(ip netns pids "$ns" 2>/dev/null || true); do kill -TERM "$p" 2>/dev/null || true; done
    for i in $(seq 1 20); do
      if [ -z "$(ip netns pids "$ns" 2>/dev/null || true)" ]; then break; fi
      sleep 0.1
    done
    for p in $(ip netns pids "$ns" 2>/dev/null || true); do kill -KILL "$p" 2>/dev/null || true; done
    # Retry: concurrent namespace operations of other tests can make a removal fail briefly.
    for i in 1 2 3 4 5; do
      ip netns del "$ns" 2>/dev/null || true
      if [ ! -e "/run/netns/$ns" ]; then break; fi
      sleep 0.2
    done
  fi
  if [ -n "${EST_DIR:-}" ]; then rm -f "$EST_DIR/est_env.state"; fi
  EST_PID=
  EST_NS=
  return 0
}

# curl inside the namespace against the server: est_env_curl OP [curl options...]
# OP is cacerts, simpleenroll, ...; TLS trust is DIR/trust.pem; -i is always on.
est_env_curl() {
  local op=$1; shift
  est_env_exec curl -sS -i --cacert "$EST_DIR/trust.pem" "$@" "$EST_URL/$op"
}

# libest's own client inside the namespace: est_env_estclient [estclient options]
# (-s 127.0.0.1 -p PORT and the trust anchor are filled in).
est_env_estclient() {
  local seg=()
  if [ -n "${EST_LABEL:-}" ]; then seg=(--path-seg "$EST_LABEL"); fi
  est_env_exec env EST_OPENSSL_CACERT="$EST_DIR/trust.pem" "$EST_ENV_ESTCLIENT" \
    -s 127.0.0.1 -p "$EST_PORT" "${seg[@]}" "$@"
}

# --- command mode -----------------------------------------------------------------------------
est_env__main() {
  local cmd=${1:-}; shift || true
  case "$cmd" in
    check) est_env_check ;;
    ca) est_env_ca "$@" ;;
    start)
      EST_ENV_NO_TRAP=1
      est_env_start "$@" || return $?
      cat "$EST_DIR/est_env.state"
      ;;
    stop|exec|curl|estclient)
      local d=${1:-}; shift || true
      [ -f "$d/est_env.state" ] || { est_env__log "no running environment in '$d'"; [ "$cmd" = stop ] && return 0; return 1; }
      # shellcheck disable=SC1091
      . "$d/est_env.state"
      EST_ENV_NO_TRAP=1
      case "$cmd" in
        stop) est_env_stop ;;
        exec) est_env_exec "$@" ;;
        curl) est_env_curl "$@" ;;
        estclient) est_env_estclient "$@" ;;
      esac
      ;;
    *)
      sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      return 2
      ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  est_env__main "$@"
  exit $?
fi
