// Process fault 1: `kill -9` of `kmatrix run` while a cell is building (docker and local
// runtimes), then `kmatrix run --resume`. Finished cells must be neither lost nor run again,
// and what the killed run left running (its build container, its make processes) must be
// found and removed. The resumed build is cut by a short --timeout: a whole tinyconfig build
// proves nothing more here and costs minutes. Also `kill -9` of a plain `kmatrix build`: there
// is no --resume, so the next docker command on the host removes the container it left.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '../../src/docker/client.js';
import { processesOwnedBy } from '../../src/process/owner.js';
import { containerName, MANAGED_LABEL, OWNER_PID_LABEL } from '../../src/runtime/docker.js';
import { figure } from './figures.js';
import {
  descendants,
  events,
  kmatrix,
  removeDir,
  runContainers,
  sleep,
  startKmatrix,
  stillRunning,
  storedResults,
  storedRuns,
  waitFor,
  workDir,
} from './process-helpers.js';

type Docker = import('dockerode');
let docker: Docker;
const dirs: string[] = [];

beforeAll(async () => {
  const conn = await connectDocker(process.env);
  if (conn.kind === 'unavailable') throw new Error('the fault suite needs DOCKER_HOST');
  docker = conn.docker;
});
afterAll(async () => {
  for (const d of dirs) await removeDir(d);
});

/** Three config-only cells (they finish first) and one tinyconfig arm build. */
function matrix(name: string, runtime: string): string {
  return `name: ${name}
sources: [debian:6.1]
architectures: [arm, arm64, x86_64]
runtime: ${runtime}
configs:
  - name: tiny
    base: tinyconfig
    build: false
  - name: tiny-build
    base: tinyconfig
exclude:
  - config: tiny-build
    arch: [arm64, x86_64]
`;
}

async function killDuringBuild(runtime: 'docker' | 'local') {
  const dir = await workDir(`kill-${runtime}`);
  dirs.push(dir);
  await writeFile(join(dir, 'matrix.yaml'), matrix(`kill-${runtime}`, runtime));
  const db = join(dir, 'res', 'kmatrix.db');
  const child = startKmatrix(dir, ['run', '--results', 'res', '--events', 'ev1.ndjson']);
  const ev1 = join(dir, 'ev1.ndjson');
  const buildCell = await waitFor('the build to start', async () => {
    const e = (await events(ev1)).find((x) => x.type === 'cell:start' && x.stage === 'build');
    return e?.cell?.id;
  });
  const runId = (await events(ev1)).find((e) => e.type === 'run:start')!.runId!;
  // Let make get going: its container is up (docker), its compilers are running (local).
  if (runtime === 'docker')
    await waitFor('the make container', async () => {
      const cs = await runContainers(docker, runId);
      return cs.some((c) => c.Labels['org.kmatrix.argv0'] === 'make' && c.State === 'running')
        ? true
        : undefined;
    });
  else
    await waitFor('make', async () =>
      (await descendants(child.pid!)).some((p) => p.comm === 'make') ? true : undefined,
    );
  await sleep(3000);
  const tree = (await descendants(child.pid!)).map((p) => p.pid);
  // Local runtime: make and its compilers are stopped in the instant of the kill. Left
  // running, make dies of SIGPIPE at its next line of output and each compiler ends with its
  // file, often before --resume starts; stopped, they stand for a long compile or link that
  // is still running then (SIGKILL ends a stopped process).
  if (runtime === 'local')
    for (const pid of tree)
      try {
        process.kill(pid, 'SIGSTOP');
      } catch {
        // ended just now
      }
  child.kill('SIGKILL');
  await child;

  const finished = storedResults(db);
  const leftContainers = await runContainers(docker, runId);
  const orphans = await stillRunning(tree);
  const marked = await processesOwnedBy(child.pid!);

  const r = await kmatrix(dir, [
    'run',
    '--resume',
    '--results',
    'res',
    '--events',
    'ev2.ndjson',
    '--timeout',
    '20s',
    '--json',
  ]);
  const ev2 = await events(join(dir, 'ev2.ndjson'));
  const after = new Map(storedResults(db).map((x) => [x.cell_id, x]));
  const skipped = ev2.filter((e) => e.type === 'cell:skip').map((e) => e.cell!.id);
  const started = [...new Set(ev2.filter((e) => e.type === 'cell:start').map((e) => e.cell!.id))];
  const lost = finished.filter((f) => after.get(f.cell_id)?.finished_at !== f.finished_at);
  const rerun = started.filter((id) => finished.some((f) => f.cell_id === id));
  const containersAfter = await runContainers(docker, runId);
  const orphansAfter = [
    ...new Set([...(await stillRunning(tree)), ...(await processesOwnedBy(child.pid!))]),
  ];
  const reapNote = ev2.find(
    (e) => e.type === 'run:note' && /was killed|left by run/.test(e.message ?? ''),
  );
  return {
    r,
    runId,
    buildCell,
    finished,
    leftContainers,
    orphans,
    marked,
    skipped,
    started,
    lost,
    rerun,
    after,
    containersAfter,
    orphansAfter,
    reapNote,
    runs: storedRuns(db),
  };
}

describe('kill -9 of kmatrix run mid-build, then --resume', () => {
  it('docker: finished cells kept, the killed run container found and removed', async () => {
    const m = await killDuringBuild('docker');
    // Recorded first: a miss shows in the table as FAILED, with what was measured.
    const ok =
      m.lost.length === 0 &&
      m.rerun.length === 0 &&
      m.leftContainers.length === 1 &&
      m.containersAfter.length === 0 &&
      m.after.size === 4;
    figure({
      group: 'process',
      fault: 'kill -9 of `kmatrix run` during a docker build, then `--resume`',
      expected: '0 finished cells lost or re-run; the killed run container removed',
      measured: `${m.finished.length} finished cells: ${m.lost.length} lost, ${m.rerun.length} re-run; container ${containerName({ runId: m.runId, cellId: m.buildCell })} left by the kill, ${m.containersAfter.length} after --resume; run ${m.runs[0]?.state}`,
      ok,
    });
    // The fault is real: three cells had finished and the build container outlived kmatrix.
    expect(m.finished.map((f) => f.status)).toEqual(['pass', 'pass', 'pass']);
    expect(m.leftContainers.map((c) => c.Names[0])).toEqual([
      `/${containerName({ runId: m.runId, cellId: m.buildCell })}`,
    ]);
    expect(m.leftContainers[0]!.Labels).toMatchObject({
      'org.kmatrix.run': m.runId,
      'org.kmatrix.cell': m.buildCell,
    });
    expect(m.reapNote?.message, m.r.stderr).toBe(
      `removed 1 container(s) left by run ${m.runId}: ${containerName({ runId: m.runId, cellId: m.buildCell })}`,
    );
    expect(m.skipped.sort()).toEqual(m.finished.map((f) => f.cell_id).sort());
    expect(m.started).toEqual([m.buildCell]);
    expect(m.lost).toEqual([]);
    expect(m.rerun).toEqual([]);
    expect(m.after.size).toBe(4);
    expect(m.runs).toEqual([{ id: m.runId, state: 'completed', pid: null }]);
    expect(m.containersAfter).toEqual([]);
  });

  it('local: finished cells kept, the killed run make processes found and ended', async () => {
    const m = await killDuringBuild('local');
    // Recorded first: a miss shows in the table as FAILED, with what was measured.
    const ok =
      m.lost.length === 0 &&
      m.rerun.length === 0 &&
      m.orphans.length > 0 &&
      /ended \d+ of its processes/.test(m.reapNote?.message ?? '') &&
      m.orphansAfter.length === 0 &&
      m.after.size === 4;
    figure({
      group: 'process',
      fault: 'kill -9 of `kmatrix run` during a local build, then `--resume`',
      expected: '0 finished cells lost or re-run; the killed run build processes ended',
      measured: `${m.finished.length} finished cells: ${m.lost.length} lost, ${m.rerun.length} re-run; ${m.orphans.length} build processes left by the kill, ${/ended (\d+)/.exec(m.reapNote?.message ?? '')?.[1] ?? 'none'} ended by --resume, ${m.orphansAfter.length} left after it; run ${m.runs[0]?.state}`,
      ok,
    });
    expect(m.finished.map((f) => f.status)).toEqual(['pass', 'pass', 'pass']);
    // make and its compilers outlived kmatrix, each marked with the dead kmatrix's pid.
    expect(m.orphans.length).toBeGreaterThan(0);
    expect(m.marked.sort()).toEqual(expect.arrayContaining(m.orphans.sort()));
    expect(m.reapNote?.message, m.r.stderr).toMatch(/ended \d+ of its processes/);
    expect(m.skipped.sort()).toEqual(m.finished.map((f) => f.cell_id).sort());
    expect(m.started).toEqual([m.buildCell]);
    expect(m.lost).toEqual([]);
    expect(m.rerun).toEqual([]);
    expect(m.after.size).toBe(4);
    expect(m.runs).toEqual([{ id: m.runId, state: 'completed', pid: null }]);
    expect(m.orphansAfter).toEqual([]);
  });
});

describe('kill -9 of kmatrix build mid-build (no --resume for it)', () => {
  it('the next docker command on this host removes the container the killed build left', async () => {
    const dir = await workDir('kill-build');
    dirs.push(dir);
    const build = (out: string, extra: string[] = []) => [
      'build',
      '--source',
      'debian:6.1',
      '--arch',
      'arm',
      '--base',
      'tinyconfig',
      '--runtime',
      'docker',
      '--no-ccache',
      '--out',
      out,
      ...extra,
    ];
    const child = startKmatrix(dir, build('first'));
    const pid = child.pid!;
    const mine = async () =>
      docker.listContainers({
        all: true,
        filters: { label: [MANAGED_LABEL, `${OWNER_PID_LABEL}=${pid}`] },
      });
    const [container] = await waitFor('the make container', async () => {
      const cs = await mine();
      return cs.some((c) => c.State === 'running') ? cs : undefined;
    });
    child.kill('SIGKILL');
    await child;
    await sleep(1000);
    const left = await mine();
    // The next docker command: a build of its own, cut short (its build proves nothing here).
    const r = await kmatrix(dir, build('second', ['--timeout', '5s']));
    const after = await mine();
    const name = (container!.Names[0] ?? '').replace(/^\//, '');
    const note = /removed (\d+) container\(s\) left by killed kmatrix processes: (.*)/.exec(
      r.stderr,
    );
    figure({
      group: 'process',
      fault: 'kill -9 of `kmatrix build` during a docker build (a command with no --resume)',
      expected: 'the next docker command on the host removes the container it left, and says so',
      measured: `${left.length} container left by the kill (${left[0]?.State ?? 'none'}); the next \`kmatrix build\` ${note ? `removed ${note[1]} (${note[2]})` : 'removed none'}; ${after.length} left after it`,
      ok: left.length === 1 && after.length === 0 && note?.[2] === name,
    });
    // The fault is real: make went on in its container after kmatrix died.
    expect(left.map((c) => c.Id)).toEqual([container!.Id]);
    expect(note?.[2], r.stderr).toBe(name);
    expect(after).toEqual([]);
  });
});
