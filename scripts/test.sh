#!/usr/bin/env bash
# The README's test command: set everything up (packages, npm, build, dockerd, images),
# then typecheck, lint and run every test, slow ones included (real trees, real Docker).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/setup.sh --docker | grep '^export ')"
export DOCKER_HOST
npm run check
