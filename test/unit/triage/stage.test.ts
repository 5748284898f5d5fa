// The triage stage with the cell work and the triage work faked: it starts only when every
// cell is recorded, stores each failure's record for all cells that share it, skips what is
// over the budget, and a stop leaves the run completed and its triage incomplete, which
// `kmatrix triage RUN_ID` (triageStoredRun) continues without redoing finished failures.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/results/events.js';
import { emptySearch, type TriageRecord } from '../../../src/results/triage.js';
import { runMatrix, type RunMatrixOptions } from '../../../src/run/run-matrix.js';
import { triageStoredRun } from '../../../src/run/triage-run.js';
import { ResultStore } from '../../../src/store/store.js';
import type { FailureGroup } from '../../../src/triage/plan.js';
import { runTriageStage, type TriageWork } from '../../../src/triage/stage.js';
import type { Cell } from '../../../src/matrix/cell.js';
import type { CellResult } from '../../../src/results/result.js';
import type { RunFacts } from '../../../src/triage/failure.js';
import { whyOfBroken } from '../../../src/triage/why.js';
import { diag } from '../../helpers/results.js';
import { fakeWork, type FakeCellScript } from '../schedule/fake-work.js';

let dir: string;
const MATRIX = `name: stage
sources: [./linux]
architectures: [arm64, s390, x86_64]
configs:
  - name: tiny
    base: tinyconfig
  - name: def
    base: defconfig
    build: false
triage:
  max_failures: 2
`;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kmatrix-triage-stage-'));
  await mkdir(join(dir, 'linux')); // a path source must exist; the cell work is faked
  await writeFile(join(dir, 'matrix.yaml'), MATRIX);
});

afterEach(() => rm(dir, { recursive: true, force: true }));

function opts(events: RunEvent[], signal = new AbortController().signal): RunMatrixOptions {
  return {
    matrixPath: 'matrix.yaml',
    cwd: dir,
    env: {},
    resultsDir: join(dir, 'results'),
    storePath: join(dir, 'results', 'kmatrix.db'),
    cacheDir: join(dir, 'cache'),
    filters: [],
    resume: false,
    ccache: false,
    signal,
    emit: (e) => events.push(e),
  };
}

const machine = { cores: 2, memoryBytes: 8 * 2 ** 30 };

async function ids(): Promise<Record<string, string>> {
  const { loadMatrix } = await import('../../../src/matrix/load.js');
  const m = await loadMatrix('matrix.yaml', dir);
  return Object.fromEntries(m.cells.map((c) => [`${c.arch}/${c.config}`, c.id]));
}

/** tiny fails with error A on arm64 and s390 (one failure), with B on x86_64; def passes. */
async function scripts(): Promise<Record<string, FakeCellScript>> {
  const id = await ids();
  const fail = (fp: string): FakeCellScript => ({
    build: [{ status: 'fail', diagnostics: [diag('error', fp)] }],
  });
  return {
    [id['arm64/tiny']!]: fail('A'),
    [id['s390/tiny']!]: fail('A'),
    [id['x86_64/tiny']!]: fail('B'),
  };
}

function record(g: FailureGroup): TriageRecord {
  return {
    status: 'done',
    reason: null,
    culprit: { commit: `c-${g.cell.id}`, subject: 's', author: 'a', date: 'd' },
    verification: 'confirmed',
    minimalConfig: null,
    report: `reports/${g.n}.txt`,
    suspect: null,
    fingerprints: g.fingerprints,
    cell: g.cell.id,
    sharedWith: g.members.slice(1).map((c) => c.id),
    search: emptySearch(null),
    verify: [],
    minimization: null,
    durationMs: 1,
    finishedAt: 'now',
  };
}

/** A triage work that records what it was asked, and can be told to stop a run mid-way. */
function fakeTriage(
  o: { onTriage?: (g: FailureGroup, signal: AbortSignal) => Promise<void> } = {},
) {
  const triaged: string[] = [];
  const storeSeen: number[] = [];
  const work: TriageWork = {
    why: (cells, results) => whyOfBroken(cells, results, undefined),
    async triage(g, run, ctx) {
      triaged.push(g.cell.id);
      storeSeen.push(run.results.size);
      ctx.note('working');
      await o.onTriage?.(g, ctx.signal);
      if (ctx.signal.aborted)
        return { ...record(g), status: 'incomplete', culprit: null, reason: 'stopped' };
      return record(g);
    },
  };
  return { work, triaged, storeSeen };
}

describe('the triage stage of kmatrix run', () => {
  it('triages each distinct new failure once, after every cell is recorded, within the budget', async () => {
    const id = await ids();
    const events: RunEvent[] = [];
    const t = fakeTriage();
    const { work } = fakeWork(await scripts());
    const s = await runMatrix(opts(events), { work, triage: t.work, machine });
    expect(s.exitCode).toBe(1);
    expect(t.triaged).toEqual([id['arm64/tiny'], id['x86_64/tiny']]);
    // every one of the 6 cells was in the results when triage started
    expect(t.storeSeen).toEqual([6, 6]);
    const types = events.map((e) => e.type);
    expect(types.indexOf('triage:start')).toBeGreaterThan(types.lastIndexOf('cell:done'));
    expect(events.find((e) => e.type === 'triage:start')).toMatchObject({
      failures: 3,
      distinct: 2,
      todo: 2,
    });

    const by = new Map(s.cells.map((c) => [c.id, c]));
    // shared: s390 has the same failure as arm64
    expect(by.get(id['s390/tiny']!)?.triage).toMatchObject({
      status: 'done',
      culprit: { commit: `c-${id['arm64/tiny']}` },
      cell: id['arm64/tiny'],
      sharedWith: [id['s390/tiny']],
    });
    expect(by.get(id['x86_64/tiny']!)?.triage).toMatchObject({ status: 'done' });
    expect(by.get(id['arm64/def']!)?.triage).toBeNull();
    expect(by.get(id['arm64/tiny']!)?.why?.errors.map((d) => d.fingerprint)).toEqual(['A']);
    expect(s.triage).toMatchObject({ state: 'done', counts: { done: 3 } });
    const json = JSON.parse(await readFile(join(s.runDir, 'results.json'), 'utf8'));
    expect(json.cells.find((c: { id: string }) => c.id === id['x86_64/tiny']).triage.report).toBe(
      'reports/2.txt',
    );
  });

  it('skips failures over max_failures, saying how to triage them', async () => {
    await writeFile(join(dir, 'matrix.yaml'), MATRIX.replace('max_failures: 2', 'max_failures: 1'));
    const id = await ids();
    const t = fakeTriage();
    const s = await runMatrix(opts([]), {
      work: fakeWork(await scripts()).work,
      triage: t.work,
      machine,
    });
    expect(t.triaged).toHaveLength(1);
    expect(s.cells.find((c) => c.id === id['x86_64/tiny'])?.triage).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/triage.max_failures is 1 .*--cell/),
    });
  });

  it('triage.timeout stops the stage: the failure it was on and those after it are incomplete', async () => {
    await writeFile(join(dir, 'matrix.yaml'), MATRIX.replace('max_failures: 2', 'timeout: 1s'));
    const id = await ids();
    // The first failure works until the budget runs out (the signal it is given aborts).
    const t = fakeTriage({
      onTriage: (_g, signal) =>
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())),
    });
    const s = await runMatrix(opts([]), {
      work: fakeWork(await scripts()).work,
      triage: t.work,
      machine,
    });
    expect(t.triaged).toEqual([id['arm64/tiny']]);
    // The budget is the matrix's own setting, not an interruption: the run's exit code stays 1.
    expect(s.exitCode).toBe(1);
    expect(s.triage.state).toBe('incomplete');
    expect(s.cells.find((c) => c.id === id['x86_64/tiny'])?.triage).toMatchObject({
      status: 'incomplete',
      reason: expect.stringMatching(
        new RegExp(`triage.timeout, 1s\\) ran out before this failure; kmatrix triage ${s.runId}`),
      ),
    });
    const store = new ResultStore(join(dir, 'results', 'kmatrix.db'));
    expect(store.getRun(s.runId)?.state).toBe('completed');
    store.close();
  });

  it('--no-triage records the why but runs no triage', async () => {
    const t = fakeTriage();
    const s = await runMatrix(
      { ...opts([]), triage: false },
      { work: fakeWork(await scripts()).work, triage: t.work, machine },
    );
    expect(t.triaged).toEqual([]);
    expect(s.triage).toMatchObject({ state: 'not-run', reason: '--no-triage' });
    expect(s.cells.filter((c) => c.why)).toHaveLength(3);
    expect(s.exitCode).toBe(1);
  });

  it('a stop during triage leaves the run completed and the triage incomplete; kmatrix triage continues it', async () => {
    const id = await ids();
    const abort = new AbortController();
    const t = fakeTriage({
      onTriage: async () => {
        abort.abort('SIGINT');
        await Promise.resolve();
      },
    });
    const s = await runMatrix(opts([], abort.signal), {
      work: fakeWork(await scripts()).work,
      triage: t.work,
      machine,
    });
    expect(s.exitCode).toBe(2);
    expect(s.triage.state).toBe('incomplete');
    const store = new ResultStore(join(dir, 'results', 'kmatrix.db'));
    expect(store.getRun(s.runId)?.state).toBe('completed');
    expect(store.triageRunOf(s.runId)?.state).toBe('incomplete');
    const stored = store.triageOf(s.runId);
    store.close();
    expect(stored.get(id['arm64/tiny']!)?.status).toBe('incomplete');
    expect(stored.get(id['x86_64/tiny']!)).toMatchObject({
      status: 'incomplete',
      reason: expect.stringMatching(/stopped before this failure; kmatrix triage .* continues it/),
    });

    const again = fakeTriage();
    const out = await triageStoredRun(
      {
        storePath: join(dir, 'results', 'kmatrix.db'),
        runId: s.runId,
        cells: [],
        cwd: dir,
        env: {},
        cacheDir: join(dir, 'cache'),
        ccache: false,
        signal: new AbortController().signal,
        emit: () => {},
      },
      { work: again.work },
    );
    expect(out.triageComplete).toBe(true);
    expect(again.triaged).toEqual([id['arm64/tiny'], id['x86_64/tiny']]);
    expect(out.summary.triage.state).toBe('done');

    // Done records are kept; --cell triages one again.
    const third = fakeTriage();
    await triageStoredRun(
      {
        storePath: join(dir, 'results', 'kmatrix.db'),
        runId: s.runId,
        cells: [id['s390/tiny']!.slice(0, 6)],
        cwd: dir,
        env: {},
        cacheDir: join(dir, 'cache'),
        ccache: false,
        signal: new AbortController().signal,
        emit: () => {},
      },
      { work: third.work },
    );
    expect(third.triaged).toEqual([id['arm64/tiny']]);
  });

  it('kmatrix triage names what --cell accepts when it is given something else', async () => {
    const s = await runMatrix(opts([]), {
      work: fakeWork(await scripts()).work,
      triage: fakeTriage().work,
      machine,
    });
    const id = await ids();
    await expect(
      triageStoredRun(
        {
          storePath: join(dir, 'results', 'kmatrix.db'),
          runId: s.runId,
          cells: [id['arm64/def']!],
          cwd: dir,
          env: {},
          cacheDir: join(dir, 'cache'),
          ccache: false,
          signal: new AbortController().signal,
          emit: () => {},
        },
        { work: fakeTriage().work },
      ),
    ).rejects.toThrow(
      new RegExp(`--cell "${id['arm64/def']}": not a new failure of run ${s.runId}; accepted: `),
    );
  });

  it('a triage whose process died is continued; one whose process is alive is not started twice', async () => {
    const id = await ids();
    const s = await runMatrix(
      { ...opts([]), triage: false },
      { work: fakeWork(await scripts()).work, triage: fakeTriage().work, machine },
    );
    const storePath = join(dir, 'results', 'kmatrix.db');
    const again = (t: ReturnType<typeof fakeTriage>) =>
      triageStoredRun(
        {
          storePath,
          runId: s.runId,
          cells: [],
          cwd: dir,
          env: {},
          cacheDir: join(dir, 'cache'),
          ccache: false,
          signal: new AbortController().signal,
          emit: () => {},
        },
        { work: t.work },
      );
    // Another kmatrix triage of this run is running: its pid (our parent's) is alive.
    const store = new ResultStore(storePath);
    store.startTriage(s.runId, {}, process.ppid);
    await expect(again(fakeTriage())).rejects.toThrow(
      `run ${s.runId} is being triaged right now (pid ${process.ppid})`,
    );
    // It crashed: the pid is gone, the state still says running.
    const gone = execa('true');
    await gone;
    store.startTriage(s.runId, {}, gone.pid!);
    store.close();
    const t = fakeTriage();
    const r = await again(t);
    expect(t.triaged).toEqual([id['arm64/tiny'], id['x86_64/tiny']]);
    expect(r.triageComplete).toBe(true);
    expect(r.summary.triage.state).toBe('done');
  });

  it('kmatrix triage refuses a results dir without a store instead of creating one', async () => {
    const store = join(dir, 'typo', 'kmatrix.db');
    await expect(
      triageStoredRun(
        {
          storePath: store,
          cells: [],
          cwd: dir,
          env: {},
          cacheDir: join(dir, 'cache'),
          ccache: false,
          signal: new AbortController().signal,
          emit: () => {},
        },
        { work: fakeTriage().work },
      ),
    ).rejects.toThrow(`no results store at ${store}; give the --results DIR`);
    expect((await readdir(dir)).sort()).toEqual(['linux', 'matrix.yaml']);
  });
});

describe('runTriageStage lanes', () => {
  const cell = (id: string, build: boolean) =>
    ({ id, build, source: 'git:x@m', arch: 'arm64', variant: id, toolchain: 'gcc' }) as Cell;
  const group = (c: Cell, n: number, fp: string): FailureGroup => ({
    key: fp,
    n,
    cell: c,
    result: { status: 'fail' } as CellResult,
    members: [c],
    fingerprints: [fp],
  });
  const run = {
    runId: 'r',
    settings: { enabled: true, maxFailures: 10, timeoutMs: 60_000, verify: true, goodConfig: null },
  } as unknown as RunFacts;

  it("runs a config-only cell's failure beside the build failures, each lane in order", async () => {
    const [b1, b2, pin] = [cell('b1', true), cell('b2', true), cell('pin', false)];
    const order: string[] = [];
    let pinStarted!: () => void;
    const pinRunning = new Promise<void>((r) => (pinStarted = r));
    const work: TriageWork = {
      why: () => Promise.resolve(new Map()),
      async triage(g) {
        order.push(`start ${g.cell.id}`);
        if (g.cell.id === 'pin') pinStarted();
        // The first build failure finishes only once the pin's triage has started beside it.
        if (g.cell.id === 'b1') await pinRunning;
        order.push(`end ${g.cell.id}`);
        return record(g);
      },
    };
    const recorded: string[] = [];
    const out = await runTriageStage({
      run,
      groups: [group(b1, 1, 'A'), group(b2, 2, 'B'), group(pin, 3, 'pin:KEXEC:overridden')],
      existing: new Map(),
      signal: new AbortController().signal,
      emit: () => {},
      record: (ids, rec) => recorded.push(`${ids.join(',')}:${rec.status}`),
      work,
    });
    expect(out.complete).toBe(true);
    expect(order.indexOf('start pin')).toBeLessThan(order.indexOf('end b1'));
    expect(order.indexOf('end b1')).toBeLessThan(order.indexOf('start b2'));
    expect([...out.records.values()].map((r) => r.status)).toEqual(['done', 'done', 'done']);
  });
});
