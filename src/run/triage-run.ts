// The triage stage in the application: after `kmatrix run` has recorded and compared every
// cell (the reports are written first, so nothing waits for triage), and for `kmatrix triage
// [RUN_ID]` on a stored run later. Both compute the why of broken cells, triage the new
// failures (src/triage) recording each as it is known, and rewrite the reports.
import { existsSync } from 'node:fs';
import { parseDuration } from '../build/targets.js';
import { errorMessage, KmatrixError } from '../core/errors.js';
import { printable } from '../core/text.js';
import { pidAlive } from '../fsutil/atomic.js';
import type { Cell } from '../matrix/cell.js';
import { loadMatrix, triageSettings, type TriageSettings } from '../matrix/load.js';
import { TriageSchema } from '../matrix/schema.js';
import { writeRunReports } from '../report/run-files.js';
import { buildRunSummary, type RunSummary, type TriageSummary } from '../report/run-summary.js';
import { compareRun, exitCodeFor, type RunComparison } from '../results/compare.js';
import type { RunEvent } from '../results/events.js';
import type { CellResult } from '../results/result.js';
import { placeholderRecord, type CellWhy, type TriageRecord } from '../results/triage.js';
import type { RuntimeChoice } from '../runtime/select.js';
import { ResultStore, type RunRecord } from '../store/store.js';
import type { RunFacts } from '../triage/failure.js';
import { groupFailures } from '../triage/plan.js';
import { realTriageWork } from '../triage/real.js';
import { runTriageStage, type TriageWork } from '../triage/stage.js';

/** A run as stored: everything a summary and a triage need. */
export interface StoredRun {
  run: RunRecord;
  cells: Cell[];
  results: Map<string, CellResult>;
  baseline: { run: RunRecord; results: Map<string, CellResult> } | undefined;
  comparison: RunComparison;
  /** The run's own duration (the executor's), when known. */
  durationMs: number;
  interrupted: boolean;
}

export function readStoredRun(store: ResultStore, run: RunRecord): StoredRun {
  const cells = store.cellsOf(run.id);
  const results = store.resultsOf(run.id);
  const before = store.previousCompleted(run.identity, run);
  const baseline = before ? { run: before, results: store.resultsOf(before.id) } : undefined;
  const comparison = compareRun(
    cells.map((c) => c.id),
    results,
    baseline ? { runId: baseline.run.id, results: baseline.results } : undefined,
  );
  const end = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
  return {
    run,
    cells,
    results,
    baseline,
    comparison,
    durationMs: Math.max(0, end - Date.parse(run.startedAt)),
    interrupted: run.state !== 'completed',
  };
}

interface Extras {
  why: ReadonlyMap<string, CellWhy>;
  triage: ReadonlyMap<string, TriageRecord>;
  state: Pick<TriageSummary, 'state' | 'reason'>;
}

async function report(
  s: StoredRun,
  storePath: string,
  x: Extras,
  exitCode?: 0 | 1 | 2,
): Promise<RunSummary> {
  return writeRunReports(
    buildRunSummary({
      runId: s.run.id,
      matrix: { identity: s.run.identity, file: s.run.matrixFile, contentHash: s.run.matrixHash },
      runDir: s.run.runDir,
      store: storePath,
      startedAt: s.run.startedAt,
      finishedAt: s.run.finishedAt ?? new Date().toISOString(),
      durationMs: s.durationMs,
      interrupted: s.interrupted,
      exitCode: exitCode ?? exitCodeFor(s.comparison, s.interrupted),
      cells: s.cells,
      results: s.results,
      comparison: s.comparison,
      why: x.why,
      triage: x.triage,
      triageState: x.state,
    }),
  );
}

/** What a run's triage ran with, stored so `kmatrix triage RUN_ID` continues alike. */
export interface RememberedTriage {
  settings: TriageSettings;
  runtime: RuntimeChoice;
  stepTimeoutMs?: number;
}

export interface TriageStageOptions {
  storePath: string;
  settings: TriageSettings;
  remember: RememberedTriage;
  /** false: --no-triage / triage.enabled false / an interrupted run: why only. */
  enabled: boolean;
  notRunReason?: string;
  only?: ReadonlySet<string>;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  work: TriageWork;
}

/**
 * Why, reports, then the triage stage and the reports again. The run is already `completed`
 * in the store; a stop during triage leaves the triage `incomplete` (exit 2).
 */
export async function whyAndTriage(
  s: StoredRun,
  store: ResultStore,
  o: TriageStageOptions,
): Promise<{ summary: RunSummary; triageComplete: boolean }> {
  const why = await o.work.why(s.cells, s.results, s.run.runDir);
  store.putWhy(s.run.id, why);
  const groups = groupFailures(s.cells, s.results, s.comparison.cells);
  const existing = store.triageOf(s.run.id);
  if (!o.enabled || groups.length === 0) {
    const prior = store.triageRunOf(s.run.id)?.state;
    const state = existing.size && prior ? (prior === 'done' ? 'done' : 'incomplete') : 'not-run';
    const reason = groups.length === 0 ? 'no new failure' : (o.notRunReason ?? 'triage is off');
    const x: Extras = { why, triage: existing, state: { state, reason } };
    return { summary: await report(s, o.storePath, x), triageComplete: true };
  }
  // Until each failure's record is in, the reports say its triage is running.
  const waiting = new Map(existing);
  for (const g of groups) {
    if (waiting.has(g.cell.id)) continue;
    const rec = placeholderRecord({
      status: 'incomplete',
      reason: 'the triage is running',
      cell: g.cell.id,
      sharedWith: g.members.slice(1).map((c) => c.id),
      fingerprints: g.fingerprints,
    });
    for (const c of g.members) waiting.set(c.id, rec);
  }
  await report(s, o.storePath, { why, triage: waiting, state: { state: 'running', reason: null } });
  store.startTriage(s.run.id, o.remember, process.pid);
  let complete = false;
  try {
    const facts: RunFacts = {
      runId: s.run.id,
      runDir: s.run.runDir,
      cells: s.cells,
      results: s.results,
      sources: s.run.sources,
      baseline: s.baseline
        ? { runId: s.baseline.run.id, results: s.baseline.results, sources: s.baseline.run.sources }
        : undefined,
      why,
      settings: o.settings,
    };
    const out = await runTriageStage({
      run: facts,
      groups,
      existing,
      ...(o.only ? { only: o.only } : {}),
      signal: o.signal,
      emit: o.emit,
      record: (ids, rec) => store.putTriage(s.run.id, ids, rec),
      work: o.work,
    });
    complete = out.complete;
  } finally {
    store.finishTriage(s.run.id, complete ? 'done' : 'incomplete');
  }
  const state: Extras['state'] = complete
    ? { state: 'done', reason: null }
    : { state: 'incomplete', reason: `continue with kmatrix triage ${s.run.id}` };
  const summary = await report(
    s,
    o.storePath,
    { why, triage: store.triageOf(s.run.id), state },
    o.signal.aborted ? 2 : undefined,
  );
  return { summary, triageComplete: complete };
}

export interface StoredTriageOptions {
  storePath: string;
  /** A run id; undefined: the newest completed run in the store. */
  runId?: string;
  /** Cell ids (or unique prefixes) whose failures are triaged again. */
  cells: readonly string[];
  cwd: string;
  /** Override the matrix's runtime. */
  runtime?: RuntimeChoice;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
}

/** The run `kmatrix triage` works on, checked: completed, not being triaged right now. */
export function pickRun(
  store: ResultStore,
  o: Pick<StoredTriageOptions, 'runId' | 'storePath'>,
): RunRecord {
  const run = o.runId ? store.getRun(o.runId) : store.latestCompleted();
  if (!run)
    throw new KmatrixError(
      'usage',
      o.runId
        ? `no run ${printable(o.runId)} in ${printable(o.storePath)}`
        : `no completed run in ${printable(o.storePath)}`,
    );
  if (run.state !== 'completed')
    throw new KmatrixError(
      'usage',
      `run ${run.id} is ${run.state}: triage works on completed runs (finish it with kmatrix run --resume ${run.id})`,
    );
  const t = store.triageRunOf(run.id);
  if (t?.state === 'running' && t.pid && t.pid !== process.pid && pidAlive(t.pid))
    throw new KmatrixError('usage', `run ${run.id} is being triaged right now (pid ${t.pid})`);
  return run;
}

/** --cell values: ids or unique prefixes of the run's new-failure cells. */
export function resolveCells(s: StoredRun, wanted: readonly string[]): Set<string> {
  const failing = s.cells.filter((c) => s.comparison.cells.get(c.id)?.change === 'new-failure');
  const out = new Set<string>();
  const bad: string[] = [];
  for (const w of wanted) {
    const hits = failing.filter((c) => c.id.startsWith(w.toLowerCase()));
    if (hits.length === 1) out.add(hits[0]!.id);
    else bad.push(`${JSON.stringify(w)}${hits.length > 1 ? ' (ambiguous)' : ''}`);
  }
  if (bad.length)
    throw new KmatrixError(
      'usage',
      `--cell ${bad.join(', ')}: not a new failure of run ${s.run.id}; accepted: ${failing.map((c) => c.id).join(', ') || '(the run has no new failure)'}`,
    );
  return out;
}

/**
 * The triage settings and runtime a stored run is triaged with: those it was triaged with
 * before, else its matrix file's (when the file is still there), else the defaults.
 */
export async function storedSettings(
  store: ResultStore,
  run: RunRecord,
  cwd: string,
): Promise<RememberedTriage & { note: string | null }> {
  const before = store.triageRunOf(run.id)?.settings as RememberedTriage | undefined;
  if (before?.settings) return { ...before, note: null };
  try {
    const m = await loadMatrix(run.matrixFile, cwd);
    return {
      settings: m.triage,
      runtime: m.matrix.runtime,
      stepTimeoutMs: parseDuration(m.matrix.timeout),
      note: null,
    };
  } catch (e) {
    return {
      settings: triageSettings(TriageSchema.parse({}), cwd),
      runtime: 'auto',
      note: `the matrix file ${run.matrixFile} could not be read (${errorMessage(e).split('\n')[0]}): default triage settings`,
    };
  }
}

export interface TriageStoredOptions extends StoredTriageOptions {
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  ccache: boolean;
  jobs?: number;
}

/** `kmatrix triage [RUN_ID] [--cell ID]...`: triage a stored run, or continue its triage. */
export async function triageStoredRun(
  o: TriageStoredOptions,
  deps: { work?: TriageWork } = {},
): Promise<{ summary: RunSummary; triageComplete: boolean }> {
  // Opening a store creates it: a mistyped --results must not leave an empty one behind.
  if (!existsSync(o.storePath))
    throw new KmatrixError(
      'usage',
      `no results store at ${printable(o.storePath)}; give the --results DIR (or --store FILE) kmatrix run used`,
    );
  const store = new ResultStore(o.storePath);
  try {
    const run = pickRun(store, o);
    const s = readStoredRun(store, run);
    const only = o.cells.length ? resolveCells(s, o.cells) : undefined;
    const st = await storedSettings(store, run, o.cwd);
    if (st.note) o.emit({ type: 'run:note', message: st.note });
    const remember: RememberedTriage = {
      settings: st.settings,
      runtime: o.runtime ?? st.runtime,
      ...(st.stepTimeoutMs ? { stepTimeoutMs: st.stepTimeoutMs } : {}),
    };
    const work =
      deps.work ??
      realTriageWork({
        cwd: o.cwd,
        env: o.env,
        cacheDir: o.cacheDir,
        ccache: o.ccache,
        runtime: remember.runtime,
        ...(o.jobs ? { jobs: o.jobs } : {}),
        ...(remember.stepTimeoutMs ? { stepTimeoutMs: remember.stepTimeoutMs } : {}),
      });
    return await whyAndTriage(s, store, {
      storePath: o.storePath,
      settings: st.settings,
      remember,
      enabled: true,
      ...(only ? { only } : {}),
      signal: o.signal,
      emit: o.emit,
      work,
    });
  } finally {
    store.close();
  }
}
