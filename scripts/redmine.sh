#!/usr/bin/env bash
# Local Redmine 5 (Debian package) for Bastion's integration tests and sandbox.
#
# Usage: scripts/redmine.sh up|down|reset|status|env
#
#   up      install packages if missing, create and seed the instance once, start
#           the server on 127.0.0.1:$REDMINE_PORT and wait until it answers
#   down    stop the server (data is kept)
#   reset   stop the server and delete the instance; the next `up` re-seeds
#   status  exit 0 when the server is running, 1 otherwise
#   env     print REDMINE_URL / REDMINE_API_KEY (and the test keys) as KEY=VALUE
#
# Each checkout has its own instances, in its own folder (/var/tmp/bastion-<hash of the checkout path>/, see
# scripts/lib/common.sh), so two checkouts never share one: `test` (the default, for `npm test`) and `sandbox`
# (for `npm run sandbox`, never written to by tests). A free port is picked on the first `up` and recorded
# next to the instance; later calls reuse it. Each is a separate Debian Redmine instance with its own SQLite
# database, so the package's `default` instance is never touched.
# up/down/reset must run as root: the server and all Rails commands run as www-data.
#
# Environment:
#   REDMINE_PROFILE        test (default) or sandbox
#   REDMINE_PORT           port to listen on (default: the recorded one, else 3100 for the sandbox when it is
#                          free, else a free port)
#   REDMINE_START_TIMEOUT  seconds to wait for the server to answer (default 60)

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PROFILE=${REDMINE_PROFILE:-test}
[[ $PROFILE == test || $PROFILE == sandbox ]] || { echo "redmine.sh: REDMINE_PROFILE must be test or sandbox (got '$PROFILE')" >&2; exit 2; }
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

ROOT=$(services_root)
HOST=127.0.0.1
INSTANCE="bastion_${ROOT##*-}_$PROFILE"
START_TIMEOUT=${REDMINE_START_TIMEOUT:-60}

REDMINE_HOME=/usr/share/redmine
RUN_USER=www-data
INSTANCE_DIR="/var/lib/redmine/$INSTANCE" # = $REDMINE_HOME/instances/$INSTANCE
DATA_DIR="$ROOT/redmine-$PROFILE"
PORT_FILE="$ROOT/redmine-$PROFILE.port"
DB_FILE="$DATA_DIR/redmine.sqlite3"
PID_FILE="$DATA_DIR/server.pid"
SERVER_LOG="$DATA_DIR/server.log"
SETUP_LOG="$DATA_DIR/setup.log"
SEED_MARKER="$DATA_DIR/seeded"
SEED_SUMMARY="$DATA_DIR/seed-summary.json"
LOCK_FILE="$ROOT/redmine-$PROFILE.lock"

KEYS_FILE="$SCRIPT_DIR/redmine/test-keys.env"
SEED_SCRIPT="$SCRIPT_DIR/redmine/seed.rb"

REDMINE_PACKAGES=(redmine redmine-sqlite ruby-webrick curl)

# ---------------------------------------------------------------- helpers

require_root() {
  [[ $EUID -eq 0 ]] || die "'$1' must run as root (it installs packages and runs Redmine as $RUN_USER)"
}

# resolve_port: REDMINE_PORT, else the port recorded for this instance, else a new one (recorded): 3100 for the
# sandbox when nothing listens there, a free port otherwise.
resolve_port() {
  if [[ -n ${REDMINE_PORT:-} ]]; then
    PORT=$REDMINE_PORT
  elif [[ -s $PORT_FILE ]]; then
    PORT=$(tr -dc '0-9' <"$PORT_FILE")
  else
    if [[ $PROFILE == sandbox ]] && ! port_in_use 3100; then PORT=3100; else PORT=$(free_ports 1); fi
    ensure_services_root
    printf '%s\n' "$PORT" >"$PORT_FILE"
  fi
  [[ $PORT =~ ^[0-9]+$ ]] && ((PORT > 0 && PORT < 65536)) || die "invalid REDMINE_PORT: $PORT"
  URL="http://$HOST:$PORT"
}

# repick_port_if_taken: the recorded port was taken by another program while this server was down; take a new one.
repick_port_if_taken() {
  [[ -z ${REDMINE_PORT:-} ]] && port_in_use "$PORT" && ! server_pid >/dev/null || return 0
  log "port $PORT is taken by another program; picking another"
  PORT=$(free_ports 1)
  printf '%s\n' "$PORT" >"$PORT_FILE"
  URL="http://$HOST:$PORT"
}

now() { date +%s; }

# Serialise up/down/reset for one port so parallel callers do not race.
take_lock() {
  local deadline=$(($(now) + 600))
  ensure_services_root
  exec 9>"$LOCK_FILE"
  until flock -w 2 9; do
    if lock_held_by_server; then
      log "lock is held by the running server of $INSTANCE itself; continuing"
      return 0
    fi
    (($(now) < deadline)) || die "timed out waiting for $LOCK_FILE"
  done
}

# A server launched without closing fd 9 (as start_server now does) inherits the
# lock and keeps it for as long as it runs; such a lock is not a real conflict.
lock_held_by_server() {
  local fd pid
  for fd in /proc/[0-9]*/fd/*; do
    [[ $(readlink "$fd" 2>/dev/null) == "$LOCK_FILE" ]] || continue
    pid=${fd#/proc/}
    pid=${pid%%/*}
    is_our_server "$pid" && return 0
  done
  return 1
}


load_keys() {
  [[ -r $KEYS_FILE ]] || die "cannot read $KEYS_FILE"
  # shellcheck source=redmine/test-keys.env
  source "$KEYS_FILE"
  local name
  for name in REDMINE_TEST_ADMIN_API_KEY REDMINE_TEST_USER_API_KEY; do
    [[ ${!name:-} =~ ^[0-9a-f]{40}$ ]] || die "$name in $KEYS_FILE must be 40 lowercase hex characters"
  done
}

# as_redmine CMD...: run a command from $REDMINE_HOME as $RUN_USER for this instance.
as_redmine() {
  (cd "$REDMINE_HOME" && runuser -u "$RUN_USER" -- \
    env REDMINE_INSTANCE="$INSTANCE" RAILS_ENV=production HOME="$DATA_DIR" "$@")
}

# run_step DESCRIPTION CMD...: run a setup step with its output in $SETUP_LOG.
run_step() {
  local what=$1 start
  shift
  start=$(now)
  log "$what"
  printf '\n=== %s (%s)\n' "$what" "$(date -u +%FT%TZ)" >>"$SETUP_LOG"
  if ! "$@" </dev/null >>"$SETUP_LOG" 2>&1; then
    tail -n 40 "$SETUP_LOG" >&2
    die "$what failed (full log: $SETUP_LOG)"
  fi
  log "  done in $(($(now) - start)) s"
}

# ---------------------------------------------------------------- server state

http_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/" 2>/dev/null || true
}

port_answers() { [[ $(http_status) == 200 ]]; }

# is_our_server PID: PID is a live rackup process of this instance.
is_our_server() {
  local pid=$1
  # /proc rather than kill -0: a non-root caller may not signal www-data processes.
  [[ $pid =~ ^[0-9]+$ && -d /proc/$pid ]] || return 1
  [[ $(stat -c %U "/proc/$pid" 2>/dev/null) == "$RUN_USER" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q rackup || return 1
  # /proc/PID/environ is only readable by root or the owner; skip the check otherwise.
  if [[ -r /proc/$pid/environ ]]; then
    tr '\0' '\n' <"/proc/$pid/environ" | grep -qx "REDMINE_INSTANCE=$INSTANCE" || return 1
  fi
}

# candidate_pids: possible server pids, most reliable first: the pid file, the
# process listening on $PORT, and rackup processes for $PORT (also while booting,
# before the pid file is written and the port is open).
candidate_pids() {
  [[ -r $PID_FILE ]] && tr -dc '0-9' <"$PID_FILE" && echo
  ss -Hltnp "sport = :$PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2
  pgrep -f -- "rackup .*-p $PORT " 2>/dev/null
  return 0
}

# server_pids: the distinct rackup processes of this instance.
server_pids() {
  local pid
  candidate_pids | awk 'NF && !seen[$0]++' | while read -r pid; do
    if is_our_server "$pid"; then echo "$pid"; fi
  done
}

# server_pid: the main server process, if any.
server_pid() {
  local pid
  pid=$(server_pids | head -n 1)
  [[ -n $pid ]] && echo "$pid"
}

is_running() { server_pid >/dev/null && port_answers; }

# ---------------------------------------------------------------- instance

instance_is_seeded() {
  [[ -f $SEED_MARKER && -f $DB_FILE && -f $INSTANCE_DIR/config/database.yml ]]
}

delete_instance() {
  # Both paths are fixed above; the checks guard against an edited variable.
  [[ $INSTANCE_DIR == /var/lib/redmine/bastion_[0-9a-f]*_[a-z]* ]] || die "refusing to delete $INSTANCE_DIR"
  [[ $DATA_DIR == /var/tmp/bastion-[0-9a-f]*/redmine-[a-z]* ]] || die "refusing to delete $DATA_DIR"
  rm -rf -- "$INSTANCE_DIR" "$DATA_DIR"
}

create_instance() {
  log "creating instance $INSTANCE (config $INSTANCE_DIR, data $DATA_DIR)"
  ensure_services_root
  mkdir -p "$INSTANCE_DIR"/{config,log,tmp/cache,files,public/plugin_assets} "$DATA_DIR"
  printf 'production:\n  adapter: sqlite3\n  database: %s\n  encoding: utf8\n' "$DB_FILE" \
    >"$INSTANCE_DIR/config/database.yml"
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$INSTANCE_DIR/config/secret_key.txt"
  # The seed script is copied so that www-data can read it wherever the checkout lives.
  install -m 0644 "$SEED_SCRIPT" "$INSTANCE_DIR/seed.rb"
  chown -R "$RUN_USER:$RUN_USER" "$INSTANCE_DIR" "$DATA_DIR"
  chmod 0755 "$DATA_DIR"
}

seed_instance() {
  local start
  start=$(now)
  stop_server
  delete_instance
  create_instance
  run_step "migrating the database" as_redmine SCHEMA=/dev/null bin/rake db:migrate
  run_step "loading default data" as_redmine REDMINE_LANG=en bin/rake redmine:load_default_data
  run_step "seeding test data" as_redmine \
    TEST_ADMIN_API_KEY="$REDMINE_TEST_ADMIN_API_KEY" \
    TEST_USER_API_KEY="$REDMINE_TEST_USER_API_KEY" \
    SEED_SUMMARY_FILE="$SEED_SUMMARY" \
    bin/rails runner "$INSTANCE_DIR/seed.rb"
  date -u +%FT%TZ >"$SEED_MARKER"
  log "instance seeded in $(($(now) - start)) s (ids: $SEED_SUMMARY)"
}

# ---------------------------------------------------------------- server

start_server() {
  log "starting WEBrick on $URL (log: $SERVER_LOG)"
  rm -f "$PID_FILE"
  : >"$SERVER_LOG"
  # setsid detaches the server from the caller's session and process group.
  # rackup writes its own (ruby) pid to $PID_FILE; runuser stays as its parent.
  # fd 9 (the lock) is closed so the long-running server does not keep holding it.
  (cd "$REDMINE_HOME" && exec setsid runuser -u "$RUN_USER" -- \
    env REDMINE_INSTANCE="$INSTANCE" RAILS_ENV=production HOME="$DATA_DIR" RUBYOPT=-rwebrick \
    rackup -s webrick -o "$HOST" -p "$PORT" -P "$PID_FILE" config.ru) \
    </dev/null >>"$SERVER_LOG" 2>&1 9>&- &
  SERVER_LAUNCHER_PID=$!
}

server_failed() {
  log "last lines of $SERVER_LOG:"
  tail -n 30 "$SERVER_LOG" >&2 || true
  # Do not leave a half-started server behind.
  [[ -n ${SERVER_LAUNCHER_PID:-} ]] && stop_server
  die "$1"
}

wait_until_ready() {
  local start deadline code
  start=$(now)
  deadline=$((start + START_TIMEOUT))
  while :; do
    code=$(http_status)
    [[ $code == 200 ]] && break
    if [[ -n ${SERVER_LAUNCHER_PID:-} ]] && ! kill -0 "$SERVER_LAUNCHER_PID" 2>/dev/null; then
      server_failed "the server exited during startup"
    fi
    (($(now) < deadline)) || server_failed "no 200 from $URL/ after ${START_TIMEOUT} s (last status: ${code:-none})"
    sleep 0.5
  done
  server_pid >/dev/null || server_failed "$URL/ answers but no rackup process of $INSTANCE owns port $PORT"
  # Keep the pid file authoritative even if rackup could not write it.
  [[ -s $PID_FILE ]] || server_pid >"$PID_FILE"
  log "ready after $(($(now) - start)) s (pid $(server_pid))"
}

stop_server() {
  local pids pid i alive=""
  pids=$(server_pids | tr '\n' ' ')
  if [[ -z ${pids// /} ]]; then
    rm -f "$PID_FILE"
    return 0
  fi
  log "stopping server (pid ${pids% })"
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 100; i++)); do
    alive=""
    for pid in $pids; do [[ -d /proc/$pid ]] && alive+="$pid "; done
    [[ -z $alive ]] && break
    sleep 0.2
  done
  if [[ -n $alive ]]; then
    log "server did not stop after 20 s, sending KILL to $alive"
    for pid in $alive; do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.5
  fi
  rm -f "$PID_FILE"
}

print_env() {
  printf 'REDMINE_URL=%s\n' "$URL"
  printf 'REDMINE_PORT=%s\n' "$PORT"
  printf 'REDMINE_DATA_DIR=%s\n' "$DATA_DIR"
  printf 'REDMINE_API_KEY=%s\n' "$REDMINE_TEST_ADMIN_API_KEY"
  printf 'REDMINE_TEST_ADMIN_API_KEY=%s\n' "$REDMINE_TEST_ADMIN_API_KEY"
  printf 'REDMINE_TEST_USER_API_KEY=%s\n' "$REDMINE_TEST_USER_API_KEY"
}

# ---------------------------------------------------------------- commands

cmd_up() {
  load_keys
  if is_running; then
    log "already running on $URL (pid $(server_pid))"
    print_env
    return 0
  fi
  require_root up
  take_lock
  # Checked again: another caller may have started it while we waited.
  if is_running; then
    log "already running on $URL (pid $(server_pid))"
    print_env
    return 0
  fi

  ensure_packages "${REDMINE_PACKAGES[@]}"
  repick_port_if_taken

  if server_pid >/dev/null; then
    # A server of this instance is alive but not answering yet (still booting).
    log "server process already started, waiting for it"
  else
    if ! instance_is_seeded; then
      seed_instance
    fi
    start_server
  fi
  wait_until_ready
  print_env
}

cmd_down() {
  require_root down
  take_lock
  stop_server
  log "stopped (data kept in $DATA_DIR)"
}

cmd_reset() {
  require_root reset
  take_lock
  stop_server
  delete_instance
  log "deleted $INSTANCE_DIR and $DATA_DIR"
}

cmd_status() {
  local pid
  if pid=$(server_pid) && port_answers; then
    echo "running: $URL (pid $pid, instance $INSTANCE)"
    return 0
  fi
  if [[ -n ${pid:-} ]]; then
    echo "not ready: pid $pid exists but $URL/ does not answer 200"
  else
    echo "stopped: nothing serving $INSTANCE on $URL"
  fi
  return 1
}

cmd_env() {
  load_keys
  print_env
}

main() {
  resolve_port
  case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  reset) cmd_reset ;;
  status) cmd_status ;;
  env) cmd_env ;;
  -h | --help | help) usage ;;
  *) usage ;;
  esac
}

main "$@"
