// The store and run history end to end with a fake CellWork: each cell recorded as it
// finishes, comparison with the previous completed run by fingerprint (new failure, fixed,
// still failing, new warning), exit codes, and --resume after an interrupted run.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KmatrixError } from '../../../src/core/errors.js';
import type { RunEvent } from '../../../src/results/events.js';
import { runMatrix, type RunMatrixOptions } from '../../../src/run/run-matrix.js';
import type { BuildStage } from '../../../src/schedule/cell-work.js';
import { ResultStore } from '../../../src/store/store.js';
import type { CellResult } from '../../../src/results/result.js';
import type { Executor } from '../../../src/run/executor.js';
import { cellResult, diag } from '../../helpers/results.js';
import { FakeClock, fakeWork, type FakeCellScript } from '../schedule/fake-work.js';

let dir: string;
const MATRIX = `name: hist
sources: [./linux]
architectures: [arm64, s390]
configs:
  - name: tiny
    base: tinyconfig
  - name: def
    base: defconfig
    pins: [KEXEC=n]
    build: false
`;

afterEach(() => rm(dir, { recursive: true, force: true }));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kmatrix-hist-'));
  await writeFile(join(dir, 'matrix.yaml'), MATRIX);
  await mkdir(join(dir, 'linux')); // a path source must exist (the fake work never reads it)
});

function opts(events: RunEvent[], o: Partial<RunMatrixOptions> = {}): RunMatrixOptions {
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
    signal: new AbortController().signal,
    emit: (e) => events.push(e),
    ...o,
  };
}

const machine = { cores: 2, memoryBytes: 8 * 2 ** 30 };

/** Scripts keyed by arch/config instead of ids (ids are content hashes). */
async function scriptsFor(
  byLabel: Record<string, FakeCellScript>,
): Promise<Record<string, FakeCellScript>> {
  const { loadMatrix } = await import('../../../src/matrix/load.js');
  const m = await loadMatrix('matrix.yaml', dir);
  const out: Record<string, FakeCellScript> = {};
  for (const c of m.cells) {
    const s = byLabel[`${c.arch}/${c.config}`];
    if (s) out[c.id] = s;
  }
  return out;
}

const failing = (fp: string): Partial<BuildStage> => ({
  status: 'fail',
  diagnostics: [diag('error', fp)],
});

describe('run history', () => {
  it('tells new failures, still failing, fixed and new warnings apart by fingerprint; exit 0/1', async () => {
    const run = async (byLabel: Record<string, FakeCellScript>) => {
      const { work } = fakeWork(await scriptsFor(byLabel));
      return runMatrix(opts([]), { work, machine });
    };
    const r1 = await run({
      's390/def': {
        config: [
          {
            verdict: 'unsatisfied',
            pins: [
              {
                symbol: 'KEXEC',
                requested: 'n',
                effective: 'y',
                status: 'overridden',
                origin: 'm',
              },
            ],
          },
        ],
      },
    });
    expect(r1.baselineRunId).toBeNull();
    expect(r1.counts.change['new-failure']).toBe(1); // no baseline: what fails is new
    expect(r1.exitCode).toBe(1);

    const r2 = await run({
      's390/def': {
        config: [
          {
            verdict: 'unsatisfied',
            pins: [
              {
                symbol: 'KEXEC',
                requested: 'n',
                effective: 'y',
                status: 'overridden',
                origin: 'm',
              },
            ],
          },
        ],
      },
      'arm64/tiny': { build: [failing('init-main.c:error:planted')] },
      's390/tiny': {
        build: [{ status: 'pass', diagnostics: [diag('warning', 'kernel-fork.c:warning:unused')] }],
      },
    });
    expect(r2.baselineRunId).toBe(r1.runId);
    const by2 = new Map(r2.cells.map((c) => [`${c.arch}/${c.config}`, c]));
    expect(by2.get('s390/def')).toMatchObject({
      change: 'still-failing',
      status: 'config-unsatisfied',
    });
    expect(by2.get('arm64/tiny')).toMatchObject({
      change: 'new-failure',
      newProblems: ['init-main.c:error:planted'],
    });
    expect(by2.get('s390/tiny')).toMatchObject({
      change: 'new-warning',
      newWarnings: ['kernel-fork.c:warning:unused'],
    });
    expect(r2.exitCode).toBe(1);

    // Same error on a moved line (same fingerprint) plus a different one: only that one is new.
    const r3 = await run({
      'arm64/tiny': {
        build: [
          {
            status: 'fail',
            diagnostics: [
              diag('error', 'init-main.c:error:planted'),
              diag('error', 'mm-slab.c:error:other'),
            ],
          },
        ],
      },
    });
    const by3 = new Map(r3.cells.map((c) => [`${c.arch}/${c.config}`, c]));
    expect(by3.get('arm64/tiny')).toMatchObject({
      change: 'new-failure',
      newProblems: ['mm-slab.c:error:other'],
    });
    expect(by3.get('s390/def')).toMatchObject({
      change: 'fixed',
      fixedProblems: ['pin:KEXEC:overridden'],
    });

    const r4 = await run({ 'arm64/tiny': { build: [failing('init-main.c:error:planted')] } });
    expect(
      new Map(r4.cells.map((c) => [`${c.arch}/${c.config}`, c.change])).get('arm64/tiny'),
    ).toBe('still-failing');
    expect(r4.exitCode).toBe(0);

    const r5 = await run({});
    expect(r5.cells.find((c) => c.arch === 'arm64' && c.config === 'tiny')).toMatchObject({
      change: 'fixed',
      status: 'pass',
    });
    expect(r5.exitCode).toBe(0);
    const store = new ResultStore(join(dir, 'results', 'kmatrix.db'));
    expect(store.runsOf('name:hist').map((r) => r.state)).toEqual(Array(5).fill('completed'));
    store.close();
    const json = JSON.parse(await readFile(join(r5.runDir, 'results.json'), 'utf8'));
    expect(json).toMatchObject({
      schema: 'kmatrix.run/2',
      runId: r5.runId,
      baselineRunId: r4.runId,
      exitCode: 0,
    });
  });

  it('resumes an interrupted run without redoing finished cells; the interrupted run exits 2', async () => {
    const ac = new AbortController();
    const scripts = await scriptsFor({ 'arm64/tiny': { build: ['hang', {}] } });
    const clock = new FakeClock();
    const first = fakeWork(scripts, clock);
    const events1: RunEvent[] = [];
    const r1 = await runMatrix(
      opts(events1, {
        signal: ac.signal,
        emit: (e) => {
          events1.push(e);
          if (e.type === 'cell:start' && e.stage === 'build')
            clock.at(20, () => ac.abort('SIGTERM'));
        },
      }),
      { work: first.work, machine, clock },
    );
    expect(r1.interrupted).toBe(true);
    expect(r1.exitCode).toBe(2);
    const finished = r1.cells
      .filter((c) => c.status !== 'not-run' && c.status !== 'cancelled')
      .map((c) => c.id);
    expect(finished.length).toBeGreaterThan(0);

    const second = fakeWork({});
    const events2: RunEvent[] = [];
    const r2 = await runMatrix(opts(events2, { resume: true }), { work: second.work, machine });
    expect(r2.runId).toBe(r1.runId);
    expect(r2.interrupted).toBe(false);
    expect(r2.counts.status.pass).toBe(4);
    const executed = new Set(second.calls.map((c) => c.cell));
    for (const id of finished) expect(executed.has(id)).toBe(false);
    expect(
      events2
        .filter((e) => e.type === 'cell:skip')
        .map((e) => (e as { cell: { id: string } }).cell.id)
        .sort(),
    ).toEqual([...finished].sort());
    await expect(
      runMatrix(opts([], { resume: true }), { work: second.work, machine }),
    ).rejects.toThrow(/no unfinished run of name:hist/);
  });

  it('stops with an error naming the store when a result cannot be written to it', async () => {
    const storePath = join(dir, 'results', 'kmatrix.db');
    const { work, calls } = fakeWork({});
    // The store loses its results table under the run (another process, a bad migration).
    const config = work.config.bind(work);
    work.config = async (c, ctx) => {
      if (calls.length === 0) {
        const other = new Database(storePath);
        other.exec('DROP TABLE diagnostics; DROP TABLE results');
        other.close();
      }
      return config(c, ctx);
    };
    const err: unknown = await runMatrix(opts([]), { work, machine }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KmatrixError);
    expect((err as KmatrixError).code).toBe('io'); // exit 2
    expect((err as KmatrixError).message).toMatch(
      new RegExp(
        `^could not record cell [0-9a-f]{12} in the results store ${storePath}: no such table: diagnostics$`,
      ),
    );
    // The config-only cells fail to record during the config stage: no build is started.
    expect(calls.filter((c) => c.stage === 'build')).toEqual([]);
    const db = new Database(storePath, { readonly: true });
    expect(db.prepare('SELECT state FROM runs').all()).toEqual([{ state: 'interrupted' }]);
    db.close();
  });

  it('hands the cells to the executor it is given, and stores what the executor records', async () => {
    const seen: string[] = [];
    const executor: Executor = {
      async execute(job) {
        const results = new Map<string, CellResult>();
        for (const c of job.cells) {
          seen.push(c.id);
          const r = cellResult(c.id, { stage: c.build ? 'build' : 'config' });
          job.record(r);
          results.set(c.id, r);
        }
        return { results, interrupted: false };
      },
    };
    const s = await runMatrix(opts([]), { executor, machine });
    expect(seen).toHaveLength(4);
    expect(s.counts.status.pass).toBe(4);
    const store = new ResultStore(join(dir, 'results', 'kmatrix.db'));
    expect([...store.resultsOf(s.runId).keys()].sort()).toEqual([...seen].sort());
    expect(store.getRun(s.runId)?.state).toBe('completed');
    store.close();
  });

  it('rejects a filter that matches nothing', async () => {
    const { work } = fakeWork({});
    await expect(
      runMatrix(opts([], { filters: ['arch=riscv64'] }), { work, machine }),
    ).rejects.toThrow(/matches none of the 4 cells/);
  });
});
