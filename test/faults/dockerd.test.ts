// Process fault 2: the Docker daemon is killed (-9) while a cell builds in it. Restarted,
// the cell must end that attempt as an infrastructure error (never as a compile failure),
// be retried, and the run must complete; gone for good, the run must exit 2 saying why.
// The daemon is the test's own (test/faults/private-dockerd.ts), with kmatrix/clang copied
// in (the smaller toolchain image). The retried build is cut by the cell's 60 s timeout.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '../../src/docker/client.js';
import { figure } from './figures.js';
import { PrivateDockerd } from './private-dockerd.js';
import {
  events,
  kmatrix,
  removeDir,
  sleep,
  startKmatrix,
  storedResults,
  storedRuns,
  waitFor,
  workDir,
  type RunEv,
} from './process-helpers.js';

let daemon: PrivateDockerd;
const dirs: string[] = [];

beforeAll(async () => {
  const conn = await connectDocker(process.env);
  if (conn.kind === 'unavailable')
    throw new Error(
      'the fault suite needs a Docker daemon with the toolchain images (DOCKER_HOST)',
    );
  const shared = conn.endpoint.host;
  daemon = await PrivateDockerd.create();
  await daemon.start();
  await daemon.loadImage('kmatrix/clang:latest', shared);
});
afterAll(async () => {
  await daemon?.destroy();
  for (const d of dirs) await removeDir(d);
});

const MATRIX = (retries: number) => `name: dockerd-fault
sources: [debian:6.1]
architectures: [arm]
toolchains: [clang]
runtime: docker
retries: ${retries}
timeout: 60s
configs:
  - name: tiny
    base: tinyconfig
  - name: cfg
    base: tinyconfig
    build: false
`;

/** Start a run on the private daemon and wait until its make container has been compiling a while. */
async function runUntilMaking(name: string, retries: number) {
  const dir = await workDir(name);
  dirs.push(dir);
  await writeFile(join(dir, 'matrix.yaml'), MATRIX(retries));
  const child = startKmatrix(dir, ['run', '--results', 'res', '--events', 'ev.ndjson'], {
    DOCKER_HOST: daemon.host,
  });
  const ev = join(dir, 'ev.ndjson');
  const runId = await waitFor(
    'the run to start',
    async () => (await events(ev)).find((e) => e.type === 'run:start')?.runId,
  );
  await waitFor('the make container', async () => {
    const r = await daemon.docker([
      'ps',
      '--filter',
      `label=org.kmatrix.run=${runId}`,
      '--filter',
      'label=org.kmatrix.argv0=make',
      '-q',
    ]);
    return String(r.stdout).trim() ? true : undefined;
  });
  await sleep(3000);
  return { dir, child, runId, ev };
}

async function containersOf(runId: string): Promise<string[]> {
  const r = await daemon.docker(['ps', '-a', '--filter', `label=org.kmatrix.run=${runId}`, '-q']);
  return String(r.stdout).split('\n').filter(Boolean);
}

const retriesOf = (ev: RunEv[]) => ev.filter((e) => e.type === 'cell:retry');

describe('dockerd killed during a build', () => {
  it('restarted: the attempt is an infra-error, retried on the new daemon, the run completes', async () => {
    const { dir, child, runId, ev } = await runUntilMaking('dockerd-restart', 5);
    await daemon.kill();
    await daemon.start();
    const r = await child;
    const evs = await events(ev);
    const retried = retriesOf(evs);
    const result = storedResults(join(dir, 'res', 'kmatrix.db')).find((x) => x.attempts > 1);
    const done = evs.find((e) => e.type === 'cell:done' && e.cell?.id === result?.cell_id);
    // The attempt that ran on the restarted daemon: its build.log (each attempt starts it anew).
    const log = await readFile(
      join(dir, 'res', 'runs', runId, 'cells', result?.cell_id ?? '?', 'build.log'),
      'utf8',
    );
    const compiled = log.split('\n').filter((l) => /^\s+(CC|HOSTCC|AS|LD)\s/.test(l)).length;
    const left = await containersOf(runId);
    const runs = storedRuns(join(dir, 'res', 'kmatrix.db'));

    expect(retried.length, String(r.stderr)).toBeGreaterThanOrEqual(1);
    expect(retried[0]!.reason).toMatch(/docker/i);
    expect(['pass', 'timeout']).toContain(result!.status);
    expect(result!.attempts).toBe(retried.length + 1);
    expect(compiled).toBeGreaterThan(0);
    expect(runs.map((x) => x.state)).toEqual(['completed']);
    expect(left).toEqual([]);
    const ok =
      retried.length >= 1 &&
      result!.status !== 'fail' &&
      result!.status !== 'infra-error' &&
      compiled > 0 &&
      runs[0]?.state === 'completed' &&
      left.length === 0;
    figure({
      group: 'process',
      fault: 'dockerd killed (-9) during a build, then restarted',
      expected:
        'the attempt ends infra-error (never fail), is retried, the run completes; 0 containers left',
      measured: `attempt 1: infra-error (${(retried[0]?.reason ?? '?').split('\n')[0]}); ${retried.length} retries, the last compiled ${compiled} objects on the new daemon and ended ${done?.status} (60 s cell timeout); run ${runs[0]?.state}; ${left.length} containers left`,
      ok,
    });
  });

  it('gone for good: the cell ends infra-error and the run exits 2 with the reason', async () => {
    const { dir, child, runId } = await runUntilMaking('dockerd-gone', 1);
    await daemon.kill();
    const r = await child;
    const result = storedResults(join(dir, 'res', 'kmatrix.db')).find((x) => x.attempts > 1);
    const stdout = String(r.stdout);
    const infraLine = stdout.split('\n').find((l) => l.startsWith('INFRA ERROR')) ?? '';

    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(result).toMatchObject({ status: 'infra-error', attempts: 2 });
    expect(infraLine).toContain(daemon.sock);

    // The user's recovery: start the daemon, run again. The dead daemon's container (killed
    // when the daemon restored it) is removed by the next run on the store.
    await daemon.start();
    const leftover = await containersOf(runId);
    const again = await kmatrix(dir, ['run', '--results', 'res', '--filter', 'build=false'], {
      DOCKER_HOST: daemon.host,
    });
    const afterNext = await containersOf(runId);
    expect(leftover).toHaveLength(1);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(afterNext).toEqual([]);
    const ok =
      r.exitCode === 2 &&
      result?.status === 'infra-error' &&
      infraLine.includes(daemon.sock) &&
      leftover.length === 1 &&
      afterNext.length === 0;
    figure({
      group: 'process',
      fault: 'dockerd killed (-9) during a build, never restarted',
      expected:
        'the cell ends infra-error after its retries; exit 2 naming the daemon; its container removed by the next run',
      measured: `exit ${r.exitCode}; cell ${result?.status} after ${result?.attempts} attempts; "${infraLine.replace(/^INFRA ERROR\s+/, '')}"; daemon restarted: ${leftover.length} container left, ${afterNext.length} after the next run`,
      ok,
    });
  });
});
