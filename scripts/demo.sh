#!/usr/bin/env bash
# One command on a fresh clone: installs dependencies, makes sure Redis answers (REDIS_URL, or a private
# redis-server), and runs the demo (scripts/demo.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-redis.sh
exec npx tsx scripts/demo.ts
