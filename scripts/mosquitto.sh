#!/usr/bin/env bash
# Local Mosquitto 2 (Debian package) for Bastion's MQTT integration tests.
#
# Usage: scripts/mosquitto.sh up|down|restart|status|env
#
#   up       install mosquitto if missing, create the test PKI, users and ACL once,
#            start the broker and wait until its three listeners accept connections
#   down     stop the broker (state, certificates and retained messages are kept)
#   restart  down + up; retained messages and persistent sessions survive
#   status   exit 0 when the broker is running, 1 otherwise
#   env      print the connection settings as shell-sourceable KEY=VALUE lines
#
# Three listeners on 127.0.0.1, all with allow_anonymous false and their own ACL:
#   plain  $MQTT_TEST_PORT       username/password
#   TLS    $MQTT_TEST_TLS_PORT   username/password, server certificate from the test CA, TLS >= 1.2
#   mTLS   $MQTT_TEST_MTLS_PORT  client certificate from the test CA required, its CN is the username
#
# Users: bastion (read/write everything except secret/#), reader (read sensors/# only), and
# bastion-client (the CN of the client certificate, same rights as bastion).
#
# The test PKI is generated here on the first `up` (never committed): the test CA, a server
# certificate for localhost/127.0.0.1, a client certificate (CN bastion-client), an expired
# client certificate from the same CA, and a second, unrelated CA with its own client
# certificate (also CN bastion-client). To start from scratch: `down`, delete the state directory.
#
# up/down/restart must run as root (the broker drops to the `mosquitto` user itself);
# `up` on a broker that is already running and up to date needs no root.
#
# Environment:
#   MOSQUITTO_STATE_DIR         state directory (default: mosquitto/ in this checkout's services folder,
#                               /var/tmp/bastion-<hash of the checkout path>/, see scripts/lib/common.sh)
#   MQTT_TEST_PORT              plain listener (default: free ports picked on the first `up`; when one is
#   MQTT_TEST_TLS_PORT          TLS listener    later taken by another program while the broker is down,
#   MQTT_TEST_MTLS_PORT         mutual-TLS listener  the next `up` picks new ones)
#   MQTT_TEST_PASSWORD          password of `bastion` (default canary-mqtt-password-7Tz)
#   MQTT_TEST_READER_PASSWORD   password of `reader` (default canary-mqtt-reader-4Qk)
#   MOSQUITTO_START_TIMEOUT     seconds to wait for the broker to accept connections (default 15)
# Settings given to `up` are recorded in the state directory and reused by later calls.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

STATE_DIR=${MOSQUITTO_STATE_DIR:-$(services_root)/mosquitto}
HOST=127.0.0.1
START_TIMEOUT=${MOSQUITTO_START_TIMEOUT:-15}
RUN_USER=mosquitto

USER_MAIN=bastion
USER_READER=reader
CLIENT_CN=bastion-client
DEFAULT_PASSWORD=canary-mqtt-password-7Tz
DEFAULT_READER_PASSWORD=canary-mqtt-reader-4Qk

PKI_DIR="$STATE_DIR/pki"
PKI_MARKER="$PKI_DIR/complete"
DATA_DIR="$STATE_DIR/data" # persistence store, owned by $RUN_USER
RUN_DIR="$STATE_DIR/run"   # pid file and log, owned by $RUN_USER
CONF_FILE="$STATE_DIR/mosquitto.conf"
PASSWD_FILE="$STATE_DIR/passwd"
ACL_FILE="$STATE_DIR/acl"
SETTINGS_FILE="$STATE_DIR/settings.env"
PID_FILE="$RUN_DIR/mosquitto.pid"
LOG_FILE="$RUN_DIR/mosquitto.log"
LAUNCH_LOG="$RUN_DIR/launch.log"
LOCK_FILE="$STATE_DIR.lock"

PACKAGES=(mosquitto openssl)

# ---------------------------------------------------------------- helpers

require_root() {
  [[ $EUID -eq 0 ]] || die "'$1' must run as root (it may install packages, and the broker drops from root to $RUN_USER)"
}

now() { date +%s; }


# Serialise up/down/restart so parallel callers (test workers) do not race.
take_lock() {
  mkdir -p "$(dirname "$STATE_DIR")"
  [[ -n ${MOSQUITTO_STATE_DIR:-} ]] || ensure_services_root
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || die "timed out waiting for $LOCK_FILE"
}

check_state_dir() {
  # The path ends up in the broker and OpenSSL configuration files: keep it simple.
  [[ $STATE_DIR =~ ^/[A-Za-z0-9._/-]+$ && $STATE_DIR != / ]] ||
    die "MOSQUITTO_STATE_DIR must be an absolute path of letters, digits and ._-/ (got '$STATE_DIR')"
}

# ---------------------------------------------------------------- settings

# Settings come from the environment, else from the last `up`, else the defaults.
load_settings() {
  local rec_port="" rec_tls="" rec_mtls="" rec_pw="" rec_reader=""
  if [[ -r $SETTINGS_FILE ]]; then
    rec_port=$(settings_value PORT)
    rec_tls=$(settings_value TLS_PORT)
    rec_mtls=$(settings_value MTLS_PORT)
    rec_pw=$(settings_value PASSWORD)
    rec_reader=$(settings_value READER_PASSWORD)
  fi
  local picked=()
  [[ -n ${MQTT_TEST_PORT:-}${rec_port} && -n ${MQTT_TEST_TLS_PORT:-}${rec_tls} && -n ${MQTT_TEST_MTLS_PORT:-}${rec_mtls} ]] || read -r -a picked <<<"$(free_ports 3)"
  PORT=${MQTT_TEST_PORT:-${rec_port:-${picked[0]:-}}}
  TLS_PORT=${MQTT_TEST_TLS_PORT:-${rec_tls:-${picked[1]:-}}}
  MTLS_PORT=${MQTT_TEST_MTLS_PORT:-${rec_mtls:-${picked[2]:-}}}
  PASSWORD=${MQTT_TEST_PASSWORD:-${rec_pw:-$DEFAULT_PASSWORD}}
  READER_PASSWORD=${MQTT_TEST_READER_PASSWORD:-${rec_reader:-$DEFAULT_READER_PASSWORD}}

  local name
  for name in PORT TLS_PORT MTLS_PORT; do
    [[ ${!name} =~ ^[0-9]+$ ]] && ((${!name} > 0 && ${!name} < 65536)) || die "invalid MQTT_TEST_$name: ${!name}"
  done
  ((PORT != TLS_PORT && PORT != MTLS_PORT && TLS_PORT != MTLS_PORT)) ||
    die "the three ports must differ (plain $PORT, TLS $TLS_PORT, mTLS $MTLS_PORT)"
  for name in PASSWORD READER_PASSWORD; do
    [[ -n ${!name} && ${!name} != *$'\n'* ]] || die "MQTT_TEST_$name must be a non-empty single line"
  done
}

# settings_value NAME: a value from $SETTINGS_FILE (one NAME=value per line, no quoting).
settings_value() {
  sed -n "s/^$1=//p" "$SETTINGS_FILE" | head -n 1
}

render_settings() {
  printf 'PORT=%s\nTLS_PORT=%s\nMTLS_PORT=%s\nPASSWORD=%s\nREADER_PASSWORD=%s\n' \
    "$PORT" "$TLS_PORT" "$MTLS_PORT" "$PASSWORD" "$READER_PASSWORD"
}

render_conf() {
  cat <<EOF
# Generated by scripts/mosquitto.sh; rewritten on every \`up\`.
per_listener_settings true
user $RUN_USER
pid_file $PID_FILE

persistence true
persistence_location $DATA_DIR/
persistence_file mosquitto.db
# Also save every 60 s, so that little is lost if the broker is ever killed hard.
autosave_interval 60

log_dest file $LOG_FILE
log_type all
log_timestamp true
log_timestamp_format %Y-%m-%dT%H:%M:%S
connection_messages true

# Plain MQTT, username and password.
listener $PORT $HOST
allow_anonymous false
password_file $PASSWD_FILE
acl_file $ACL_FILE

# TLS, username and password.
listener $TLS_PORT $HOST
allow_anonymous false
password_file $PASSWD_FILE
acl_file $ACL_FILE
certfile $PKI_DIR/server.crt
keyfile $PKI_DIR/server.key
tls_version tlsv1.2

# Mutual TLS: a client certificate from the test CA is required and its CN is the username.
listener $MTLS_PORT $HOST
allow_anonymous false
acl_file $ACL_FILE
certfile $PKI_DIR/server.crt
keyfile $PKI_DIR/server.key
cafile $PKI_DIR/ca.crt
require_certificate true
use_identity_as_username true
tls_version tlsv1.2
EOF
}

render_acl() {
  local user
  echo "# Generated by scripts/mosquitto.sh. A deny entry wins over any grant for the same user."
  for user in "$USER_MAIN" "$CLIENT_CN"; do
    printf '\nuser %s\ntopic deny secret/#\ntopic readwrite #\n' "$user"
  done
  printf '\nuser %s\ntopic read sensors/#\n' "$USER_READER"
}

# ---------------------------------------------------------------- PKI

write_openssl_conf() {
  local name
  {
    cat <<'EOF'
# Generated by scripts/mosquitto.sh for the test PKI.
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = unused

[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[policy_any]
commonName = supplied
EOF
    for name in ca other-ca; do
      cat <<EOF

[$name]
certificate = $PKI_DIR/$name.crt
private_key = $PKI_DIR/$name.key
database = $PKI_DIR/db-$name/index.txt
new_certs_dir = $PKI_DIR/db-$name
rand_serial = yes
default_md = sha256
default_days = 3650
policy = policy_any
unique_subject = no
copy_extensions = none
EOF
    done
  } >"$PKI_DIR/openssl.cnf"
}

# pki CMD...: run an openssl step with its output in $PKI_DIR/pki.log.
pki() {
  if ! "$@" >>"$PKI_DIR/pki.log" 2>&1; then
    tail -n 20 "$PKI_DIR/pki.log" >&2
    die "creating the test PKI failed: $*"
  fi
}

new_key() {
  pki openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI_DIR/$1.key"
  chmod 600 "$PKI_DIR/$1.key"
}

# new_ca NAME CN: a self-signed CA, valid for 10 years.
new_ca() {
  new_key "$1"
  pki openssl req -config "$PKI_DIR/openssl.cnf" -new -x509 -key "$PKI_DIR/$1.key" -subj "/CN=$2" \
    -extensions ca_ext -days 3650 -sha256 -out "$PKI_DIR/$1.crt"
  mkdir -p "$PKI_DIR/db-$1"
  : >"$PKI_DIR/db-$1/index.txt"
}

# new_cert CA NAME CN EXTENSIONS [openssl-ca options]: a key and a certificate signed by CA.
new_cert() {
  local ca=$1 name=$2 cn=$3 ext=$4
  shift 4
  new_key "$name"
  pki openssl req -config "$PKI_DIR/openssl.cnf" -new -key "$PKI_DIR/$name.key" -subj "/CN=$cn" \
    -out "$PKI_DIR/$name.csr"
  pki openssl ca -config "$PKI_DIR/openssl.cnf" -name "$ca" -batch -notext -extensions "$ext" \
    -in "$PKI_DIR/$name.csr" -out "$PKI_DIR/$name.crt" "$@"
  rm -f "$PKI_DIR/$name.csr"
}

# check_pki: the certificates must behave as the tests expect.
check_pki() {
  local out
  openssl verify -CAfile "$PKI_DIR/ca.crt" "$PKI_DIR/server.crt" "$PKI_DIR/client.crt" >/dev/null ||
    die "server/client certificates do not verify against the test CA"
  openssl verify -CAfile "$PKI_DIR/other-ca.crt" "$PKI_DIR/other-client.crt" >/dev/null ||
    die "other-client.crt does not verify against other-ca.crt"
  openssl x509 -in "$PKI_DIR/server.crt" -noout -checkhost localhost | grep -q 'does match' ||
    die "server.crt does not match localhost"
  openssl x509 -in "$PKI_DIR/server.crt" -noout -checkip "$HOST" | grep -q 'does match' ||
    die "server.crt does not match $HOST"
  if openssl x509 -in "$PKI_DIR/expired.crt" -noout -checkend 0 >/dev/null; then
    die "expired.crt is not expired"
  fi
  out=$(openssl verify -CAfile "$PKI_DIR/ca.crt" "$PKI_DIR/expired.crt" 2>&1) && die "expired.crt verifies"
  grep -q 'certificate has expired' <<<"$out" || die "expired.crt fails for another reason: $out"
  if openssl verify -CAfile "$PKI_DIR/ca.crt" "$PKI_DIR/other-client.crt" >/dev/null 2>&1; then
    die "other-client.crt verifies against the test CA"
  fi
}

ensure_pki() {
  if [[ -f $PKI_MARKER ]]; then
    # The broker loads its key after dropping privileges to $RUN_USER.
    chown "$RUN_USER:$RUN_USER" "$PKI_DIR/server.key"
    return 0
  fi
  [[ $PKI_DIR == "$STATE_DIR/pki" ]] || die "refusing to recreate $PKI_DIR"
  log "creating the test PKI in $PKI_DIR"
  rm -rf -- "$PKI_DIR"
  mkdir -p "$PKI_DIR"
  chmod 755 "$PKI_DIR"
  write_openssl_conf

  local expired_start expired_end
  expired_start=$(date -u -d '30 days ago' +%Y%m%d%H%M%SZ)
  expired_end=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)
  local old_umask
  old_umask=$(umask)
  umask 077
  new_ca ca "Bastion test CA"
  new_cert ca server localhost server_ext
  new_cert ca client "$CLIENT_CN" client_ext
  # Same CA and CN as client.crt, but valid from 30 days ago to yesterday.
  new_cert ca expired "$CLIENT_CN" client_ext -startdate "$expired_start" -enddate "$expired_end"
  # Same CN as client.crt, but from a CA the broker does not trust.
  new_ca other-ca "Unrelated test CA"
  new_cert other-ca other-client "$CLIENT_CN" client_ext
  umask "$old_umask"
  # Certificates are public; keys stay 600. The broker reads its own key as $RUN_USER.
  chmod 644 "$PKI_DIR"/*.crt "$PKI_DIR/openssl.cnf"
  chown "$RUN_USER:$RUN_USER" "$PKI_DIR/server.key"
  check_pki
  date -u +%FT%TZ >"$PKI_MARKER"
  log "  done (CA $PKI_DIR/ca.crt)"
}

# ---------------------------------------------------------------- configuration

# write_if_changed FILE CONTENT: returns 0 when FILE was (re)written.
write_if_changed() {
  if [[ -f $1 ]] && [[ $(cat "$1") == "$2" ]]; then
    return 1
  fi
  printf '%s\n' "$2" >"$1" || die "cannot write $1"
}

# config_is_current: the files on disk match the current settings.
config_is_current() {
  [[ -f $PKI_MARKER && -f $PASSWD_FILE && -f $ACL_FILE && -r $SETTINGS_FILE && -f $CONF_FILE ]] || return 1
  [[ $(cat "$SETTINGS_FILE") == "$(render_settings)" ]] || return 1
  [[ $(cat "$CONF_FILE") == "$(render_conf)" ]] || return 1
  [[ -r $ACL_FILE ]] || return 0 # written as $RUN_USER-only; compared when root
  [[ $(cat "$ACL_FILE") == "$(render_acl)" ]]
}

# write_config: write the broker files; CONFIG_CHANGED=1 when something changed.
write_config() {
  local tmp
  CONFIG_CHANGED=0
  mkdir -p "$STATE_DIR" "$DATA_DIR" "$RUN_DIR"
  chmod 755 "$STATE_DIR" "$RUN_DIR"
  chmod 700 "$DATA_DIR"
  chown "$RUN_USER:$RUN_USER" "$DATA_DIR" "$RUN_DIR"

  if ! [[ -f $PASSWD_FILE && -r $SETTINGS_FILE && $(cat "$SETTINGS_FILE") == "$(render_settings)" ]]; then
    tmp=$(mktemp "$STATE_DIR/passwd.XXXXXX")
    mosquitto_passwd -c -b "$tmp" "$USER_MAIN" "$PASSWORD" >/dev/null
    mosquitto_passwd -b "$tmp" "$USER_READER" "$READER_PASSWORD" >/dev/null
    chown "$RUN_USER:$RUN_USER" "$tmp"
    chmod 600 "$tmp"
    mv -f "$tmp" "$PASSWD_FILE"
    CONFIG_CHANGED=1
  fi
  # The passwords are test canaries and `env` prints them to anyone anyway.
  write_if_changed "$SETTINGS_FILE" "$(render_settings)" && CONFIG_CHANGED=1
  chmod 644 "$SETTINGS_FILE"
  write_if_changed "$ACL_FILE" "$(render_acl)" && CONFIG_CHANGED=1
  chown "$RUN_USER:$RUN_USER" "$ACL_FILE"
  chmod 600 "$ACL_FILE"
  write_if_changed "$CONF_FILE" "$(render_conf)" && CONFIG_CHANGED=1
  chmod 644 "$CONF_FILE"
}

# ---------------------------------------------------------------- broker state

port_answers() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# is_our_broker PID: PID is a live mosquitto started with this state directory's config.
is_our_broker() {
  local pid=$1
  [[ $pid =~ ^[0-9]+$ && -d /proc/$pid ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == mosquitto ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-c $CONF_FILE " || return 1
}

# broker_pid: the pid of our broker, from the pid file, the plain port's owner or its command line.
broker_pid() {
  local pid
  for pid in $( ([[ -r $PID_FILE ]] && tr -dc '0-9\n' <"$PID_FILE") || true) \
    $(ss -Hltnp "sport = :$PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2) \
    $(pgrep -x -f "mosquitto -c $CONF_FILE -d" 2>/dev/null || true); do
    if is_our_broker "$pid"; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

is_running() { broker_pid >/dev/null && port_answers "$PORT"; }

# check_ports_free: none of our ports is held by another program.
check_ports_free() {
  local port owner
  for port in "$PORT" "$TLS_PORT" "$MTLS_PORT"; do
    if port_answers "$port"; then
      owner=$(ss -Hltnp "sport = :$port" 2>/dev/null | sed -n 's/.*users:(\(.*\))$/\1/p' | head -n 1 || true)
      die "port $port on $HOST is already in use${owner:+ by $owner}; set MQTT_TEST_PORT/MQTT_TEST_TLS_PORT/MQTT_TEST_MTLS_PORT"
    fi
  done
}

# repick_ports_if_taken: ports chosen here (not set by MQTT_TEST_*) that another program took while the broker was
# down are replaced by free ones, so one busy port does not stop the tests.
repick_ports_if_taken() {
  [[ -z ${MQTT_TEST_PORT:-}${MQTT_TEST_TLS_PORT:-}${MQTT_TEST_MTLS_PORT:-} ]] || return 0
  broker_pid >/dev/null && return 0
  port_in_use "$PORT" || port_in_use "$TLS_PORT" || port_in_use "$MTLS_PORT" || return 0
  log "port $PORT, $TLS_PORT or $MTLS_PORT is taken by another program; picking others"
  read -r PORT TLS_PORT MTLS_PORT <<<"$(free_ports 3)"
}

# show_logs: what mosquitto printed and logged since start_broker began.
show_logs() {
  if [[ -s $LAUNCH_LOG ]]; then
    log "output of mosquitto:"
    tail -n 20 "$LAUNCH_LOG" >&2 || true
  fi
  if [[ -s $LOG_FILE ]]; then
    log "log of this start ($LOG_FILE):"
    tail -c "+$((${LOG_OFFSET:-0} + 1))" "$LOG_FILE" | tail -n 30 >&2 || true
  fi
}

start_failed() {
  show_logs
  stop_broker
  die "$1"
}

start_broker() {
  local start deadline pid port ready
  check_ports_free
  # The log is appended to across runs; start over once it gets large.
  if [[ -f $LOG_FILE ]] && (($(stat -c %s "$LOG_FILE") > 10 * 1024 * 1024)); then
    : >"$LOG_FILE"
  fi
  LOG_OFFSET=$( (stat -c %s "$LOG_FILE" 2>/dev/null) || echo 0)
  rm -f "$PID_FILE"
  log "starting mosquitto on $HOST: plain $PORT, TLS $TLS_PORT, mTLS $MTLS_PORT (log: $LOG_FILE)"
  start=$(now)
  # -d forks into the background and writes the pid file; fd 9 (the lock) is closed so the
  # daemon does not hold it.
  if ! mosquitto -c "$CONF_FILE" -d </dev/null >"$LAUNCH_LOG" 2>&1 9>&-; then
    start_failed "mosquitto failed to start"
  fi
  deadline=$((start + START_TIMEOUT))
  # Ready when the daemon is alive and all three listeners accept connections: a listener
  # whose certificate cannot be loaded makes mosquitto exit after the first ones opened.
  while :; do
    sleep 0.2
    if ! pid=$(broker_pid); then
      start_failed "mosquitto exited during startup"
    fi
    ready=1
    for port in "$PORT" "$TLS_PORT" "$MTLS_PORT"; do
      port_answers "$port" || {
        ready=0
        break
      }
    done
    if ((ready)) && broker_pid >/dev/null; then
      break
    fi
    (($(now) < deadline)) ||
      start_failed "$HOST:$port does not accept connections after ${START_TIMEOUT} s"
  done
  log "ready after $(($(now) - start)) s (pid $pid)"
}

stop_broker() {
  local pid i
  pid=$(broker_pid) || {
    rm -f "$PID_FILE"
    return 0
  }
  log "stopping mosquitto (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  # SIGTERM makes mosquitto save its persistence store before it exits.
  for ((i = 0; i < 100; i++)); do
    [[ -d /proc/$pid ]] || break
    sleep 0.1
  done
  if [[ -d /proc/$pid ]]; then
    log "mosquitto did not stop after 10 s, sending KILL (changes since the last autosave are lost)"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      [[ -d /proc/$pid ]] || break
      sleep 0.1
    done
  fi
  rm -f "$PID_FILE"
}

# ---------------------------------------------------------------- env

# shell_value VALUE: VALUE as is when it is shell-safe, else single-quoted.
shell_value() {
  if [[ $1 =~ ^[A-Za-z0-9_./:@%+,=-]*$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

print_env() {
  local line
  for line in \
    "MQTT_TEST_HOST=$HOST" \
    "MQTT_TEST_PORT=$PORT" \
    "MQTT_TEST_TLS_PORT=$TLS_PORT" \
    "MQTT_TEST_MTLS_PORT=$MTLS_PORT" \
    "MQTT_TEST_USER=$USER_MAIN" \
    "MQTT_TEST_PASSWORD=$PASSWORD" \
    "MQTT_TEST_READER_USER=$USER_READER" \
    "MQTT_TEST_READER_PASSWORD=$READER_PASSWORD" \
    "MQTT_TEST_CLIENT_CN=$CLIENT_CN" \
    "MQTT_TEST_CA=$PKI_DIR/ca.crt" \
    "MQTT_TEST_CLIENT_CERT=$PKI_DIR/client.crt" \
    "MQTT_TEST_CLIENT_KEY=$PKI_DIR/client.key" \
    "MQTT_TEST_EXPIRED_CERT=$PKI_DIR/expired.crt" \
    "MQTT_TEST_EXPIRED_KEY=$PKI_DIR/expired.key" \
    "MQTT_TEST_OTHER_CA=$PKI_DIR/other-ca.crt" \
    "MQTT_TEST_OTHER_CERT=$PKI_DIR/other-client.crt" \
    "MQTT_TEST_OTHER_KEY=$PKI_DIR/other-client.key"; do
    printf '%s=%s\n' "${line%%=*}" "$(shell_value "${line#*=}")"
  done
}

# ---------------------------------------------------------------- commands

# do_up: start the broker, or restart it when its configuration changed; the lock is held.
do_up() {
  if is_running && config_is_current; then
    log "already running (pid $(broker_pid), plain $HOST:$PORT)"
    return 0
  fi
  ensure_packages "${PACKAGES[@]}"
  repick_ports_if_taken
  ensure_pki
  write_config
  if ((CONFIG_CHANGED)) && broker_pid >/dev/null; then
    log "configuration changed, restarting"
    stop_broker
  fi
  if is_running; then
    log "already running (pid $(broker_pid), plain $HOST:$PORT)"
    return 0
  fi
  # A broker process that does not answer is stuck or half-started: replace it.
  stop_broker
  start_broker
}

cmd_up() {
  if is_running && config_is_current; then
    log "already running (pid $(broker_pid), plain $HOST:$PORT)"
    return 0
  fi
  require_root up
  take_lock
  do_up
}

cmd_down() {
  require_root down
  take_lock
  stop_broker
  log "stopped (state kept in $STATE_DIR)"
}

cmd_restart() {
  require_root restart
  take_lock
  stop_broker
  do_up
}

cmd_status() {
  local pid
  if pid=$(broker_pid) && port_answers "$PORT"; then
    echo "running: pid $pid, plain $HOST:$PORT, TLS $TLS_PORT, mTLS $MTLS_PORT (state $STATE_DIR)"
    return 0
  fi
  if [[ -n ${pid:-} ]]; then
    echo "not ready: pid $pid exists but $HOST:$PORT does not accept connections"
  else
    echo "stopped: no mosquitto with $CONF_FILE"
  fi
  return 1
}

main() {
  check_state_dir
  case ${1:-} in
  up | down | restart | status | env) ;;
  *) usage ;;
  esac
  load_settings
  case $1 in
  up) cmd_up ;;
  down) cmd_down ;;
  restart) cmd_restart ;;
  status) cmd_status ;;
  env) print_env ;;
  esac
}

main "$@"
