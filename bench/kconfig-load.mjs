// Loading the full x86_64 Kconfig model of a tree vs `make olddefconfig` in an
// already-configured O= dir of the same tree. Run after `npm run build`:
//   node bench/kconfig-load.mjs [--source debian:6.1|PATH|git:PATH@REF]   (default debian:6.1)
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { findArch } from '../dist/arch/arches.js';
import { Evaluator, loadKconfigModel } from '../dist/kconfig/index.js';
import { benchArgs } from './lib/source.mjs';

const tree = (await benchArgs()).tree.path;
const arch = findArch('x86_64');
const RUNS = 5;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const out = mkdtempSync(join(tmpdir(), 'kmatrix-bench-'));
const make = (target) =>
  execa(
    'make',
    ['-s', '-C', tree, `O=${out}`, `ARCH=${arch.arch}`, `CROSS_COMPILE=${arch.triplet}-`, target],
    {
      stdout: 'ignore',
    },
  );
await make('defconfig'); // builds conf and the first .config, not timed
if (!existsSync(join(out, '.config'))) throw new Error('defconfig produced no .config');

const loads = [];
const evals = [];
for (let i = 0; i < RUNS; i++) {
  let model;
  loads.push(await time(async () => (model = await loadKconfigModel({ srcTree: tree, arch }))));
  evals.push(
    await time(async () => {
      const ev = new Evaluator(model, new Map());
      for (const s of model.boolSymbols()) ev.value(s);
    }),
  );
}
const makes = [];
for (let i = 0; i < RUNS; i++) makes.push(await time(() => make('olddefconfig')));

const load = median(loads);
const olddefconfig = median(makes);
console.log(`tree: ${tree} (x86_64)`);
console.log(`kmatrix load model:       ${load.toFixed(0)} ms (median of ${RUNS})`);
console.log(`kmatrix evaluate all:     ${median(evals).toFixed(0)} ms`);
console.log(`make olddefconfig:        ${olddefconfig.toFixed(0)} ms (median of ${RUNS})`);
console.log(`ratio load/olddefconfig:  ${(load / olddefconfig).toFixed(2)}`);
