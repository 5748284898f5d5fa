#!/usr/bin/env node
// Issue 14's benchmark: the same cells (config-only tinyconfig cells and small tinyconfig
// builds, arm) through `kmatrix run --executor local` and through the queue with one
// `kmatrix worker` on this machine (a private redis-server from scripts/redis-up.sh), side by
// side, no ccache on either side. Both sides get this machine as it is, with their defaults:
// the local executor sizes itself from the CPUs (2 CPUs: 2 config stages at once, then one
// make -j2 build), the worker offers all CPUs (2 CPUs: two one-CPU config cells at once, or
// one two-CPU build). --worker-cpus N offers another capacity (4 lets the worker run config
// cells beside a build, which the local executor never does: its config stages all finish
// before its builds start). The machine is shared, so --rounds N alternates the sides
// (local,queue then queue,local, ...) and the ratio is over the sums. Prints the wall-time
// ratio queue/local (aim <= 1.1) and the queue's added latency per cell (aim < 100 ms): the
// wall-time difference spread over the cells, and the median hand-off per cell (taken ->
// ingested, minus the cell's own work).
// Usage: npm run build && node bench/queue-overhead.mjs [--config-cells 4] [--builds 1]
//        [--worker-cpus N] [--rounds 2] [--source debian:6.1] [--order local,queue]
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const { values } = parseArgs({
  options: {
    source: { type: 'string', default: 'debian:6.1' },
    'config-cells': { type: 'string', default: '4' },
    builds: { type: 'string', default: '1' },
    order: { type: 'string', default: 'local,queue' },
    'worker-cpus': { type: 'string' },
    rounds: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
  },
});
const CLI = resolve('bin/kmatrix.js');
const configCells = Number(values['config-cells']);
const builds = Number(values.builds);
const rounds = Number(values.rounds);
const workerCpus = values['worker-cpus'] ?? String(availableParallelism());
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
  const start = events(ev).find((e) => e.type === 'run:start');
  return { wall, n: statuses.length, handoff: medianHandoffMs(ev), start };
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
      workerCpus,
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
    local: (i) => run(`local${i}`, ['--executor', 'local']),
    queue: (i) => run(`queue${i}`, ['--executor', 'queue', '--redis', url]),
  };
  // The tree and the Kconfig tools are cached by a first config-only cell outside the timing.
  await run('warm', ['--executor', 'local', '--filter', 'config=c0']);
  const r = { local: [], queue: [] };
  const first = values.order.split(',');
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 === 0 ? first : [...first].reverse()) {
      const x = await sides[side](i);
      r[side].push(x);
      const sizing =
        side === 'local'
          ? `${x.start.configJobs} config stages, ${x.start.buildJobs} x make -j${x.start.makeJobs}`
          : `worker --cpus ${workerCpus}`;
      console.log(
        `round ${i + 1} ${side} (${sizing}): ${x.n} cells (${configCells} config-only, ${builds} built), wall ${(x.wall / 1000).toFixed(2)}s, median hand-off ${x.handoff.toFixed(0)} ms/cell`,
      );
    }
  }
  const bytes = workerEvents
    .filter((e) => e.type === 'job:done')
    .slice(0, configCells + builds)
    .map((e) => `${e.files} files ${(e.bytes / 1024).toFixed(0)} KiB`);
  console.log(`files returned per cell (gzipped tar): ${bytes.join('; ')}`);
  const sum = (xs, f) => xs.reduce((a, x) => a + f(x), 0);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const wall = { local: sum(r.local, (x) => x.wall), queue: sum(r.queue, (x) => x.wall) };
  const ratio = wall.queue / wall.local;
  const added = (wall.queue - wall.local) / sum(r.queue, (x) => x.n);
  const handoff = median(r.queue.map((x) => x.handoff)) - median(r.local.map((x) => x.handoff));
  console.log(
    `ratio queue/local wall ${ratio.toFixed(2)} over ${rounds} round(s) (aim <= 1.1); added latency ${added.toFixed(0)} ms/cell over the run, ${handoff.toFixed(0)} ms/cell median hand-off (aim < 100 ms)`,
  );
} finally {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await new Promise((ok) => worker.once('exit', ok));
  }
  execFileSync('bash', ['scripts/redis-down.sh', redisDir], { stdio: 'inherit' });
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
