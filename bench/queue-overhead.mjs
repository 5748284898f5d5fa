#!/usr/bin/env node
// Issue 14's benchmark: the same cells (config-only tinyconfig cells and small tinyconfig
// builds, arm) through `kmatrix run --executor local` and through the queue with one
// `kmatrix worker` on this machine (a private redis-server from scripts/redis-up.sh), side by
// side in one run, with the same slots on both sides (local: 2 config stages beside one make
// -j2 build; the worker: --worker-cpus 4, two one-CPU config cells beside one two-CPU build)
// and no ccache on either side. With --worker-cpus 2 the worker runs no config cell beside a
// build (it reserves the build's CPUs), which the local executor does. Prints the wall-time ratio queue/local (aim <= 1.1) and the
// queue's added latency per cell (aim < 100 ms): the wall-time difference spread over the
// cells, and the median hand-off per cell (taken -> ingested, minus the cell's own work).
// Usage: npm run build && node bench/queue-overhead.mjs [--config-cells 4] [--builds 1]
//        [--worker-cpus 4] [--source debian:6.1] [--order local,queue]
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const { values } = parseArgs({
  options: {
    source: { type: 'string', default: 'debian:6.1' },
    'config-cells': { type: 'string', default: '4' },
    builds: { type: 'string', default: '1' },
    order: { type: 'string', default: 'local,queue' },
    'worker-cpus': { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
  },
});
const CLI = resolve('bin/kmatrix.js');
const configCells = Number(values['config-cells']);
const builds = Number(values.builds);
const dir = mkdtempSync(join(tmpdir(), 'kmatrix-bench-queue-'));
const redisDir = join(dir, 'redis');

const cfg = (name, build) =>
  `  - {name: ${name}, base: tinyconfig, build: ${build}, pins: ['LOCALVERSION="-${name}"']}`;
writeFileSync(
  join(dir, 'matrix.yaml'),
  `name: bench-queue
sources: [${values.source}]
architectures: [arm]
runtime: docker
configs:
${[
  ...Array.from({ length: configCells }, (_, i) => cfg(`c${i}`, false)),
  ...Array.from({ length: builds }, (_, i) => cfg(`b${i}`, true)),
].join('\n')}
`,
);

function events(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Per cell: cell:start -> cell:done minus the cell's own work (its `ms`), median. */
function medianHandoffMs(file) {
  const start = new Map();
  const out = [];
  for (const e of events(file)) {
    if (e.type === 'cell:start' && !start.has(e.cell.id)) start.set(e.cell.id, Date.parse(e.t));
    if (e.type === 'cell:done' && start.has(e.cell.id))
      out.push(Date.parse(e.t) - start.get(e.cell.id) - e.ms);
  }
  out.sort((a, b) => a - b);
  return out[Math.floor(out.length / 2)] ?? NaN;
}

async function run(label, args) {
  const ev = join(dir, `${label}.ndjson`);
  const t0 = performance.now();
  // Asynchronous: the worker's event pipe keeps draining while the run goes.
  const { stdout: out } = await promisify(execFile)(
    process.execPath,
    [
      CLI,
      'run',
      'matrix.yaml',
      '--json',
      '--no-ccache',
      '--results',
      `res-${label}`,
      '--events',
      ev,
      ...args,
    ],
    { cwd: dir, maxBuffer: 64 << 20 },
  );
  const wall = performance.now() - t0;
  const s = JSON.parse(out);
  const statuses = s.cells.map((c) => c.status);
  if (statuses.some((x) => x !== 'pass'))
    throw new Error(`${label}: not every cell passed: ${statuses.join(' ')}`);
  return { wall, n: statuses.length, handoff: medianHandoffMs(ev) };
}

let worker;
const workerEvents = [];
try {
  const up = execFileSync('bash', ['scripts/redis-up.sh', redisDir], {
    env: { ...process.env, KMATRIX_REDIS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = /KMATRIX_REDIS_URL=(\S+)/.exec(up.toString())[1];
  worker = spawn(
    process.execPath,
    [
      CLI,
      'worker',
      '--json',
      '--redis',
      url,
      '--name',
      'bench',
      '--cpus',
      values['worker-cpus'],
      '--mem',
      '4G',
      '--no-ccache',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((ok, fail) => {
    worker.once('exit', (code) => fail(new Error(`the worker exited (${code}) before it started`)));
    let partial = '';
    worker.stdout.on('data', (b) => {
      const lines = (partial + b.toString()).split('\n');
      partial = lines.pop();
      for (const l of lines.filter(Boolean)) workerEvents.push(JSON.parse(l));
      if (workerEvents.some((e) => e.type === 'worker:start')) ok();
    });
  });
  const sides = {
    local: () =>
      run('local', ['--executor', 'local', '--config-jobs', '2', '--jobs', '1', '-j', '2']),
    queue: () => run('queue', ['--executor', 'queue', '--redis', url]),
  };
  // The tree and the Kconfig tools are cached by a first config-only cell outside the timing.
  await run('warm', ['--executor', 'local', '--filter', 'config=c0']);
  const r = {};
  for (const side of values.order.split(',')) {
    r[side] = await sides[side]();
    console.log(
      `${side}: ${r[side].n} cells (${configCells} config-only, ${builds} built), wall ${(r[side].wall / 1000).toFixed(2)}s, median hand-off ${r[side].handoff.toFixed(0)} ms/cell`,
    );
  }
  const bytes = workerEvents
    .filter((e) => e.type === 'job:done')
    .map((e) => `${e.files} files ${(e.bytes / 1024).toFixed(0)} KiB`);
  console.log(`worker: --cpus ${values['worker-cpus']}`);
  console.log(`files returned per cell (gzipped tar): ${bytes.join('; ')}`);
  const ratio = r.queue.wall / r.local.wall;
  const added = (r.queue.wall - r.local.wall) / r.queue.n;
  console.log(
    `ratio queue/local wall ${ratio.toFixed(2)} (aim <= 1.1); added latency ${added.toFixed(0)} ms/cell over the run, ${(r.queue.handoff - r.local.handoff).toFixed(0)} ms/cell median hand-off (aim < 100 ms)`,
  );
} finally {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await new Promise((ok) => worker.once('exit', ok));
  }
  execFileSync('bash', ['scripts/redis-down.sh', redisDir], { stdio: 'inherit' });
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
