# Shared by the scripts that set up test services (sourced, not run).

# Messages go to stderr, prefixed with the calling script's name.
log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# usage: prints the calling script's header comment (its usage text) and exits 2.
usage() {
  sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2
  exit 2
}

# ensure_packages PKG...: apt-get install the packages that are not installed yet.
ensure_packages() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get to install them"
  log "installing ${missing[*]} (apt-get)"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
}

# ---------------------------------------------------------------- per-checkout services

# services_root: the folder where this checkout keeps its own test services (data, ports, logs), so that two
# checkouts on one machine never share a Redmine or a broker. Keyed by a hash of the checkout's path (not inside the
# checkout: the services run as www-data and mosquitto, which may not enter a home directory).
services_root() {
  local repo
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
  printf '/var/tmp/bastion-%s\n' "$(printf '%s' "$repo" | sha256sum | cut -c1-12)"
}

# ensure_services_root: creates the folder (readable by the service users) and notes which checkout it belongs to.
ensure_services_root() {
  local root
  root=$(services_root)
  mkdir -p "$root"
  chmod 755 "$root" 2>/dev/null || true
  [[ -f $root/checkout ]] || (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P) >"$root/checkout" 2>/dev/null || true
}

# port_in_use PORT: something listens on PORT (any address).
port_in_use() {
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# free_ports N: N distinct ports that nothing listens on, picked at random from 20000-52767.
free_ports() {
  local wanted=$1 tries=0 port picked=()
  while ((${#picked[@]} < wanted)); do
    ((tries++ < 500)) || die "found no $wanted free ports"
    port=$((20000 + RANDOM % 32768))
    port_in_use "$port" && continue
    [[ " ${picked[*]} " == *" $port "* ]] && continue
    picked+=("$port")
  done
  echo "${picked[@]}"
}
