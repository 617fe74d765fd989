#!/usr/bin/env bash
# Builds the dashboard bundle into OUT_DIR (the CMake build calls this; it
# is safe to run by hand):
#   1. npm ci from the committed package-lock.json, only when the lock file
#      changed since the last install (node_modules/ stays here, untracked);
#   2. vite build into OUT_DIR, with fixed file names (vite.config.js).
# Builds of several build directories share node_modules: a lock file
# serializes them.
#
#   dashboard/build.sh OUT_DIR
set -euo pipefail
if [ $# -ne 1 ]; then echo "usage: $0 OUT_DIR" >&2; exit 2; fi
out=$(mkdir -p "$1" && cd "$1" && pwd)
cd "$(dirname "$0")"

exec 9> .npm-install.lock
flock 9
want=$(sha256sum package-lock.json | cut -d' ' -f1)
have=$(cat node_modules/.riskd-lock-sha256 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.riskd-lock-sha256
fi
node node_modules/vite/bin/vite.js build --outDir "$out" --emptyOutDir --logLevel warn
