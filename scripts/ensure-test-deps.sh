#!/usr/bin/env bash
# What `npm test` needs besides node_modules, installed from Debian's packages when missing:
#   redis-server (the outage test starts a Redis of its own), redis-cli (the cluster tests join three redis-servers
# into a Redis Cluster with `redis-cli --cluster create`), Chromium (the admin page's browser test),
# and a Redis answering at REDIS_URL (scripts/ensure-redis.sh). The npm dependencies are
# scripts/ensure-node-deps.sh's job (`npm test` runs both): CI runs this script before its own `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools) # Debian's redis-server depends on it anyway
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test deps: installing ${missing[*]} (Debian packages)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
exec bash scripts/ensure-redis.sh
