// The solve stage of a run's `solve: true` cells, two ways side by side: each cell opening its
// own conf session (make <base>, one make olddefconfig with its probes, the shell cache: how
// run did it before, and how `kmatrix solve` does one question), and the run's shared
// sessions (src/run/solve-cell.ts realCellSolver: one per tree, arch, toolchain and base).
// The cells run two at a time, as a run's config stage does on 2 cores. Prints both times,
// the ratio, and checks both give the same verdicts.
//
//   npm run build && node bench/solve-cells.mjs [--rounds N]
//
// Needs the Debian 6.12 tree in the kmatrix cache (the slow tests fetch it).
import { parseArgs } from 'node:util';
import PQueue from 'p-queue';
import { ARCHES } from '../dist/arch/arches.js';
import { defaultCacheDir } from '../dist/fsutil/cache.js';
import { execaRunner } from '../dist/process/runner.js';
import { CELL_MAX_EXTRA, realCellSolver } from '../dist/run/solve-cell.js';
import { createSolveDeps } from '../dist/solve/deps.js';
import { solvePins } from '../dist/solve/solve.js';
import { resolveSource } from '../dist/source/resolve.js';

const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
const ROUNDS = Number(opts.rounds);
const CONFIGS = [
  ['CRASH_DUMP=y', 'KEXEC=n'],
  ['KEXEC_FILE=y'],
  ['BLK_DEV_LOOP=y'],
  ['USB_STORAGE=m'],
];
const arches = ['x86_64', 'armhf'].map((n) => ARCHES.find((a) => a.name === n));
const base = { kind: 'tinyconfig' };
const cacheDir = defaultCacheDir(process.env);
const tree = await resolveSource(
  { kind: 'debian', version: '6.12' },
  { runner: execaRunner, cacheDir, cwd: process.cwd(), emit: () => {} },
);
const cells = arches.flatMap((arch) =>
  CONFIGS.map((words) => ({
    tree,
    arch,
    toolchain: 'gcc',
    base,
    pins: words.map((w) => {
      const [symbol, value] = w.split('=');
      return { symbol, value, origin: 'matrix' };
    }),
  })),
);
const verdictOf = (r) => {
  const v = r.arches[0].verdict;
  return v.kind === 'satisfiable'
    ? `+${v.extra.map((e) => `${e.symbol}=${e.value}`).join(' ')}`
    : v.kind;
};

/** Every cell's solve, two at a time; the time and the verdicts. */
async function stage(solve) {
  const q = new PQueue({ concurrency: 2 });
  const t = Date.now();
  const verdicts = await Promise.all(
    cells.map((c) => q.add(async () => verdictOf(await solve(c)))),
  );
  return { ms: Date.now() - t, verdicts };
}

/** Before: a conf session per cell (solvePins without a shared one). */
async function perCell() {
  const deps = await createSolveDeps({
    runner: execaRunner,
    cacheDir,
    env: process.env,
    emit: () => {},
    jobs: 2,
  });
  return stage((c) =>
    solvePins(
      { ...c, arches: [c.arch], forbid: [], keepBase: false, maxExtra: CELL_MAX_EXTRA },
      deps,
    ),
  );
}

/** Now: the run's solver, sessions shared by the cells of one tree, arch, toolchain and base. */
async function shared() {
  const solver = await realCellSolver({
    runner: execaRunner,
    cacheDir,
    env: process.env,
    jobs: 2,
  });
  try {
    const signal = new AbortController().signal;
    return await stage((c) => solver.solve(c, signal));
  } finally {
    await solver.close();
  }
}

console.log(
  `${cells.length} solve: true cells (${tree.label} ${base.kind}, ${arches.map((a) => a.name).join(' and ')}, ${CONFIGS.length} configs), 2 at a time`,
);
const times = { perCell: [], shared: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of [
    ['perCell', perCell],
    ['shared', shared],
  ]) {
    const r = await fn();
    times[name].push(r.ms);
    console.log(
      `round ${round + 1} ${name === 'perCell' ? 'a session per cell' : 'shared sessions  '}: ${(r.ms / 1000).toFixed(1)} s  ${r.verdicts.join(' | ')}`,
    );
    times[`${name}Verdicts`] = r.verdicts.join(' | ');
  }
}
if (times.perCellVerdicts !== times.sharedVerdicts) {
  console.error('the two ways gave different verdicts');
  process.exitCode = 1;
}
const best = (xs) => Math.min(...xs);
console.log(
  `best of ${ROUNDS}: a session per cell ${(best(times.perCell) / 1000).toFixed(1)} s, shared ${(best(times.shared) / 1000).toFixed(1)} s; ratio shared/per-cell ${(best(times.shared) / best(times.perCell)).toFixed(2)}`,
);
