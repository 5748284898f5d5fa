// Queue faults on the worker side, with real processes: a private redis-server, `kmatrix
// worker` processes as build hosts (real Docker builds), the built CLI as coordinator.
// 1. kill -9 of a worker mid-build: the cell reruns on another worker, one store row with 2
//    attempts, and the dead attempt's container is removed when that worker restarts.
// 5. A deterministic compile failure is recorded once and never retried.
// 2. SIGSTOP of a worker past its lock, then SIGCONT: its late result is rejected.
// 6. A worker too small for a cell never takes it; a big enough one does.
// Builds use a Debian 6.1 tree hard-linked with a planted error in kernel/bounds.c: make
// reaches it seconds in, so the builds that prove these points stay short.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
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
import { CLI } from '../../helpers/cli.js';
import { treePath } from '../../helpers/trees.js';
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
  dir = await workDir('workers');
  // A tree whose build fails at once, deterministically (never edit hard links in place).
  await execa('cp', ['-al', treePath('6.1'), join(dir, 'linux')]);
  const bounds = join(dir, 'linux', 'kernel', 'bounds.c');
  const text = await readFile(bounds, 'utf8');
  await rm(bounds);
  await writeFile(bounds, `${text}\nint kmatrix_planted(void) { return kmatrix_undeclared; }\n`);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.down();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function worker(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<TestWorker> {
  const w = await startWorker(dir, `${name}-${tag}`, ['--redis', redis.url, ...args], env);
  workers.push(w);
  return w;
}

async function matrix(file: string, body: string): Promise<void> {
  await writeFile(join(dir, file), body);
}

/** Cell ids by config name, as `kmatrix run --list --json` gives them. */
async function cellIds(file: string): Promise<Record<string, string>> {
  const list = await execa(process.execPath, [CLI, 'run', join(dir, file), '--list', '--json']);
  const { cells } = JSON.parse(list.stdout) as { cells: { id: string; config: string }[] };
  return Object.fromEntries(cells.map((c) => [c.config, c.id]));
}

interface Summary {
  runId: string;
  cells: { id: string; config: string; status: string; attempts?: number }[];
}

/** Options of every run here: this test's Redis, JSON summary, events file, results dir. */
function common(name: string): string[] {
  return ['--redis', redis.url, '--json', '--results', 'res', '--events', `${name}.ndjson`];
}

async function summaryOf(run: ReturnType<typeof startRun>): Promise<{ code: number; s: Summary }> {
  const r = await run;
  expect(String(r.stdout), String(r.stderr)).toMatch(/^\{/);
  return { code: r.exitCode ?? -1, s: JSON.parse(String(r.stdout)) as Summary };
}

describe('queue workers under faults', () => {
  it('kill -9 mid-build: reruns elsewhere, 2 attempts in one row, container reaped at restart; a compile failure runs once', async () => {
    await matrix(
      'kill.yaml',
      `name: q-kill
sources: [./linux]
architectures: [arm]
executor: {kind: queue, lock_timeout: 3s, attempts: 3}
configs:
  - name: killed
    base: tinyconfig
    priority: 10
    resources: {cpus: 1, mem: 1G}
  - name: fails
    base: tinyconfig
    pins: ['LOCALVERSION="-once"']
    resources: {cpus: 1, mem: 1G}
`,
    );
    const a = await worker('a', ['--cpus', '1', '--mem', '2G']);
    const b = await worker('b', ['--cpus', '1', '--mem', '2G']);
    const ids = await cellIds('kill.yaml');
    const run = startRun(dir, ['kill.yaml', ...common('kill')]);
    const killedJob = (e: { jobId?: string }) => e.jobId?.endsWith(`.${ids['killed']}`) === true;
    const victim = await waitFor(
      'a worker to take the cell to kill',
      () =>
        run.running() &&
        [a, b].find((w) => w.events().some((e) => e.type === 'job:start' && killedJob(e))),
    );
    const other = victim === a ? b : a;
    // The build has started when the attempt's container exists.
    const container = await waitFor('the build container of attempt 1', async () =>
      (await workerContainers(docker, victim.name)).find(
        (c) => c.Labels['org.kmatrix.attempt'] === '1' && c.State === 'running',
      ),
    );
    victim.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.proc;
    const rerun = await other.waitFor(
      'attempt 2 of the killed cell',
      (e) => e.type === 'job:start' && killedJob(e) && e.attempt === 2,
    );
    const rerunAfterS = (Date.now() - killedAt) / 1000;
    expect(rerun.attempt).toBe(2);
    // The dead attempt's container outlived its worker...
    const left = (await workerContainers(docker, victim.name)).map((c) => c.Id);
    expect(left).toContain(container.Id);
    // ...until that worker starts again.
    const restarted = await worker(victim === a ? 'a' : 'b', ['--cpus', '1', '--mem', '2G']);
    expect(restarted.name).toBe(victim.name);
    const reaped = restarted.events().find((e) => e.type === 'worker:reaped');
    expect(reaped?.containers).toEqual([
      expect.stringMatching(new RegExp(`job .*\\.${ids['killed']} attempt 1\\)$`)),
    ]);
    const reapedGone = (await workerContainers(docker, victim.name)).length === 0;
    expect(reapedGone).toBe(true);

    const { code, s } = await summaryOf(run);
    expect(code).toBe(1);
    const rows = storedRows(join(dir, 'res', 'kmatrix.db'));
    const killedRows = rows.filter((r) => r.cell_id === ids['killed']);
    expect(killedRows.map((r) => [r.status, r.attempts])).toEqual([['fail', 2]]);
    expect((JSON.parse(killedRows[0]!.body) as { worker: string }).worker).toBe(other.name);
    const failRows = rows.filter((r) => r.cell_id === ids['fails']);
    expect(failRows.map((r) => [r.status, r.attempts])).toEqual([['fail', 1]]);
    expect(s.cells.map((c) => `${c.config}:${c.status}`).sort()).toEqual([
      'fails:fail',
      'killed:fail',
    ]);
    // The compile failure was started once in all, on one worker, and never retried.
    const failStarts = [a, b, restarted].flatMap((w) =>
      w.events().filter((e) => e.type === 'job:start' && e.jobId?.endsWith(`.${ids['fails']}`)),
    );
    expect(failStarts).toHaveLength(1);
    const ev = await runEvents(join(dir, 'kill.ndjson'));
    expect(ev.filter((e) => e.type === 'cell:retry' && e.cell?.id === ids['fails'])).toEqual([]);
    const retries = ev.filter((e) => e.type === 'cell:retry' && e.cell?.id === ids['killed']);
    expect(retries).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/worker stopped answering/) }),
    ]);
    const requeuedAfterS = (Date.parse(retries[0]!.t!) - killedAt) / 1000;
    expect(await leftovers(redis.url, s.runId)).toEqual([]);
    expect((await workerContainers(docker, other.name)).length).toBe(0);

    figure({
      group: 'queue',
      fault: '1. kill -9 of a worker mid-build',
      expected:
        "reruns on another worker; one store row with 2 attempts; the dead attempt's container removed when that worker restarts",
      measured: `back in the queue ${requeuedAfterS.toFixed(1)}s after the kill (lock 3s), rerun on the other worker once it was free (${rerunAfterS.toFixed(1)}s); rows ${killedRows.length}, attempts ${killedRows[0]!.attempts}; container left by the dead attempt: ${left.includes(container.Id) ? 'yes' : 'no'}, removed at restart: ${reapedGone ? 'yes' : 'no'}`,
      ok: rerun.attempt === 2 && killedRows.length === 1 && reapedGone,
    });
    figure({
      group: 'queue',
      fault: '5. deterministic compile failure',
      expected: 'recorded once, never retried',
      measured: `status ${failRows[0]!.status}, attempts ${failRows[0]!.attempts}, started ${failStarts.length} time(s)`,
      ok: failRows.length === 1 && failRows[0]!.attempts === 1 && failStarts.length === 1,
    });
    await Promise.all([a, b, restarted].map((w) => w.stop()));
  });

  it('SIGSTOP past the lock, then SIGCONT: the late result is rejected, only the rerun is stored', async () => {
    await matrix(
      'stop.yaml',
      `name: q-stop
sources: [debian:6.1]
architectures: [arm]
executor: {kind: queue, lock_timeout: 3s}
configs:
  - {name: none, base: allnoconfig, pins: [PRINTK=y], build: false}
`,
    );
    // The cell's config stage must still be running when its worker is stopped: a cached base
    // (tinyconfig) can end within the moment the test takes to see the start, and then there
    // is nothing to rerun. allnoconfig is never cached, and each make first sleeps 5 s. (The
    // pin keeps its cell id apart from the next test's allnoconfig cell in the shared store.)
    const slowBin = join(dir, 'slow-make');
    await mkdir(slowBin, { recursive: true });
    await writeFile(join(slowBin, 'make'), '#!/bin/sh\nsleep 5\nexec /usr/bin/make "$@"\n', {
      mode: 0o755,
    });
    const slow = { PATH: `${slowBin}:${process.env['PATH'] ?? '/usr/bin:/bin'}` };
    const a = await worker('sa', ['--cpus', '1', '--mem', '1G'], slow);
    const b = await worker('sb', ['--cpus', '1', '--mem', '1G'], slow);
    const run = startRun(dir, ['stop.yaml', ...common('stop')]);
    const victim = await waitFor(
      'a worker to take the cell',
      () => run.running() && [a, b].find((w) => w.events().some((e) => e.type === 'job:start')),
    );
    victim.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const other = victim === a ? b : a;
    await other.waitFor('the rerun', (e) => e.type === 'job:start' && e.attempt === 2);
    const takenAfterS = (Date.now() - stoppedAt) / 1000;
    victim.kill('SIGCONT');
    const rejected = await victim.waitFor(
      'its late result to be rejected',
      (e) => e.type === 'job:rejected',
    );
    const { code, s } = await summaryOf(run);
    expect(code).toBe(0);
    expect(rejected).toMatchObject({ attempt: 1, reason: expect.stringMatching(/lock/i) });
    expect(victim.events().filter((e) => e.type === 'job:done')).toEqual([]);
    const rows = storedRows(join(dir, 'res', 'kmatrix.db')).filter(
      (r) => r.cell_id === s.cells[0]!.id,
    );
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([['pass', 2]]);
    expect((JSON.parse(rows[0]!.body) as { worker: string }).worker).toBe(other.name);
    expect(await leftovers(redis.url, s.runId)).toEqual([]);
    figure({
      group: 'queue',
      fault: '2. SIGSTOP of a worker past its lock, then SIGCONT',
      expected: "its late result is rejected; only the rerun's result is stored",
      measured: `another worker took the cell ${takenAfterS.toFixed(1)}s after SIGSTOP (lock 3s); late result: ${rejected.reason}; stored: 1 row, attempt 2, from ${rows[0] ? 'the rerun' : 'nobody'}`,
      ok: rows.length === 1 && rows[0]!.attempts === 2,
    });
    await Promise.all([a, b].map((w) => w.stop()));
  });

  it('a worker too small for a cell never takes it; a big enough one does', async () => {
    await matrix(
      'size.yaml',
      `name: q-size
sources: [debian:6.1]
architectures: [arm]
executor: {kind: queue, lock_timeout: 5s}
configs:
  - {name: small, base: tinyconfig, build: false}
  - {name: large, base: allnoconfig, build: false, resources: {cpus: 2, mem: 2G}}
`,
    );
    const ids = await cellIds('size.yaml');
    const small = await worker('small', ['--cpus', '1', '--mem', '1G']);
    const run = startRun(dir, ['size.yaml', ...common('size')]);
    const events = join(dir, 'size.ndjson');
    await waitFor(
      'the small cell',
      async () => run.running() && (await runEvents(events)).find((e) => e.type === 'cell:done'),
    );
    const note = await waitFor('the coordinator to say no worker fits', async () =>
      (await runEvents(events)).find(
        (e) => e.type === 'run:note' && /no connected worker can take/.test(e.message ?? ''),
      ),
    );
    expect(note.message).toMatch(/needing 2 CPUs, 2G \(workers: small-\w+ 1 CPU, 1G\)/);
    // Three of the small worker's polls with the large cell waiting.
    await sleep(3000);
    const largeStarts = () =>
      small.events().filter((e) => e.type === 'job:start' && e.jobId?.endsWith(`.${ids['large']}`));
    const tookLarge = largeStarts().length;
    const big = await worker('big', ['--cpus', '2', '--mem', '4G']);
    const { code, s } = await summaryOf(run);
    expect(code).toBe(0);
    expect(tookLarge).toBe(0);
    expect(s.cells.map((c) => `${c.config}:${c.status}`).sort()).toEqual([
      'large:pass',
      'small:pass',
    ]);
    const rows = storedRows(join(dir, 'res', 'kmatrix.db'));
    const largeRow = rows.find((r) => r.cell_id === ids['large'])!;
    expect((JSON.parse(largeRow.body) as { worker: string }).worker).toBe(big.name);
    expect(largeStarts()).toEqual([]);
    figure({
      group: 'queue',
      fault: '6. a worker whose capacity is too small',
      expected: 'never takes a large cell',
      measured: `1 CPU/1G worker took ${tookLarge} of 1 cell needing 2 CPUs/2G over its polls; the coordinator said so; a 2 CPU/4G worker took it`,
      ok: tookLarge === 0,
    });
    await Promise.all([small, big].map((w) => w.stop()));
  });
});
