#!/usr/bin/env bash
# Start this checkout's sandbox Redmine (scripts/redmine.sh with REDMINE_PROFILE=sandbox: its own
# instance, apart from the one the tests write to) and print how to try Bastion against it.
# Installs only what the sandbox needs (Redmine); the test packages (keyring, Redis, Mosquitto) are
# installed by the test set-up.
#
# Usage: scripts/sandbox.sh     (REDMINE_PORT overrides the port: default 3100 when free, else a free
#                                one, recorded for later runs)

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
export REDMINE_PROFILE=sandbox

run_redmine_up() {
  if [[ $EUID -eq 0 ]]; then
    bash "$SCRIPT_DIR/redmine.sh" up
  elif command -v sudo >/dev/null; then
    echo "sandbox: scripts/redmine.sh needs root, using sudo" >&2
    sudo env REDMINE_PROFILE=sandbox ${REDMINE_PORT:+REDMINE_PORT="$REDMINE_PORT"} bash "$SCRIPT_DIR/redmine.sh" up
  else
    echo "sandbox: scripts/redmine.sh must run as root (no sudo found)" >&2
    exit 1
  fi
}

env_lines=$(run_redmine_up)
REDMINE_URL=$(sed -n 's/^REDMINE_URL=//p' <<<"$env_lines")
REDMINE_API_KEY=$(sed -n 's/^REDMINE_API_KEY=//p' <<<"$env_lines")
REDMINE_TEST_USER_API_KEY=$(sed -n 's/^REDMINE_TEST_USER_API_KEY=//p' <<<"$env_lines")
[[ -n $REDMINE_URL && -n $REDMINE_API_KEY ]] || {
  echo "sandbox: scripts/redmine.sh up did not print REDMINE_URL/REDMINE_API_KEY" >&2
  exit 1
}


cli="$REPO_DIR/dist/cli.js"
build_hint=""
[[ -f $cli ]] || build_hint="  (build first: npm install && npm run build)"

cat <<EOF

Bastion sandbox
===============

A local Redmine 5 is running at $REDMINE_URL with seeded data:
projects "alpha" (30 issues, wiki, time entries) and "beta" (3 issues).
Web login: admin / admin, dev / devpassword1.

1. Environment (admin key; the non-admin user "dev" has $REDMINE_TEST_USER_API_KEY):

   export REDMINE_URL=$REDMINE_URL
   export REDMINE_API_KEY=$REDMINE_API_KEY

2. Run the MCP server on stdio:

   node dist/cli.js serve      # from this checkout$build_hint
   npx bastion serve           # where the package is installed (npm link / npm i bastion-mcp)

3. MCP client configuration (Claude Desktop style):

{
  "mcpServers": {
    "bastion": {
      "command": "node",
      "args": ["$cli", "serve"],
      "env": {
        "REDMINE_URL": "$REDMINE_URL",
        "REDMINE_API_KEY": "$REDMINE_API_KEY"
      }
    }
  }
}

4. Stop Redmine when done (data is kept; "reset" deletes it):

   REDMINE_PROFILE=sandbox bash scripts/redmine.sh down
   REDMINE_PROFILE=sandbox bash scripts/redmine.sh reset

EOF
