#!/usr/bin/env bash
# Set up a fresh Debian 12 machine (as root) for kmatrix: Debian packages (kernel build
# dependencies, cross compilers for every arch kmatrix knows, clang/lld), npm packages,
# the build, and (with --docker) a running dockerd plus the toolchain images.
# Idempotent: run it again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."

with_docker=0
for arg in "$@"; do
  case $arg in
    --docker) with_docker=1 ;;
    *) echo "setup.sh: unknown option $arg (accepted: --docker)" >&2; exit 2 ;;
  esac
done

log() { printf 'setup: %s\n' "$*" >&2; }

packages=(
  # kernel build dependencies and Kconfig host tools
  make gcc flex bison bc libssl-dev libelf-dev cpio kmod xz-utils python3 perl rsync ccache strace
  # sources: git histories, Debian source packages, debootstrap for the base image
  git ca-certificates apt-utils debootstrap
  # the LLVM toolchain
  clang lld llvm
  # the HTML report is checked in a real headless browser
  chromium
  # kmatrix solve: SAT solvers over DIMACS (CaDiCaL solves, PicoSAT gives unsat cores)
  cadical picosat
  # the queue executor's Redis (scripts/redis-up.sh starts a private one)
  redis-server
)
# gcc and libc headers for every arch in src/arch/arches.ts (generated from the table;
# Kconfig's CC_CAN_LINK probe on the host must agree with the images)
mapfile -t cross < <(grep -v '^#' scripts/cross-packages.txt)
packages+=("${cross[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
log "building kmatrix (tsc)"
npm run -s build

if ((with_docker)); then
  eval "$(bash scripts/docker-up.sh)"
  log "building toolchain images (kept and reused by docker)"
  node bin/kmatrix.js images build
  echo "export DOCKER_HOST=$DOCKER_HOST"
fi
log "ready"
