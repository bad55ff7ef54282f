#!/usr/bin/env bash
# Installs what the tests need from Debian: Chromium (browser tests), PostgreSQL,
# Redis and nginx (the production topology: two app processes behind a proxy).
# As root it installs them; otherwise it says how.
set -euo pipefail

missing=()
# Extra packages may be named on the command line (make bench asks for wrk).
for extra in "$@"; do command -v "$extra" > /dev/null || missing+=("$extra"); done
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || missing+=(postgresql)
command -v redis-server > /dev/null || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || missing+=(nginx)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
