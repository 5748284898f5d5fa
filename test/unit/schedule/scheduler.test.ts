// The scheduler with a fake CellWork that injects faults: stage ordering and concurrency,
// identical configs built once, bounded retries of infrastructure errors only, per-cell
// timeouts, cancellation that keeps what finished, and resumption.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/results/events.js';
import type { CellResult } from '../../../src/results/result.js';
import { schedule, type ScheduleOptions } from '../../../src/schedule/scheduler.js';
import { cell, cellResult, diag } from '../../helpers/results.js';
import { FakeClock, fakeWork, type FakeCellScript } from './fake-work.js';
import type { Cell } from '../../../src/matrix/cell.js';

function setup(
  cells: Cell[],
  scripts: Record<string, FakeCellScript>,
  o: Partial<ScheduleOptions> = {},
) {
  const clock = new FakeClock();
  const { work, calls } = fakeWork(scripts, clock);
  const events: RunEvent[] = [];
  const recorded: CellResult[] = [];
  const opts: ScheduleOptions = {
    runId: 'r1',
    runDir: '/tmp/run',
    cells,
    done: new Map(),
    sizing: { configJobs: 2, buildJobs: 2, makeJobs: 1 },
    timeoutMs: 60_000,
    retries: 2,
    signal: new AbortController().signal,
    emit: (e) => events.push(e),
    record: (r) => recorded.push(r),
    work,
    clock,
    ...o,
  };
  return { opts, calls, events, recorded, clock };
}

describe('schedule', () => {
  it('runs every config stage before any build, within the concurrency limits', async () => {
    const cells = ['a', 'b', 'c', 'd', 'e'].map((id) => cell(id, { build: id !== 'e' }));
    const { opts, calls, recorded } = setup(cells, {});
    const out = await schedule(opts);
    const lastConfigEnd = Math.max(...calls.filter((c) => c.stage === 'config').map((c) => c.end!));
    const firstBuild = Math.min(...calls.filter((c) => c.stage === 'build').map((c) => c.at));
    expect(firstBuild).toBeGreaterThanOrEqual(lastConfigEnd);
    expect(
      calls
        .filter((c) => c.stage === 'build')
        .map((c) => c.cell)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd']);
    // most intervals open at any start time
    const overlap = (stage: string) => {
      const cs = calls.filter((c) => c.stage === stage);
      return Math.max(...cs.map((c) => cs.filter((d) => d.at <= c.at && d.end! > c.at).length));
    };
    expect(overlap('config')).toBeLessThanOrEqual(2);
    expect(overlap('build')).toBeLessThanOrEqual(2);
    expect(out.interrupted).toBe(false);
    expect(recorded.map((r) => [r.cellId, r.status, r.stage])).toEqual(
      expect.arrayContaining([
        ['e', 'pass', 'config'],
        ['a', 'pass', 'build'],
      ]),
    );
    expect(recorded).toHaveLength(5);
  });

  it("keeps conf's warnings in the cell's diagnostics, for config-only and built cells", async () => {
    const unmet = {
      ...diag('warning', 'kconfig:warning:unmet-direct-dependencies-detected-for-kexec'),
      kind: 'kconfig' as const,
      file: '',
    };
    const cells = [cell('cfg', { build: false }), cell('built')];
    const { opts, recorded } = setup(cells, {
      cfg: { config: [{ diagnostics: [unmet] }] },
      built: {
        config: [{ diagnostics: [unmet] }],
        build: [{ status: 'fail', diagnostics: [diag('error', 'x:error:boom')] }],
      },
    });
    await schedule(opts);
    const by = new Map(recorded.map((r) => [r.cellId, r]));
    expect(by.get('cfg')).toMatchObject({
      status: 'pass',
      stage: 'config',
      diagnostics: [unmet],
      counts: { errors: 0, warnings: 1 },
    });
    expect(by.get('built')).toMatchObject({
      status: 'fail',
      stage: 'build',
      diagnostics: [unmet, diag('error', 'x:error:boom')],
      counts: { errors: 1, warnings: 1 },
    });
  });

  it('builds identical resolved configs once and gives the others its result', async () => {
    const cells = [cell('a'), cell('b'), cell('c')];
    const { opts, calls, recorded } = setup(cells, {
      a: {
        configHash: 'same',
        build: [{ status: 'fail', diagnostics: [diag('error', 'x:error:boom')] }],
      },
      b: { configHash: 'same' },
      c: { configHash: 'other' },
    });
    await schedule(opts);
    expect(
      calls
        .filter((c) => c.stage === 'build')
        .map((c) => c.cell)
        .sort(),
    ).toEqual(['a', 'c']);
    const b = recorded.find((r) => r.cellId === 'b')!;
    expect(b).toMatchObject({
      status: 'fail',
      dedupedFrom: 'a',
      configHash: 'same',
      files: { config: 'cells/b/.config', log: 'cells/a/build.log' },
    });
    expect(b.diagnostics.map((d) => d.fingerprint)).toEqual(['x:error:boom']);
  });

  it('retries infrastructure errors (bounded) and never compile errors', async () => {
    const cells = [cell('flaky'), cell('broken'), cell('dead'), cell('cfgflaky', { build: false })];
    const { opts, calls, events, recorded } = setup(cells, {
      flaky: { build: [{ status: 'infra-error', reason: 'daemon went away' }, { status: 'pass' }] },
      broken: { build: [{ status: 'fail' }] },
      dead: { build: [{ status: 'infra-error', reason: 'no space' }] },
      cfgflaky: {
        config: [{ kind: 'failed', status: 'infra-error', reason: 'apt', files: {} } as never, {}],
      },
    });
    await schedule(opts);
    const builds = (id: string) => calls.filter((c) => c.stage === 'build' && c.cell === id).length;
    expect(builds('flaky')).toBe(2);
    expect(builds('broken')).toBe(1);
    expect(builds('dead')).toBe(3); // 1 + retries (2)
    expect(calls.filter((c) => c.stage === 'config' && c.cell === 'cfgflaky')).toHaveLength(2);
    const by = new Map(recorded.map((r) => [r.cellId, r]));
    expect(by.get('flaky')).toMatchObject({ status: 'pass', attempts: 2 });
    expect(by.get('broken')).toMatchObject({ status: 'fail', attempts: 1 });
    expect(by.get('dead')).toMatchObject({
      status: 'infra-error',
      attempts: 3,
      reason: 'no space',
    });
    expect(by.get('cfgflaky')).toMatchObject({ status: 'pass', attempts: 2 });
    expect(
      events
        .filter((e) => e.type === 'cell:retry')
        .map((e) => (e as { cell: { id: string } }).cell.id)
        .sort(),
    ).toEqual(['cfgflaky', 'dead', 'dead', 'flaky']);
  });

  it('ends a cell that overruns its time as timeout, without retrying it', async () => {
    const { opts, calls, recorded } = setup(
      [cell('slow'), cell('ok')],
      { slow: { build: ['hang'] } },
      { timeoutMs: 300 },
    );
    await schedule(opts);
    expect(recorded.find((r) => r.cellId === 'slow')).toMatchObject({
      status: 'timeout',
      stage: 'build',
    });
    expect(recorded.find((r) => r.cellId === 'ok')).toMatchObject({ status: 'pass' });
    expect(calls.filter((c) => c.stage === 'build' && c.cell === 'slow')).toHaveLength(1);
  });

  it("does not count the wait in the build queue against a cell's time", async () => {
    const { opts, recorded } = setup(
      [cell('a'), cell('b'), cell('c')],
      { a: { delayMs: 150 }, b: { delayMs: 150 }, c: { delayMs: 150 } },
      {
        timeoutMs: 400,
        sizing: { configJobs: 3, buildJobs: 1, makeJobs: 2 },
      },
    );
    await schedule(opts);
    expect(recorded.map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
    for (const r of recorded) expect(r.durationMs).toBeLessThan(400);
    // 150 ms of config and 150 ms of build each, however long the build queue was
    expect(recorded.map((r) => r.durationMs)).toEqual([300, 300, 300]);
  });

  it('stops cleanly on abort: running cells cancelled, queued ones never started, finished ones kept', async () => {
    const ac = new AbortController();
    const cells = [
      cell('done1', { build: false }),
      cell('run1'),
      cell('run2'),
      cell('queued1'),
      cell('queued2'),
    ];
    const { opts, calls, events, recorded, clock } = setup(
      cells,
      { run1: { build: ['hang'] }, run2: { build: ['hang'] } },
      { signal: ac.signal },
    );
    opts.emit = (e) => {
      events.push(e);
      if (e.type === 'cell:start' && e.stage === 'build' && e.cell.id === 'run2')
        clock.at(30, () => ac.abort('SIGINT'));
    };
    // queued builds would come after run1/run2 (2 build slots)
    const out = await schedule(opts);
    expect(out.interrupted).toBe(true);
    expect(
      calls
        .filter((c) => c.stage === 'build')
        .map((c) => c.cell)
        .sort(),
    ).toEqual(['run1', 'run2']);
    const by = new Map(recorded.map((r) => [r.cellId, r.status]));
    expect(Object.fromEntries(by)).toEqual({ done1: 'pass', run1: 'cancelled', run2: 'cancelled' });
    expect(out.results.has('queued1')).toBe(false);
    expect(events.some((e) => e.type === 'run:interrupted')).toBe(true);
  });

  it('skips cells a resumed run already finished, and reuses their builds for identical configs', async () => {
    const prior = cellResult('a', { configHash: 'same' });
    const { opts, calls, events, recorded } = setup(
      [cell('a'), cell('b'), cell('c')],
      { b: { configHash: 'same' } },
      { done: new Map([['a', prior]]) },
    );
    await schedule(opts);
    expect(calls.filter((c) => c.cell === 'a')).toEqual([]);
    expect(calls.filter((c) => c.stage === 'build').map((c) => c.cell)).toEqual(['c']);
    expect(events.find((e) => e.type === 'cell:skip')).toMatchObject({
      cell: { id: 'a' },
      status: 'pass',
    });
    expect(recorded.find((r) => r.cellId === 'b')).toMatchObject({
      dedupedFrom: 'a',
      status: 'pass',
    });
  });

  it('ends the run with the error when a result cannot be recorded, stopping the other cells', async () => {
    const cells = [cell('a', { build: false }), cell('b'), cell('c'), cell('d')];
    const { opts, calls, events, recorded } = setup(cells, { c: { build: ['hang'] } });
    const boom = new Error('disk I/O error');
    opts.sizing = { configJobs: 1, buildJobs: 2, makeJobs: 1 };
    opts.record = (r) => {
      if (r.cellId === 'b') throw boom;
      recorded.push(r);
    };
    await expect(schedule(opts)).rejects.toBe(boom);
    // a (config only) was recorded; b's build finished but could not be; c was building and
    // saw the abort; d, queued behind them, never started.
    expect(recorded.map((r) => r.cellId)).toEqual(['a']);
    expect(calls.filter((c) => c.stage === 'build').map((c) => c.cell)).toEqual(['b', 'c']);
    expect(
      events
        .filter((e) => e.type === 'cell:done')
        .map((e) => (e as { cell: { id: string } }).cell.id),
    ).toEqual(['a']);
    expect(events.some((e) => e.type === 'run:done')).toBe(false);
  });
});
