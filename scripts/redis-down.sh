#!/usr/bin/env bash
# Stop redis-server instances that scripts/redis-up.sh started: exactly the pid in each
# instance's pidfile (checked to be a redis-server, against pid reuse). Never matches
# process names.
#
#   scripts/redis-down.sh [DIR]        one instance (DIR as given to redis-up.sh)
#   scripts/redis-down.sh --all ROOT   every instance whose directory is under ROOT
#                                      (.ci/run's EXIT trap: what the tests started)
set -euo pipefail

log() { printf 'redis-down: %s\n' "$*" >&2; }

# The pid is alive and is a redis-server (Debian's binary is redis-check-rdb; comm says).
is_redis() {
  [[ $(cat "/proc/$1/comm" 2>/dev/null) == redis-server ]]
}

stop_dir() {
  local dir=$1 pidfile=$1/redis.pid pid
  if [[ ! -s $pidfile ]]; then
    log "no pidfile at $pidfile; nothing to stop"
    return 0
  fi
  pid=$(cat "$pidfile")
  if is_redis "$pid"; then
    log "stopping redis-server pid $pid ($dir)"
    # SIGTERM: redis flushes the append-only file and exits.
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      is_redis "$pid" || break
      sleep 0.1
    done
    if is_redis "$pid"; then
      log "redis-server pid $pid still running after 10s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile" "$dir/redis.sock"
}

if [[ ${1:-} == --all ]]; then
  root=${2:?usage: redis-down.sh --all ROOT}
  [[ -d $root ]] || exit 0
  while IFS= read -r -d '' pidfile; do
    stop_dir "$(dirname "$pidfile")"
  done < <(find "$root" -name redis.pid -type f -print0)
  exit 0
fi

stop_dir "${1:-${KMATRIX_REDIS_DIR:-/var/lib/kmatrix-redis}}"
