#!/usr/bin/env bash
# Start a private dockerd for kmatrix (no systemd on CI machines): overlay2 on the ext4
# disk, no bridge/iptables, its own socket and pidfile. Idempotent: an answering daemon
# started earlier is reused. Prints `export DOCKER_HOST=...` on stdout; logs go to stderr.
set -euo pipefail

ROOT=${KMATRIX_DOCKER_ROOT:-/var/lib/kmatrix-docker}
EXEC_ROOT=${KMATRIX_DOCKER_EXEC_ROOT:-/run/kmatrix-docker}
SOCK=${KMATRIX_DOCKER_SOCK:-/run/kmatrix-docker.sock}
PIDFILE=${KMATRIX_DOCKER_PIDFILE:-/run/kmatrix-docker.pid}
LOG=${KMATRIX_DOCKER_LOG:-/var/log/kmatrix-dockerd.log}
WAIT_S=${KMATRIX_DOCKER_WAIT:-60}

log() { printf 'docker-up: %s\n' "$*" >&2; }

answers() {
  docker -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

alive() {
  [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  log "installing docker.io (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends docker.io >&2
fi

if alive && answers; then
  log "reusing dockerd pid $(cat "$PIDFILE") on $SOCK"
  echo "export DOCKER_HOST=unix://$SOCK"
  exit 0
fi
if alive; then
  log "dockerd pid $(cat "$PIDFILE") is running but does not answer on $SOCK; waiting for it"
else
  rm -f "$PIDFILE" "$SOCK"
  mkdir -p "$ROOT" "$EXEC_ROOT" "$(dirname "$LOG")"
  fstype=$(stat -f -c %T "$ROOT")
  if [[ $fstype != ext2/ext3 && $fstype != xfs ]]; then
    log "warning: $ROOT is on $fstype; overlay2 wants ext4 or xfs"
  fi
  log "starting dockerd (data-root $ROOT, socket $SOCK, log $LOG)"
  # setsid: the daemon must outlive this script and not get the caller's terminal signals.
  setsid dockerd \
    --iptables=false --ip6tables=false --bridge=none \
    --storage-driver=overlay2 \
    --data-root="$ROOT" --exec-root="$EXEC_ROOT" \
    -H "unix://$SOCK" --pidfile "$PIDFILE" \
    </dev/null >>"$LOG" 2>&1 &
fi

for ((i = 0; i < WAIT_S * 4; i++)); do
  if answers; then
    log "dockerd pid $(cat "$PIDFILE") answers on $SOCK"
    echo "export DOCKER_HOST=unix://$SOCK"
    exit 0
  fi
  sleep 0.25
done
log "dockerd did not answer on $SOCK within ${WAIT_S}s; last log lines:"
tail -n 20 "$LOG" >&2 || true
exit 1
