#!/usr/bin/env bash
# One command on a fresh clone: installs dependencies, makes sure Redis answers (REDIS_URL, or a private
# redis-server), and runs the demo (scripts/demo.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
bash scripts/ensure-redis.sh
exec npx tsx scripts/demo.ts
