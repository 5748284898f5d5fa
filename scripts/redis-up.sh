#!/usr/bin/env bash
# Start a private redis-server for kmatrix's queue executor (no systemd on CI machines):
# Debian's redis-server, listening on 127.0.0.1:PORT and on a unix socket, data (append-only
# file) in its own directory, `maxmemory-policy noeviction` (BullMQ loses jobs under
# eviction), started in the background and stopped by pid with scripts/redis-down.sh.
# Idempotent: an instance of DIR that answers is reused; one that was killed is started again
# from its append-only file (nothing it acknowledged is lost: appendfsync always).
#
#   scripts/redis-up.sh [DIR]     DIR default $KMATRIX_REDIS_DIR, else /var/lib/kmatrix-redis
#   KMATRIX_REDIS_PORT            TCP port on 127.0.0.1 (default 6390; 0 = unix socket only)
#   KMATRIX_REDIS_PASSWORD        require this password (written to DIR/redis.conf, mode 0600,
#                                 never on a command line)
#   KMATRIX_REDIS_TLS_CERT/_KEY   serve TLS only on the TCP port with this certificate and key
#                                 (the URL is then rediss://; the unix socket stays plain)
#
# Prints `export KMATRIX_REDIS_URL=...` on stdout (the URL kmatrix reads, without the
# password); logs go to stderr.
set -euo pipefail

DIR=${1:-${KMATRIX_REDIS_DIR:-/var/lib/kmatrix-redis}}
PORT=${KMATRIX_REDIS_PORT:-6390}
PASSWORD=${KMATRIX_REDIS_PASSWORD:-}
TLS_CERT=${KMATRIX_REDIS_TLS_CERT:-}
TLS_KEY=${KMATRIX_REDIS_TLS_KEY:-}
WAIT_S=${KMATRIX_REDIS_WAIT:-30}

log() { printf 'redis-up: %s\n' "$*" >&2; }

if ! command -v redis-server >/dev/null 2>&1; then
  log "installing redis-server (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends redis-server >&2
fi

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
SOCK=$DIR/redis.sock
PIDFILE=$DIR/redis.pid
CONF=$DIR/redis.conf
LOG=$DIR/redis.log

# The socket path must fit in sun_path (108 bytes).
if ((${#SOCK} > 100)); then
  log "socket path $SOCK is too long for a unix socket; use a shorter DIR"
  exit 2
fi

# Without the password: kmatrix reads it from KMATRIX_REDIS_PASSWORD, already in your environment.
url() {
  if [[ $PORT == 0 ]]; then
    echo "unix://$SOCK"
  elif [[ -n $TLS_CERT ]]; then
    echo "rediss://127.0.0.1:$PORT"
  else
    echo "redis://127.0.0.1:$PORT"
  fi
}

answers() {
  local args=(-s "$SOCK")
  [[ -n $PASSWORD ]] && args+=(--no-auth-warning -a "$PASSWORD")
  [[ $(redis-cli "${args[@]}" ping 2>/dev/null) == PONG ]]
}

# The pid is alive and is a redis-server (its exe is Debian's redis-check-rdb; comm says).
alive() {
  [[ -s $PIDFILE ]] || return 1
  [[ $(cat "/proc/$(cat "$PIDFILE")/comm" 2>/dev/null) == redis-server ]]
}

start() {
  rm -f "$PIDFILE" "$SOCK"
  (
    umask 077
    {
      echo "bind 127.0.0.1 -::1"
      echo "protected-mode yes"
      if [[ -n $TLS_CERT ]]; then
        echo "port 0"
        echo "tls-port $PORT"
        echo "tls-cert-file $TLS_CERT"
        echo "tls-key-file $TLS_KEY"
        echo "tls-auth-clients no"
      else
        echo "port $PORT"
      fi
      echo "unixsocket $SOCK"
      echo "unixsocketperm 700"
      echo "dir $DIR"
      echo "pidfile $PIDFILE"
      echo "logfile $LOG"
      echo "daemonize yes"
      echo "appendonly yes"
      echo "appendfsync always"
      echo 'save ""'
      echo "maxmemory-policy noeviction"
      if [[ -n $PASSWORD ]]; then echo "requirepass $PASSWORD"; fi
    } >"$CONF"
  )
  log "starting redis-server (dir $DIR, socket $SOCK, port $PORT, log $LOG)"
  # daemonize: redis forks, detaches from this shell and writes its own pidfile.
  redis-server "$CONF" </dev/null >>"$LOG" 2>&1
}

if alive && answers; then
  log "reusing redis-server pid $(cat "$PIDFILE") in $DIR"
  echo "export KMATRIX_REDIS_URL=$(url)"
  exit 0
fi
# A pid that is alive but does not answer is still loading its data, or was just killed
# (kill -9 takes a moment): wait for it, and start a new one once it is gone.
started=0
for ((i = 0; i < WAIT_S * 10; i++)); do
  if alive; then
    if answers; then
      log "redis-server pid $(cat "$PIDFILE") answers on $SOCK"
      echo "export KMATRIX_REDIS_URL=$(url)"
      exit 0
    fi
  elif ((started == 0)); then
    start
    started=1
    continue
  fi
  sleep 0.1
done
log "redis-server did not answer on $SOCK within ${WAIT_S}s; last log lines:"
tail -n 20 "$LOG" >&2 || true
exit 1
