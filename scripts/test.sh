#!/usr/bin/env bash
# The README's test command (and what .ci/run runs): the fast checks first (npm packages,
# typecheck, lint, build, pure tests: about two minutes, no machine setup), so a broken
# change fails in minutes; then the machine setup (Debian packages, dockerd, toolchain
# images), the fault suite and the slow suite (real trees, real cross compilers, real Docker).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)" >&2; }

step "npm packages"
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
step "typecheck"
npm run -s typecheck
step "lint"
npm run -s lint
step "build"
npm run -s build
step "fast tests"
npm run -s test:fast

step "machine setup (Debian packages, dockerd, images)"
# Where the time went, printed also when a suite fails.
trap 'node scripts/test-times.mjs || true' EXIT
eval "$(bash scripts/setup.sh --docker | grep '^export ')"
export DOCKER_HOST

step "fault suite (writes its table into docs/reliability.md)"
npm run -s test:faults
step "slow tests"
npm run -s test:slow
step "done"
