#!/usr/bin/env node
// Issue 2's benchmark: the same N config cells (defconfig + CRASH_DUMP=y KEXEC=n KEXEC_FILE=y
// on 8 archs of one tree) through `kmatrix config` and through a plain shell loop (fresh O=
// dir, make defconfig, append pins, make olddefconfig), timed in one run; prints the ratio.
// kmatrix's Kconfig tools cache is warmed first (that reuse is the point); aim <= 0.4.
// Usage: npm run build && node bench/config-cells.mjs [--source debian:6.1] [--rounds 1]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ARCHES, findArch } from '../dist/arch/arches.js';
import { benchArgs } from './lib/source.mjs';

const { values, tree } = await benchArgs({ rounds: { type: 'string', default: '1' } });
const CLI = resolve('bin/kmatrix.js');
const archNames = ['x86_64', 'i386', 'armhf', 'arm64', 's390', 'riscv64', 'powerpc64le', 'mips'];
const pins = ['CRASH_DUMP=y', 'KEXEC=n', 'KEXEC_FILE=y'];
console.log(
  `tree ${tree.label} (${tree.version}), ${archNames.length} cells: ${archNames.join(' ')}`,
);

const loop = `
set -e
T=$1; W=$2; shift 2
for spec in "$@"; do
  arch=\${spec%%:*}; cross=\${spec#*:}; target=\${cross#*:}; cross=\${cross%%:*}
  O=$W/$arch-$RANDOM; rm -rf "$O"
  make -s -C "$T" O="$O" ARCH=$arch CROSS_COMPILE=$cross $target >/dev/null
  printf 'CONFIG_CRASH_DUMP=y\\n# CONFIG_KEXEC is not set\\nCONFIG_KEXEC_FILE=y\\n' >> "$O/.config"
  make -s -C "$T" O="$O" ARCH=$arch CROSS_COMPILE=$cross olddefconfig >/dev/null
done`;
const loopSpecs = archNames.map((n) => {
  const a = findArch(n) ?? ARCHES[0];
  return `${a.arch}:${a.triplet}-:${a.defconfigTarget}`;
});

function time(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const work = mkdtempSync(join(tmpdir(), 'kmatrix-bench-config-'));
const kmatrix = (out) =>
  execFileSync(
    process.execPath,
    [
      CLI,
      'config',
      '--source',
      values.source,
      '--arch',
      archNames.join(','),
      ...pins.flatMap((p) => ['--set', p]),
      '--out',
      out,
      '--json',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
try {
  // Warm-up, not timed: builds the tree's Kconfig tools into the cache once.
  try {
    kmatrix(join(work, 'warm'));
  } catch {
    /* exit 1 = some cell unsatisfied: expected */
  }
  const rounds = Number(values.rounds);
  let tk = 0;
  let tl = 0;
  for (let i = 0; i < rounds; i++) {
    tl += time(() =>
      execFileSync('bash', ['-c', loop, 'loop', tree.path, join(work, 'loop'), ...loopSpecs], {
        stdio: 'inherit',
      }),
    );
    tk += time(() => {
      try {
        kmatrix(join(work, `k${i}`));
      } catch (e) {
        if (e.status !== 1) throw e;
      }
    });
  }
  console.log(`shell loop: ${(tl / rounds).toFixed(2)} s   kmatrix: ${(tk / rounds).toFixed(2)} s`);
  console.log(`ratio kmatrix/loop: ${(tk / tl).toFixed(2)} (aim <= 0.4)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
