#!/usr/bin/env bash
# Stop the dockerd that docker-up.sh started: exactly the pid in its pidfile, then the
# containerd it managed (pid from dockerd's exec-root). Never matches process names.
set -euo pipefail

EXEC_ROOT=${KMATRIX_DOCKER_EXEC_ROOT:-/run/kmatrix-docker}
SOCK=${KMATRIX_DOCKER_SOCK:-/run/kmatrix-docker.sock}
PIDFILE=${KMATRIX_DOCKER_PIDFILE:-/run/kmatrix-docker.pid}
CONTAINERD_PIDFILE=$EXEC_ROOT/containerd/containerd.pid

log() { printf 'docker-down: %s\n' "$*" >&2; }

# is_prog PID NAME: the pid is alive and its executable is NAME (guards against pid reuse)
is_prog() {
  local exe
  exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  [[ $(basename "$exe") == "$2" ]]
}

stop_pid() { # stop_pid PID NAME
  local pid=$1 name=$2
  is_prog "$pid" "$name" || return 0
  log "stopping $name pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 80; i++)); do
    is_prog "$pid" "$name" || return 0
    sleep 0.25
  done
  log "$name pid $pid still running after 20s; sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
}

containerd_pid=""
[[ -s $CONTAINERD_PIDFILE ]] && containerd_pid=$(cat "$CONTAINERD_PIDFILE")

if [[ -s $PIDFILE ]]; then
  stop_pid "$(cat "$PIDFILE")" dockerd
  rm -f "$PIDFILE"
else
  log "no pidfile at $PIDFILE; dockerd not started by docker-up.sh"
fi
# dockerd normally stops the containerd it manages; make sure, by its own pid.
if [[ -n $containerd_pid ]]; then
  stop_pid "$containerd_pid" containerd
fi
rm -f "$SOCK"
