#!/usr/bin/env bash
# The main job until `kmatrix run` lands: the seed case from matrix.yaml, defconfig plus
# CRASH_DUMP=y KEXEC=n KEXEC_FILE=y on arm, arm64, s390 and x86_64 of Debian's 6.1 and
# 6.12 trees. Prints each cell's pin table; exits 0 when every cell ran (an unsatisfied
# cell is a finding, not a failure), 2 when kmatrix itself failed.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
for src in debian:6.1 debian:6.12; do
  for arch in arm arm64 s390 x86_64; do
    node bin/kmatrix.js config --source "$src" --arch "$arch" \
      --set CRASH_DUMP=y --set KEXEC=n --set KEXEC_FILE=y "$@"
    rc=$?
    ((rc >= 2)) && status=2
    echo
  done
done
exit $status
