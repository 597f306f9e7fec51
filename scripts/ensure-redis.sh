#!/usr/bin/env bash
# Makes sure a Redis answers at REDIS_URL (default redis://127.0.0.1:6379). When none does, starts a private
# redis-server on that port (installing Debian's redis-server package first if it is missing).
# Everything it says goes to stderr: it runs before `npm start`, whose stdout is the daemon's JSON log alone.
set -euo pipefail
exec 1>&2

if [ -n "${REDIS_CLUSTER_NODES:-}" ]; then
  echo "redis: REDIS_CLUSTER_NODES is set; the daemon connects to that cluster (no local Redis started)"
  exit 0
fi

url="${REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${url#*://}"; hostport="${hostport##*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"
[ "$port" = "$hostport" ] && port=6379

answers() {
  # PING over bash's /dev/tcp: no redis-cli needed.
  (exec 3<>"/dev/tcp/$host/$port" && printf 'PING\r\n' >&3 && IFS= read -r -t 2 line <&3 && [[ "$line" == +PONG* || "$line" == -NOAUTH* ]]) 2>/dev/null
}

if answers; then
  echo "redis: answering at $host:$port"
  exit 0
fi

case "$host" in
  127.0.0.1|localhost) ;;
  *) echo "redis: nothing answers at $host:$port and it is not local; start it or set REDIS_URL"; exit 1 ;;
esac

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis: installing Debian's redis-server package"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi

dir="${TMPDIR:-/tmp}/callback-orchestrator-redis-$port"
mkdir -p "$dir"
echo "redis: starting a private redis-server on 127.0.0.1:$port (data in $dir, not persisted)"
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no --hz 100 \
  --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
for _ in $(seq 1 50); do
  answers && { echo "redis: answering at $host:$port"; exit 0; }
  sleep 0.1
done
echo "redis: started but not answering; see $dir/redis.log"
exit 1
