// `kmatrix run` as a function, in steps: load the matrix and plan the run (or resume one),
// execute its cells recording each as it finishes, compare with the previous completed run
// of the same matrix, and write the reports. The CLI only parses options and sets the exit
// code. How cells are executed is the Executor's business (executor.ts).
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BuildEvent } from '../build/events.js';
import { parseDuration } from '../build/targets.js';
import { errorMessage, KmatrixError } from '../core/errors.js';
import { formatBytes } from '../core/text.js';
import { pidAlive } from '../fsutil/atomic.js';
import type { Cell } from '../matrix/cell.js';
import { applyFilters, parseFilter } from '../matrix/filter.js';
import { loadMatrix, type LoadedMatrix } from '../matrix/load.js';
import type { ProcessRunner } from '../process/runner.js';
import { writeRunReports } from '../report/run-files.js';
import { buildRunSummary, type RunSummary } from '../report/run-summary.js';
import { compareRun, exitCodeFor, type RunComparison } from '../results/compare.js';
import type { RunEvent } from '../results/events.js';
import { isFinal, type CellResult } from '../results/result.js';
import type { RuntimeChoice } from '../runtime/select.js';
import { sizeRun, type Sizing } from '../schedule/resources.js';
import type { CellWork } from '../schedule/cell-work.js';
import type { Clock } from '../schedule/clock.js';
import { ResultStore, type RunRecord } from '../store/store.js';
import type { ExecuteOutcome, Executor } from './executor.js';
import { gcCache, pruneRuns } from './gc.js';
import { localExecutor } from './local-executor.js';

export interface RunMatrixOptions {
  matrixPath: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Holds runs/<run-id>/ (and the store unless storePath is given). */
  resultsDir: string;
  storePath: string;
  cacheDir: string;
  filters: readonly string[];
  /** Continue an unfinished run: true = the newest one of this matrix, or a run id. */
  resume: boolean | string;
  /** Override the matrix file's runtime, timeout and retries. */
  runtime?: RuntimeChoice;
  timeoutMs?: number;
  retries?: number;
  sizing?: Partial<Sizing>;
  ccache: boolean;
  /** Keep built cells' O= object trees (by default only the artifacts a user looks at stay). */
  keepBuildDirs?: boolean;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  onBuildEvent?: (e: BuildEvent) => void;
}

export interface RunMatrixDeps {
  runner?: ProcessRunner;
  /** How cells get executed (default: the local executor over work and clock below). */
  executor?: Executor;
  /** Replace the real config/build work (tests inject faults this way). */
  work?: CellWork;
  clock?: Clock;
  machine?: { cores: number; memoryBytes: number };
}

/** A run ready to execute: its record in the store, its cells, what is already done. */
interface PlannedRun {
  loaded: LoadedMatrix;
  run: RunRecord;
  cells: Cell[];
  done: Map<string, CellResult>;
  /** The previous completed run of the same matrix, the comparison's baseline. */
  baseline: { runId: string; results: Map<string, CellResult> } | undefined;
}

interface ExecutedRun {
  outcome: ExecuteOutcome;
  durationMs: number;
}

function newRunId(now: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const d = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const t = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${d}-${t}-${randomBytes(2).toString('hex')}`;
}

export async function runMatrix(
  o: RunMatrixOptions,
  deps: RunMatrixDeps = {},
): Promise<RunSummary> {
  const loaded = await loadMatrix(o.matrixPath, o.cwd);
  for (const w of loaded.warnings) o.emit({ type: 'run:note', message: `warning: ${w}` });
  const store = new ResultStore(o.storePath);
  try {
    const plan = await planRun(o, loaded, store);
    const executed = await executeRun(o, deps, plan, store);
    const comparison = compareWithBaseline(plan, executed.outcome);
    const summary = await reportRun(o, plan, executed, comparison, store);
    await applyRetention(o, plan.loaded, store);
    return summary;
  } finally {
    store.close();
  }
}

/** A new run of the (filtered) matrix, or the unfinished run --resume names. */
async function planRun(
  o: RunMatrixOptions,
  loaded: LoadedMatrix,
  store: ResultStore,
): Promise<PlannedRun> {
  const resumed = o.resume ? resumeRun(o, loaded, store) : undefined;
  const run = resumed ?? newRun(o, loaded, store);
  const done = new Map<string, CellResult>();
  if (resumed)
    for (const [id, r] of store.resultsOf(run.id)) if (isFinal(r.status)) done.set(id, r);
  store.setState(run.id, 'running', process.pid);
  const cells = store.cellsOf(run.id);
  await mkdir(run.runDir, { recursive: true });
  const before = store.previousCompleted(loaded.identity, run);
  const baseline = before ? { runId: before.id, results: store.resultsOf(before.id) } : undefined;
  return { loaded, run, cells, done, baseline };
}

function resumeRun(o: RunMatrixOptions, loaded: LoadedMatrix, store: ResultStore): RunRecord {
  const found =
    typeof o.resume === 'string' ? store.getRun(o.resume) : store.latestUnfinished(loaded.identity);
  if (!found)
    throw new KmatrixError(
      'usage',
      typeof o.resume === 'string'
        ? `--resume ${o.resume}: no such run in ${o.storePath}`
        : `--resume: no unfinished run of ${loaded.identity} in ${o.storePath}`,
    );
  if (found.state === 'completed')
    throw new KmatrixError('usage', `--resume: run ${found.id} already completed`);
  if (found.pid && found.pid !== process.pid && found.state === 'running' && pidAlive(found.pid))
    throw new KmatrixError(
      'usage',
      `--resume: run ${found.id} is still running (pid ${found.pid})`,
    );
  if (o.filters.length)
    throw new KmatrixError('usage', '--resume continues a run with its own cells; drop --filter');
  return found;
}

function newRun(o: RunMatrixOptions, loaded: LoadedMatrix, store: ResultStore): RunRecord {
  const cells = applyFilters(loaded.cells, o.filters.map(parseFilter));
  if (cells.length === 0)
    throw new KmatrixError(
      'usage',
      `--filter ${o.filters.map((f) => JSON.stringify(f)).join(' ')} matches none of the ${loaded.cells.length} cells of ${o.matrixPath}`,
    );
  const id = newRunId();
  const run: RunRecord = {
    id,
    identity: loaded.identity,
    matrixFile: loaded.file,
    matrixHash: loaded.contentHash,
    runDir: join(o.resultsDir, 'runs', id),
    state: 'running',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    filters: [...o.filters],
    pid: process.pid,
  };
  store.createRun(run, cells);
  return run;
}

/** Runs the cells not done yet through the executor, recording each as it finishes. */
async function executeRun(
  o: RunMatrixOptions,
  deps: RunMatrixDeps,
  plan: PlannedRun,
  store: ResultStore,
): Promise<ExecutedRun> {
  const { run, cells, done, baseline } = plan;
  const m = plan.loaded.matrix;
  const machine = deps.machine ?? { cores: availableParallelism(), memoryBytes: totalmem() };
  const sizing = sizeRun(machine, o.sizing);
  o.emit({
    type: 'run:start',
    runId: run.id,
    runDir: run.runDir,
    total: cells.length,
    toRun: cells.filter((c) => !done.has(c.id)).length,
    resumed: Boolean(o.resume),
    ...sizing,
  });
  const executor =
    deps.executor ??
    localExecutor({
      cwd: o.cwd,
      env: o.env,
      cacheDir: o.cacheDir,
      ccache: o.ccache,
      ...(o.keepBuildDirs ? { keepBuildDirs: true } : {}),
      ...(deps.runner ? { runner: deps.runner } : {}),
      ...(o.onBuildEvent ? { onBuildEvent: o.onBuildEvent } : {}),
      ...(deps.work ? { work: deps.work } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
  const started = Date.now();
  const outcome = await executor
    .execute({
      runId: run.id,
      runDir: run.runDir,
      cells,
      done,
      sizing,
      timeoutMs: o.timeoutMs ?? parseDuration(m.timeout),
      retries: o.retries ?? m.retries,
      runtime: o.runtime ?? m.runtime,
      ...(baseline
        ? { expectedMs: new Map([...baseline.results].map(([k, r]) => [k, r.durationMs])) }
        : {}),
      signal: o.signal,
      emit: o.emit,
      record: (r) => recordResult(o, store, run.id, r),
    })
    .catch((e: unknown) => {
      // Best effort: the store that failed may refuse this write too. Either way the run is
      // not running any more (its pid is gone once kmatrix exits, so --resume accepts it).
      try {
        store.setState(run.id, 'interrupted');
      } catch {
        // the error below says what went wrong
      }
      throw e;
    });
  store.setState(run.id, outcome.interrupted ? 'interrupted' : 'completed');
  return { outcome, durationMs: Date.now() - started };
}

/** A cell's result into the store; a failed write ends the run with an error naming the store. */
function recordResult(o: RunMatrixOptions, store: ResultStore, runId: string, r: CellResult) {
  try {
    store.recordResult(runId, r);
  } catch (e) {
    throw new KmatrixError(
      'io',
      `could not record cell ${r.cellId} in the results store ${o.storePath}: ${errorMessage(e)}`,
      'the run was stopped; cells recorded before this one are kept (kmatrix run --resume continues the run once the store can be written)',
    );
  }
}

function compareWithBaseline(plan: PlannedRun, outcome: ExecuteOutcome): RunComparison {
  return compareRun(
    plan.cells.map((c) => c.id),
    outcome.results,
    plan.baseline,
  );
}

/** The summary (results.json and the other report files in the run directory). */
/** The matrix's `retention:`: old run directories of this matrix, unused cache entries. */
async function applyRetention(
  o: RunMatrixOptions,
  loaded: LoadedMatrix,
  store: ResultStore,
): Promise<void> {
  const r = loaded.matrix.retention;
  const note = (message: string) => o.emit({ type: 'run:note', message });
  if (r?.keep_runs) {
    const gc = await pruneRuns(store, {
      resultsDir: o.resultsDir,
      keepRuns: r.keep_runs,
      identity: loaded.identity,
    });
    if (gc.removed.length)
      note(
        `retention: removed ${gc.removed.length} old run dir(s) (${formatBytes(gc.freedBytes)}); keeping the newest ${r.keep_runs}`,
      );
    for (const s of gc.skipped) note(`retention: kept run ${s.runId}: ${s.why}`);
  }
  if (r?.cache_unused_days) {
    const gc = await gcCache(o.cacheDir, { unusedDays: r.cache_unused_days });
    if (gc.removed.length)
      note(
        `retention: removed ${gc.removed.length} cache entr${gc.removed.length === 1 ? 'y' : 'ies'} unused for ${r.cache_unused_days} days (${formatBytes(gc.freedBytes)})`,
      );
  }
}

async function reportRun(
  o: RunMatrixOptions,
  plan: PlannedRun,
  executed: ExecutedRun,
  comparison: RunComparison,
  store: ResultStore,
): Promise<RunSummary> {
  const { loaded, run } = plan;
  const { outcome } = executed;
  const finished = store.getRun(run.id)!;
  const summary = buildRunSummary({
    runId: run.id,
    matrix: { identity: loaded.identity, file: loaded.file, contentHash: loaded.contentHash },
    runDir: run.runDir,
    store: o.storePath,
    startedAt: run.startedAt,
    finishedAt: finished.finishedAt ?? new Date().toISOString(),
    durationMs: executed.durationMs,
    interrupted: outcome.interrupted,
    exitCode: exitCodeFor(comparison, outcome.interrupted),
    cells: plan.cells,
    results: outcome.results,
    comparison,
  });
  return await writeRunReports(summary);
}
