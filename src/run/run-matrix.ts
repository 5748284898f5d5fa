// `kmatrix run` as a function, in steps: load the matrix and plan the run (or resume one),
// execute its cells recording each as it finishes, compare with the previous completed run
// of the same matrix, and write the reports. The CLI only parses options and sets the exit
// code. How cells are executed is the Executor's business (executor.ts).
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { BuildEvent } from '../build/events.js';
import { parseDuration } from '../build/targets.js';
import { errorMessage, isKmatrixError, KmatrixError } from '../core/errors.js';
import { formatBytes } from '../core/text.js';
import { pidAlive } from '../fsutil/atomic.js';
import { isNoSpace } from '../fsutil/space.js';
import type { Cell } from '../matrix/cell.js';
import { applyFilters, parseFilter } from '../matrix/filter.js';
import { loadMatrix, type LoadedMatrix } from '../matrix/load.js';
import { execaRunner, type ProcessRunner } from '../process/runner.js';
import type { RunSummary } from '../report/run-summary.js';
import { compareRun, type RunComparison } from '../results/compare.js';
import type { RunEvent } from '../results/events.js';
import { isFinal, type CellResult } from '../results/result.js';
import type { RuntimeChoice } from '../runtime/select.js';
import { sizeRun, type Sizing } from '../schedule/resources.js';
import type { CellWork } from '../schedule/cell-work.js';
import type { Clock } from '../schedule/clock.js';
import { storeFailure } from '../store/failure.js';
import { ResultStore, type RunRecord } from '../store/store.js';
import { realTriageWork } from '../triage/real.js';
import type { TriageWork } from '../triage/stage.js';
import { whyOfBroken } from '../triage/why.js';
import { pinGitSources } from './sources.js';
import { whyAndTriage, type RememberedTriage, type StoredRun } from './triage-run.js';
import { chooseExecutor, type ExecutorChoice, type ExecutorKind } from './choose-executor.js';
import type { ExecuteOutcome, Executor } from './executor.js';
import { gcCache, pruneRuns } from './gc.js';
import { noSpaceError, NoSpace, recordCell, type Place } from './guard.js';
import { deadRuns, reapRuns } from './reap.js';

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
  /** false: no triage stage this time (--no-triage); default: the matrix's triage.enabled. */
  triage?: boolean;
  /** Override the matrix's executor kind, and the queue's Redis URL. */
  executor?: ExecutorKind;
  redisUrl?: string;
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
  /**
   * The triage work (default: the real one, unless the cell work or the executor is
   * injected: a faked run has nothing real to bisect, so it gets no triage stage).
   */
  triage?: TriageWork;
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
  const choice = deps.executor
    ? { executor: deps.executor, kind: 'local' as const, warnings: [] }
    : chooseExecutor(
        {
          kind: o.executor,
          redisUrl: o.redisUrl,
          retries: o.retries,
          env: o.env,
          local: {
            cwd: o.cwd,
            env: o.env,
            cacheDir: o.cacheDir,
            ccache: o.ccache,
            ...(o.keepBuildDirs ? { keepBuildDirs: true } : {}),
            ...(deps.runner ? { runner: deps.runner } : {}),
            ...(o.onBuildEvent ? { onBuildEvent: o.onBuildEvent } : {}),
            ...(deps.work ? { work: deps.work } : {}),
            ...(deps.clock ? { clock: deps.clock } : {}),
          },
        },
        loaded,
      );
  for (const w of [...loaded.warnings, ...choice.warnings])
    o.emit({ type: 'run:note', message: `warning: ${w}` });
  await choice.preflight?.();
  const store = new ResultStore(o.storePath);
  try {
    const plan = await planRun(o, loaded, store, deps.runner ?? execaRunner);
    const executed = await executeRun(o, deps, plan, store, choice);
    const comparison = compareWithBaseline(plan, executed.outcome);
    const summary = await reportRun(o, deps, plan, executed, comparison, store).catch(
      (e: unknown) => {
        // No room for the reports: --resume writes them once there is.
        if (isNoSpace(e)) markInterrupted(store, plan.run.id);
        throw e;
      },
    );
    await applyRetention(o, plan.loaded, store);
    return summary;
  } catch (e) {
    // SQLite failing mid-run (a damaged page, a lock) and a full disk are said as such.
    if (isNoSpace(e) && !isKmatrixError(e))
      throw await noSpaceError(places(o), errorMessage(e), undefined);
    throw storeFailure(e, o.storePath);
  } finally {
    store.close();
  }
}

/** A new run of the (filtered) matrix, or the unfinished run --resume names. */
async function planRun(
  o: RunMatrixOptions,
  loaded: LoadedMatrix,
  store: ResultStore,
  runner: ProcessRunner,
): Promise<PlannedRun> {
  // Killed runs (this one, when resuming after kill -9) may have left processes and containers.
  const dead = deadRuns(store);
  const resumed = o.resume ? resumeRun(o, loaded, store) : undefined;
  const mayUseDocker = (o.runtime ?? loaded.matrix.runtime) !== 'local';
  await reapRuns(store, dead, {
    env: o.env,
    emit: o.emit,
    containers: dead.length > 0 || (mayUseDocker && loaded.cells.some((c) => c.build)),
  });
  const run = resumed ?? (await newRun(o, loaded, store, runner));
  const done = new Map<string, CellResult>();
  if (resumed)
    for (const [id, r] of store.resultsOf(run.id)) if (isFinal(r.status)) done.set(id, r);
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
  if (o.filters.length)
    throw new KmatrixError('usage', '--resume continues a run with its own cells; drop --filter');
  const claim = store.claimRun(found.id, process.pid, pidAlive);
  if (!claim.claimed)
    throw new KmatrixError(
      'usage',
      `--resume: run ${found.id} is still running (pid ${claim.holder}); wait for it, or stop it first`,
    );
  return { ...found, state: 'running', pid: process.pid };
}

async function newRun(
  o: RunMatrixOptions,
  loaded: LoadedMatrix,
  store: ResultStore,
  runner: ProcessRunner,
): Promise<RunRecord> {
  const filtered = applyFilters(loaded.cells, o.filters.map(parseFilter));
  if (filtered.length === 0)
    throw new KmatrixError(
      'usage',
      `--filter ${o.filters.map((f) => JSON.stringify(f)).join(' ')} matches none of the ${loaded.cells.length} cells of ${o.matrixPath}`,
    );
  const { cells, sources } = await pinGitSources(filtered, runner);
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
    sources,
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
  choice: ExecutorChoice,
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
    ...(choice.queue ? { queue: choice.queue } : {}),
  });
  const started = Date.now();
  const outcome = await choice.executor
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
      record: (r) =>
        recordCell(
          r,
          (x) => store.recordResult(run.id, x),
          (e) => recordFailure(o, r, e),
        ),
    })
    .catch(async (e: unknown) => {
      markInterrupted(store, run.id);
      throw e instanceof NoSpace ? await noSpaceError(places(o, run), e.what, run.id) : e;
    });
  store.setState(run.id, outcome.interrupted ? 'interrupted' : 'completed');
  return { outcome, durationMs: Date.now() - started };
}

/** A store write that failed (not for want of space): the error that ends the run, naming the store. */
function recordFailure(o: RunMatrixOptions, r: CellResult, e: unknown): KmatrixError {
  return new KmatrixError(
    'io',
    `could not record cell ${r.cellId} in the results store ${o.storePath}: ${errorMessage(e)}`,
    'the run was stopped; cells recorded before this one are kept (kmatrix run --resume continues the run once the store can be written)',
  );
}

function compareWithBaseline(plan: PlannedRun, outcome: ExecuteOutcome): RunComparison {
  return compareRun(
    plan.cells.map((c) => c.id),
    outcome.results,
    plan.baseline,
  );
}

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

/**
 * The reports (results.json and the other files in the run directory), written as soon as the
 * run is compared; then the triage stage, and the reports again (src/run/triage-run.ts).
 */
async function reportRun(
  o: RunMatrixOptions,
  deps: RunMatrixDeps,
  plan: PlannedRun,
  executed: ExecutedRun,
  comparison: RunComparison,
  store: ResultStore,
): Promise<RunSummary> {
  const { loaded, run } = plan;
  const { outcome } = executed;
  const before = plan.baseline ? store.getRun(plan.baseline.runId) : undefined;
  const stored: StoredRun = {
    run: store.getRun(run.id)!,
    cells: plan.cells,
    results: outcome.results,
    baseline: before && plan.baseline ? { run: before, results: plan.baseline.results } : undefined,
    comparison,
    durationMs: executed.durationMs,
    interrupted: outcome.interrupted,
  };
  const m = loaded.matrix;
  const fake = deps.work !== undefined || deps.executor !== undefined;
  const remember: RememberedTriage = {
    settings: loaded.triage,
    runtime: o.runtime ?? m.runtime,
    stepTimeoutMs: o.timeoutMs ?? parseDuration(m.timeout),
  };
  const work: TriageWork =
    deps.triage ??
    (fake
      ? {
          why: (cells, results) => whyOfBroken(cells, results, undefined),
          triage: () => Promise.reject(new Error('no triage work')),
        }
      : realTriageWork({
          cwd: o.cwd,
          env: o.env,
          cacheDir: o.cacheDir,
          ccache: o.ccache,
          runtime: remember.runtime,
          ...(o.sizing?.makeJobs ? { jobs: o.sizing.makeJobs } : {}),
          ...(remember.stepTimeoutMs ? { stepTimeoutMs: remember.stepTimeoutMs } : {}),
          ...(deps.runner ? { runner: deps.runner } : {}),
        }));
  const off = outcome.interrupted
    ? 'the run was interrupted'
    : o.triage === false
      ? '--no-triage'
      : !loaded.triage.enabled
        ? 'triage.enabled is false'
        : fake && !deps.triage
          ? 'the cells ran with injected work'
          : undefined;
  const { summary } = await whyAndTriage(stored, store, {
    storePath: o.storePath,
    settings: loaded.triage,
    remember,
    enabled: off === undefined,
    ...(off ? { notRunReason: off } : {}),
    signal: o.signal,
    emit: o.emit,
    work,
  });
  return summary;
}

/** Where a run writes: the one that is full is named when the disk fills up. */
function places(o: RunMatrixOptions, run?: RunRecord): Place[] {
  return [
    ...(run ? [{ what: 'the run dir', path: run.runDir }] : []),
    { what: 'the results dir', path: o.resultsDir },
    { what: 'the results store', path: dirname(o.storePath) },
    { what: 'the cache', path: o.cacheDir },
  ];
}

/**
 * Best effort: the store that failed may refuse this write too. Either way the run is not
 * running any more (its pid is gone once kmatrix exits, so --resume accepts it).
 */
function markInterrupted(store: ResultStore, runId: string): void {
  try {
    store.setState(runId, 'interrupted');
  } catch {
    // the error below says what went wrong
  }
}
