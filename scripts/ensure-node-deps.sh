#!/usr/bin/env bash
# Installs the npm dependencies from package-lock.json (npm ci) when there is no completed install, as on a
# fresh clone: `npm run demo` and `npm test` run it first, so each works alone. (CI runs npm ci itself first;
# this then finds the install and does nothing.)
set -euo pipefail
cd "$(dirname "$0")/.."

# npm writes node_modules/.package-lock.json when an install completes.
installed=node_modules/.package-lock.json
if [ ! -f "$installed" ]; then
  echo "deps: installing npm dependencies (npm ci)" >&2
  # The project's .npmrc silences npm (for `npm start`'s sake); an install should still report problems.
  npm ci --no-audit --no-fund --loglevel=warn
elif [ package-lock.json -nt "$installed" ]; then
  echo "deps: package-lock.json changed since the last install; run \`npm ci\` if something is missing" >&2
fi
