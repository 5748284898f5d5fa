// Running a matrix's cells on p-queue: every config stage first (cheap, and it tells which
// builds are identical), then the builds, each identical resolved config built once.
// Infrastructure errors are retried a bounded number of times, compile errors never.
// An abort stops everything cleanly: queued work is dropped, running work sees the signal,
// and every cell that finished has been handed to `record` already. A `record` that throws
// (the store could not be written) stops the run the same way, and schedule() then rejects
// with that error.
import PQueue from 'p-queue';
import type { Cell } from '../matrix/cell.js';
import type { RunEvent } from '../results/events.js';
import type { CellResult } from '../results/result.js';
import { endRun } from '../results/run-end.js';
import type { CellWork } from './cell-work.js';
import { realClock, type Clock } from './clock.js';
import type { Sizing } from './resources.js';
import {
  buildGroup,
  configCell,
  followerResult,
  ref,
  type CellOutcome,
  type Configured,
  type StageRun,
} from './stages.js';

export interface ScheduleOptions {
  runId: string;
  runDir: string;
  /** Every cell of the run, in display order. */
  cells: readonly Cell[];
  /** Results already stored (a resumed run): those cells are not run again. */
  done: ReadonlyMap<string, CellResult>;
  sizing: Sizing;
  /** Per cell, config + build. */
  timeoutMs: number;
  /** Attempts after an infrastructure error. */
  retries: number;
  /** Expected duration per cell id (from earlier runs): longer builds start first. */
  expectedMs?: ReadonlyMap<string, number>;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  /**
   * Called as each cell finishes, before anything else happens (the store's transaction); a
   * throw ends the run with that error.
   */
  record: (r: CellResult) => void;
  work: CellWork;
  clock?: Clock;
}

export interface ScheduleOutcome {
  results: Map<string, CellResult>;
  /** True when the run was stopped before every cell had a result. */
  interrupted: boolean;
}

export async function schedule(o: ScheduleOptions): Promise<ScheduleOutcome> {
  const clock = o.clock ?? realClock;
  const results = new Map<string, CellResult>(o.done);
  const started = clock.now();
  // A failed record stops the run like an abort; the error is thrown once everything stopped.
  const stop = new AbortController();
  let recordError: { error: unknown } | undefined;
  const finish = (cell: Cell, r: CellOutcome) => {
    if (recordError) return;
    const full: CellResult = {
      ...r,
      cellId: cell.id,
      finishedAt: new Date(clock.now()).toISOString(),
    };
    results.set(cell.id, full);
    try {
      o.record(full);
    } catch (error) {
      recordError = { error };
      stop.abort(error);
      return;
    }
    o.emit({
      type: 'cell:done',
      cell: ref(cell),
      status: full.status,
      ms: full.durationMs,
      dedupedFrom: full.dedupedFrom,
      ...(full.reason ? { reason: full.reason } : {}),
    });
  };
  const run: StageRun = {
    runDir: o.runDir,
    timeoutMs: o.timeoutMs,
    retries: o.retries,
    makeJobs: o.sizing.makeJobs,
    work: o.work,
    clock,
    signal: AbortSignal.any([o.signal, stop.signal]),
    emit: o.emit,
    finish,
  };

  for (const cell of o.cells) {
    const r = o.done.get(cell.id);
    if (r) o.emit({ type: 'cell:skip', cell: ref(cell), status: r.status });
  }
  const todo = o.cells.filter((c) => !o.done.has(c.id));
  const configured: Configured[] = [];
  await drain(run.signal, o.sizing.configJobs, todo, async (cell) => {
    const c = await configCell(run, cell);
    if (c) configured.push(c);
  });
  const groups = buildGroups(run, configured, results);
  const expected = (g: readonly Configured[]) => o.expectedMs?.get(g[0]!.cell.id) ?? 0;
  groups.sort((a, b) => expected(b) - expected(a));
  await drain(run.signal, o.sizing.buildJobs, groups, (g) => buildGroup(run, g));

  if (recordError) throw recordError.error;
  return endRun({
    runId: o.runId,
    cells: o.cells,
    results,
    signal: o.signal,
    emit: o.emit,
    ms: clock.now() - started,
  });
}

/**
 * Runs `task` over `items`, `concurrency` at a time, until all are done. An abort drops the
 * queued items (running ones see the signal themselves). A task that throws is a bug: the
 * others still finish, then the first error is thrown.
 */
async function drain<T>(
  signal: AbortSignal,
  concurrency: number,
  items: readonly T[],
  task: (item: T) => Promise<void>,
): Promise<void> {
  const queue = new PQueue({ concurrency });
  const failures: unknown[] = [];
  const onAbort = () => queue.clear();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (const item of items)
      // The promise of a task dropped by clear() never settles; onIdle() does.
      queue
        .add(async () => {
          if (!signal.aborted) await task(item);
        })
        .catch((e: unknown) => failures.push(e));
    await queue.onIdle();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failures.length > 0) throw failures[0];
}

/**
 * Groups the configured cells by resolved config, one build per group. Groups whose config a
 * resumed run already built are finished at once with that build's result.
 */
function buildGroups(
  run: StageRun,
  configured: readonly Configured[],
  results: ReadonlyMap<string, CellResult>,
): Configured[][] {
  const groups = new Map<string, Configured[]>();
  for (const c of configured) {
    const g = groups.get(c.stage.configHash) ?? [];
    g.push(c);
    groups.set(c.stage.configHash, g);
  }
  const builtBefore = new Map<string, CellResult>();
  for (const r of results.values())
    if (r.configHash && r.stage === 'build' && !r.dedupedFrom) builtBefore.set(r.configHash, r);
  const toBuild: Configured[][] = [];
  for (const [hash, g] of groups) {
    const prior = builtBefore.get(hash);
    if (!prior) toBuild.push(g);
    else for (const f of g) run.finish(f.cell, followerResult(f, prior, prior.cellId));
  }
  return toBuild;
}
