#!/usr/bin/env bash
# Runs the test suite (arguments go to vitest) inside a private D-Bus session with an unlocked
# gnome-keyring, so the OS-keyring tests talk to a real Secret Service.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/common.sh
source scripts/lib/common.sh

# What only the tests need (the sandbox installs Redmine alone): a Secret Service for the keyring tests (D-Bus,
# gnome-keyring), Redis for the shared-state tests, openssl for test certificates. Mosquitto and Redmine are
# installed by their scripts, which the test set-up runs.
TEST_PACKAGES=(dbus gnome-keyring libsecret-tools redis-server openssl)
if [ -z "${BASTION_TEST_DBUS:-}" ] && [ "$EUID" -eq 0 ]; then ensure_packages "${TEST_PACKAGES[@]}"; fi

# The official MCP tools (conformance suite, Inspector) need Node 22; they live in their own package so that
# their Node binary never shadows the project's Node on PATH.
if [ ! -x test/e2e/tools/node_modules/.bin/conformance ] || [ ! -x test/e2e/tools/node_modules/.bin/mcp-inspector ]; then
  npm ci --prefix test/e2e/tools --no-audit --no-fund >&2
fi

if [ -z "${BASTION_TEST_DBUS:-}" ]; then
  for tool in dbus-run-session gnome-keyring-daemon; do
    command -v "$tool" >/dev/null || { echo "test.sh: $tool is missing: run 'sudo bash scripts/test.sh' once to install the test packages (${TEST_PACKAGES[*]})" >&2; exit 1; }
  done
  # dbus-daemon complains that it cannot raise its file limit in containers; that is harmless. The filter is a plain
  # pipe on stderr (fd 3 carries stdout past it), not a process substitution: that would leave an extra descriptor
  # open in the services the test set-up starts, and a caller piping this script's output would wait for them forever.
  set +e
  { dbus-run-session -- env BASTION_TEST_DBUS=1 bash "$0" "$@" 2>&1 >&3 3>&- | grep -v 'Failed to set fd limit' >&2 3>&-; } 3>&1
  exit "${PIPESTATUS[0]}"
fi

# A keyring of its own, in a fresh directory, so it never touches (or needs the password of) a user's keyring.
XDG_DATA_HOME=$(mktemp -d)
export XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
printf '%s' 'bastion-test-keyring' | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
npx vitest run "$@"
