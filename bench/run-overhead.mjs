#!/usr/bin/env node
// Issue 5's benchmark: a `kmatrix run` of N config-only cells (defconfig + CRASH_DUMP=y on
// 8 archs of one tree, x --seeds randconfig cells if asked) through runMatrix, reporting
// CPU utilisation of the machine across the run (sampled from /proc/stat), slot occupancy
// (were all config slots busy while cells remained?), and the orchestrator's overhead per
// cell: wall time of the run minus the cell work (divided over the slots), per cell, plus
// kmatrix's own CPU time per cell. Aim: overhead < 200 ms per cell, slots busy while cells remain.
// Usage: npm run build && node bench/run-overhead.mjs [--source debian:6.1] [--jobs N]
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCacheDir } from '../dist/fsutil/cache.js';
import { runMatrix } from '../dist/run/run-matrix.js';

const { values } = parseArgs({
  options: {
    source: { type: 'string', default: 'debian:6.1' },
    jobs: { type: 'string', default: String(availableParallelism()) },
    keep: { type: 'boolean', default: false },
  },
});
const jobs = Number(values.jobs);
const arches = ['x86_64', 'i386', 'armhf', 'arm64', 's390', 'riscv64', 'powerpc64le', 'mips'];
const dir = mkdtempSync(join(tmpdir(), 'kmatrix-bench-run-'));
writeFileSync(
  join(dir, 'matrix.yaml'),
  `name: bench
sources: [${values.source}]
architectures: [${arches.join(', ')}]
configs:
  - name: def
    base: defconfig
    pins: [CRASH_DUMP=y]
    build: false
`,
);

function cpuTimes() {
  const f = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = f[3] + f[4];
  return { idle, total: f.reduce((a, b) => a + b, 0) };
}

async function once(label) {
  const events = [];
  const samples = [];
  let last = cpuTimes();
  const timer = setInterval(() => {
    const now = cpuTimes();
    const dt = now.total - last.total;
    if (dt > 0) samples.push(1 - (now.idle - last.idle) / dt);
    last = now;
  }, 250);
  const start = cpuTimes();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const summary = await runMatrix({
    matrixPath: 'matrix.yaml',
    cwd: dir,
    env: process.env,
    resultsDir: join(dir, `results-${label}`),
    storePath: join(dir, `results-${label}`, 'kmatrix.db'),
    cacheDir: defaultCacheDir(process.env),
    filters: [],
    resume: false,
    sizing: { configJobs: jobs },
    ccache: false,
    signal: new AbortController().signal,
    emit: (e) => events.push({ at: performance.now() - t0, ...e }),
  });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  const end = cpuTimes();
  const util = 1 - (end.idle - start.idle) / (end.total - start.total);
  const results = JSON.parse(readFileSync(join(summary.runDir, 'results.json'), 'utf8'));
  const n = summary.cells.length;
  // Cell work from the store's per-cell workMs; the run cannot be faster than work / slots.
  const { ResultStore } = await import('../dist/store/store.js');
  const store = new ResultStore(join(dir, `results-${label}`, 'kmatrix.db'));
  const work = [...store.resultsOf(summary.runId).values()].reduce((a, r) => a + r.workMs, 0);
  store.close();
  const slots = Math.min(jobs, n);
  const overheadPerCell = (wall - work / slots) / n;
  // Slot occupancy: time with fewer than `slots` cells running while some had not started.
  const timeline = events.filter((e) => e.type === 'cell:start' || e.type === 'cell:done');
  let running = 0;
  let started = 0;
  let prev = timeline[0]?.at ?? 0;
  let idleSlotMs = 0;
  for (const e of timeline) {
    if (started < n && running < slots) idleSlotMs += (e.at - prev) * (slots - running);
    prev = e.at;
    if (e.type === 'cell:start') {
      running++;
      started++;
    } else running--;
  }
  console.log(
    `${label}: ${n} cells (${Object.entries(results.counts.status)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}) ` +
      `wall ${(wall / 1000).toFixed(2)}s, cell work ${(work / 1000).toFixed(2)}s over ${slots} slot(s)`,
  );
  console.log(
    `  machine CPU utilisation ${(util * 100).toFixed(0)}% (samples min ${(Math.min(...samples) * 100).toFixed(0)}%, median ${(samples.sort()[Math.floor(samples.length / 2)] * 100).toFixed(0)}%)`,
  );
  console.log(
    `  orchestrator overhead ${overheadPerCell.toFixed(0)} ms/cell (wall - work/slots, per cell); kmatrix's own CPU ${((cpu.user + cpu.system) / 1000 / n).toFixed(0)} ms/cell; idle slot time while cells remained ${idleSlotMs.toFixed(0)} ms`,
  );
  return { wall, work, overheadPerCell, util };
}

console.log(
  `${arches.length} config-only cells of ${values.source}, ${jobs} config slot(s); Kconfig tools/base cache warmed by a first run`,
);
await once('warm-up');
const r = await once('measured');
console.log(
  `overhead per cell: ${r.overheadPerCell.toFixed(0)} ms (aim < 200 ms); CPU ${(r.util * 100).toFixed(0)}%`,
);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
