// Queue faults around the coordinator and Redis, with real processes (redis-server from
// scripts/redis-up.sh, `kmatrix worker`, the built CLI as coordinator):
// 3. kill -9 of Redis mid-run, then a restart from its append-only file: the run completes,
//    no cell lost or duplicated.
// 4. kill -9 of the coordinator, then `kmatrix run --resume`: cells the workers finished
//    meanwhile are ingested once, nothing runs twice.
// 7. Ctrl-C on the coordinator mid-build: no container left on any worker within 10 s.
// Config-only cells where a build proves nothing more; one tinyconfig build for Ctrl-C.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  leftovers,
  runEvents,
  sleep,
  startRedis,
  startRun,
  startWorker,
  storedRows,
  waitFor,
  workDir,
  workerContainers,
  type TestRedis,
  type TestWorker,
} from '../../helpers/queue.js';
import { requireDaemon } from '../../slow/runtime/docker-helpers.js';
import { figure } from '../figures.js';

let docker: Docker;
let redis: TestRedis;
let dir: string;
const workers: TestWorker[] = [];
const tag = Math.random().toString(16).slice(2, 8);

beforeAll(async () => {
  ({ docker } = await requireDaemon());
  redis = await startRedis();
  dir = await workDir('coordinator');
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.down();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function worker(name: string, args: string[]): Promise<TestWorker> {
  const w = await startWorker(dir, `${name}-${tag}`, ['--redis', redis.url, ...args]);
  workers.push(w);
  return w;
}

/** Four config-only cells (tinyconfig arm, four LOCALVERSIONs): seconds each. */
async function fourCells(file: string, name: string, lock: string): Promise<void> {
  await writeFile(
    join(dir, file),
    `name: ${name}
sources: [debian:6.1]
architectures: [arm]
executor: {kind: queue, lock_timeout: ${lock}}
configs:
${['a', 'b', 'c', 'd']
  .map((v) => `  - {name: ${v}, base: tinyconfig, build: false, pins: ['LOCALVERSION="-${v}"']}`)
  .join('\n')}
`,
  );
}

function common(name: string, results = 'res'): string[] {
  return ['--redis', redis.url, '--json', '--results', results, '--events', `${name}.ndjson`];
}

interface Summary {
  runId: string;
  cells: { id: string; status: string }[];
}

describe('queue coordinator and Redis under faults', () => {
  it('kill -9 of Redis mid-run, restarted from its AOF: the run completes, nothing lost or duplicated', async () => {
    await fourCells('redis.yaml', 'q-redis', '10s');
    const w = await worker('r', ['--cpus', '1', '--mem', '1G']);
    const run = startRun(dir, ['redis.yaml', ...common('redis', 'res-redis')]);
    const events = join(dir, 'redis.ndjson');
    await waitFor(
      'the first cell',
      async () => run.running() && (await runEvents(events)).find((e) => e.type === 'cell:done'),
    );
    await redis.kill9();
    const killedAt = Date.now();
    await sleep(1000);
    await redis.up();
    const outageS = (Date.now() - killedAt) / 1000;
    const r = await run;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const s = JSON.parse(String(r.stdout)) as Summary;
    expect(s.cells.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
    const rows = storedRows(join(dir, 'res-redis', 'kmatrix.db'));
    expect(rows.map((x) => x.cell_id).sort()).toEqual(s.cells.map((c) => c.id).sort());
    const done = (await runEvents(events)).filter((e) => e.type === 'cell:done');
    expect(new Set(done.map((e) => e.cell?.id)).size).toBe(done.length);
    expect(done).toHaveLength(4);
    expect(w.proc.exitCode).toBeNull();
    expect(await leftovers(redis.url, s.runId)).toEqual([]);
    const starts = w.events().filter((e) => e.type === 'job:start').length;
    figure({
      group: 'queue',
      fault: '3. kill -9 of Redis mid-run, restarted',
      expected: 'the run completes; no cell lost or duplicated',
      measured: `Redis down ${outageS.toFixed(1)}s (AOF, appendfsync always); run exit ${r.exitCode}; ${rows.length}/4 cells stored, ${done.length} cell:done events for ${new Set(done.map((e) => e.cell?.id)).size} cells; ${starts} job start(s) on the worker`,
      ok: rows.length === 4 && done.length === 4,
    });
    await w.stop();
  });

  it('kill -9 of the coordinator, then run --resume: finished cells ingested once, nothing twice', async () => {
    await fourCells('resume.yaml', 'q-resume', '10s');
    const w = await worker('c', ['--cpus', '1', '--mem', '1G']);
    const run = startRun(dir, ['resume.yaml', ...common('resume1', 'res-resume')]);
    await waitFor(
      'the first cell',
      async () =>
        run.running() &&
        (await runEvents(join(dir, 'resume1.ndjson'))).find((e) => e.type === 'cell:done'),
    );
    run.kill('SIGKILL');
    await run;
    const before = storedRows(join(dir, 'res-resume', 'kmatrix.db'));
    // The worker goes on with the queued cells while no coordinator listens.
    await waitFor('the worker to finish all four cells', () =>
      w.events().filter((e) => e.type === 'job:done').length === 4 ? true : undefined,
    );
    const resumed = startRun(dir, ['resume.yaml', '--resume', ...common('resume2', 'res-resume')]);
    const r = await resumed;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const s = JSON.parse(String(r.stdout)) as Summary;
    expect(s.cells.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
    const rows = storedRows(join(dir, 'res-resume', 'kmatrix.db'));
    expect(rows).toHaveLength(4);
    expect(rows.every((x) => x.attempts === 1)).toBe(true);
    const ev = await runEvents(join(dir, 'resume2.ndjson'));
    const skipped = ev.filter((e) => e.type === 'cell:skip').length;
    const ingested = ev.filter((e) => e.type === 'cell:done').length;
    expect(skipped).toBe(before.length);
    expect(ingested).toBe(4 - before.length);
    const starts = w.events().filter((e) => e.type === 'job:start').length;
    expect(starts).toBe(4);
    expect(await leftovers(redis.url, s.runId)).toEqual([]);
    figure({
      group: 'queue',
      fault: '4. kill -9 of the coordinator, then run --resume',
      expected: 'finished cells are ingested once, the rest run, nothing twice',
      measured: `${before.length} stored before the kill; the worker finished the other ${4 - before.length} meanwhile; resume: ${skipped} skipped, ${ingested} ingested, 0 run again; ${starts} job starts for 4 cells; rows ${rows.length}`,
      ok: rows.length === 4 && starts === 4 && ingested === 4 - before.length,
    });
    await w.stop();
  });

  it('Ctrl-C on the coordinator mid-build: no container left on the worker within 10 s', async () => {
    await writeFile(
      join(dir, 'cancel.yaml'),
      `name: q-cancel
sources: [debian:6.1]
architectures: [arm]
executor: {kind: queue, lock_timeout: 10s}
configs:
  - {name: tiny, base: tinyconfig}
`,
    );
    const w = await worker('x', ['--cpus', '2', '--mem', '4G']);
    const run = startRun(dir, ['cancel.yaml', ...common('cancel', 'res-cancel')]);
    await waitFor(
      'the build container',
      async () =>
        run.running() &&
        (await workerContainers(docker, w.name)).find((c) => c.State === 'running'),
    );
    run.kill('SIGINT');
    const at = Date.now();
    let goneS = Infinity;
    while (Date.now() - at < 10_000) {
      if ((await workerContainers(docker, w.name)).length === 0) {
        goneS = (Date.now() - at) / 1000;
        break;
      }
      await sleep(100);
    }
    const r = await run;
    expect(goneS).toBeLessThanOrEqual(10);
    expect(r.exitCode).toBe(2);
    const s = JSON.parse(String(r.stdout)) as Summary;
    expect(s.cells.map((c) => c.status)).toEqual(['cancelled']);
    expect(String(r.stderr)).toMatch(/asked the workers to stop 1 running/);
    await w.waitFor('the cancelled cell', (e) => e.type === 'job:done' && e.status === 'cancelled');
    // Only the run's cancel mark is left (it expires): no job, no files.
    expect(await leftovers(redis.url, s.runId)).toEqual([`kmatrix:cancelled:${s.runId}`]);
    figure({
      group: 'queue',
      fault: '7. Ctrl-C on the coordinator mid-build',
      expected: 'queued jobs removed, running ones aborted: no container left within 10 s',
      measured: `the worker's build container gone ${goneS.toFixed(1)}s after SIGINT; run exit ${r.exitCode}, cell cancelled (--resume runs it again)`,
      ok: goneS <= 10,
    });
    await w.stop();
  });
});
