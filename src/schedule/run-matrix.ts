// `kmatrix run` as a function: load the matrix, open the store, plan (or resume) a run,
// schedule its cells, record each as it finishes, compare with the previous completed run of
// the same matrix, and write the reports. The CLI only parses options and sets the exit code.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BuildEvent } from '../build/events.js';
import { parseDuration } from '../build/targets.js';
import { generateConfig } from '../config/generate.js';
import { symbolLookup } from '../config/kconfig-bridge.js';
import { KmatrixError } from '../core/errors.js';
import { pidAlive } from '../fsutil/atomic.js';
import type { KmatrixEvent } from '../core/events.js';
import { applyFilters, parseFilter } from '../matrix/filter.js';
import { loadMatrix } from '../matrix/load.js';
import { execaRunner, type ProcessRunner } from '../process/runner.js';
import { writeRunReports } from '../report/run-files.js';
import { buildRunSummary, type RunSummary } from '../report/run-summary.js';
import type { Runtime } from '../runtime/runtime.js';
import { selectRuntime, type RuntimeChoice } from '../runtime/select.js';
import { parseSourceSpec } from '../source/spec.js';
import { resolveSource } from '../source/resolve.js';
import type { KernelTree } from '../source/tree.js';
import { compareRun, exitCodeFor } from '../store/compare.js';
import { ResultStore, type RunRecord } from '../store/store.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { RunEvent } from './events.js';
import { sizeRun, type Sizing } from './resources.js';
import { isFinal, type CellResult } from './result.js';
import { schedule, type CellWork, type Clock } from './scheduler.js';
import { realWork } from './work.js';

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
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  onBuildEvent?: (e: BuildEvent) => void;
}

export interface RunMatrixDeps {
  runner?: ProcessRunner;
  /** Replace the real config/build work (tests inject faults this way). */
  work?: CellWork;
  clock?: Clock;
  machine?: { cores: number; memoryBytes: number };
}

export function newRunId(now: Date = new Date()): string {
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
  const filters = o.filters.map(parseFilter);
  const store = new ResultStore(o.storePath);
  try {
    let run: RunRecord;
    let done = new Map<string, CellResult>();
    if (o.resume) {
      const found =
        typeof o.resume === 'string'
          ? store.getRun(o.resume)
          : store.latestUnfinished(loaded.identity);
      if (!found)
        throw new KmatrixError(
          'usage',
          typeof o.resume === 'string'
            ? `--resume ${o.resume}: no such run in ${o.storePath}`
            : `--resume: no unfinished run of ${loaded.identity} in ${o.storePath}`,
        );
      if (found.state === 'completed')
        throw new KmatrixError('usage', `--resume: run ${found.id} already completed`);
      if (
        found.pid &&
        found.pid !== process.pid &&
        found.state === 'running' &&
        pidAlive(found.pid)
      )
        throw new KmatrixError(
          'usage',
          `--resume: run ${found.id} is still running (pid ${found.pid})`,
        );
      if (o.filters.length)
        throw new KmatrixError(
          'usage',
          '--resume continues a run with its own cells; drop --filter',
        );
      run = found;
      for (const [id, r] of store.resultsOf(run.id)) if (isFinal(r.status)) done.set(id, r);
    } else {
      const cells = applyFilters(loaded.cells, filters);
      if (cells.length === 0)
        throw new KmatrixError(
          'usage',
          `--filter ${o.filters.map((f) => JSON.stringify(f)).join(' ')} matches none of the ${loaded.cells.length} cells of ${o.matrixPath}`,
        );
      const id = newRunId();
      run = {
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
      done = new Map();
    }
    store.setState(run.id, 'running', process.pid);
    const cells = store.cellsOf(run.id);
    await mkdir(run.runDir, { recursive: true });

    const baseline = store.previousCompleted(loaded.identity, run);
    const baselineResults = baseline ? store.resultsOf(baseline.id) : undefined;
    const machine = deps.machine ?? { cores: availableParallelism(), memoryBytes: totalmem() };
    const sizing = sizeRun(machine, o.sizing);
    const m = loaded.matrix;
    const timeoutMs = o.timeoutMs ?? parseDuration(m.timeout);
    const retries = o.retries ?? m.retries;
    const toRun = cells.filter((c) => !done.has(c.id));
    o.emit({
      type: 'run:start',
      runId: run.id,
      runDir: run.runDir,
      total: cells.length,
      toRun: toRun.length,
      resumed: Boolean(o.resume),
      ...sizing,
    });

    const work =
      deps.work ??
      (await makeRealWork(
        o,
        run,
        m.runtime,
        toRun.some((c) => c.build),
        toRun.map((c) => c.toolchain),
        deps,
      ));
    const started = Date.now();
    const outcome = await schedule({
      runId: run.id,
      runDir: run.runDir,
      cells,
      done,
      sizing,
      timeoutMs,
      retries,
      ...(baselineResults
        ? { expectedMs: new Map([...baselineResults].map(([k, r]) => [k, r.durationMs])) }
        : {}),
      signal: o.signal,
      emit: o.emit,
      record: (r) => store.recordResult(run.id, r),
      work,
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
    store.setState(run.id, outcome.interrupted ? 'interrupted' : 'completed');
    const comparison = compareRun(
      cells.map((c) => c.id),
      outcome.results,
      baseline && baselineResults ? { runId: baseline.id, results: baselineResults } : undefined,
    );
    const finished = store.getRun(run.id)!;
    const summary = buildRunSummary({
      runId: run.id,
      matrix: { identity: loaded.identity, file: loaded.file, contentHash: loaded.contentHash },
      runDir: run.runDir,
      store: o.storePath,
      startedAt: run.startedAt,
      finishedAt: finished.finishedAt ?? new Date().toISOString(),
      durationMs: Date.now() - started,
      interrupted: outcome.interrupted,
      exitCode: exitCodeFor(comparison, outcome.interrupted),
      cells,
      results: outcome.results,
      comparison,
    });
    return await writeRunReports(summary);
  } finally {
    store.close();
  }
}

async function makeRealWork(
  o: RunMatrixOptions,
  run: RunRecord,
  runtimeChoice: RuntimeChoice,
  anyBuild: boolean,
  toolchains: ToolchainName[],
  deps: RunMatrixDeps,
): Promise<CellWork> {
  const runner = deps.runner ?? execaRunner;
  const choice = o.runtime ?? runtimeChoice;
  const note = (e: KmatrixEvent) => {
    if (e.type === 'source:apt-update')
      o.emit({ type: 'run:note', message: `updating apt lists for ${e.suites.join(', ')}` });
    else if (e.type === 'source:download')
      o.emit({ type: 'run:note', message: `downloading ${e.pkg} from ${e.suite}` });
    else if (e.type === 'source:extract')
      o.emit({ type: 'run:note', message: `extracting ${e.pkg} into ${e.into}` });
    else if (e.type === 'source:ready' && !e.cached)
      o.emit({ type: 'run:note', message: `source ${e.label} ready at ${e.path}` });
    else if (e.type === 'config:tools' && !e.cached)
      o.emit({ type: 'run:note', message: `building Kconfig tools for ${e.tree} (once per tree)` });
  };
  // Runtimes first: a missing daemon or image must fail the run before any work is done.
  const runtimes = new Map<ToolchainName, Promise<Runtime>>();
  const runtimeFor = (tc: ToolchainName) => {
    let r = runtimes.get(tc);
    if (!r) {
      r = selectRuntime(choice, { env: o.env, toolchain: tc, runner }).then((s) => {
        o.emit({ type: 'run:note', message: `${tc}: ${s.note}` });
        return s.runtime;
      });
      runtimes.set(tc, r);
    }
    return r;
  };
  if (anyBuild) for (const tc of new Set(toolchains)) await runtimeFor(tc);
  const trees = new Map<string, Promise<KernelTree>>();
  const treeFor = (source: string) => {
    let t = trees.get(source);
    if (!t) {
      t = resolveSource(parseSourceSpec(source), {
        runner,
        cacheDir: o.cacheDir,
        cwd: o.cwd,
        emit: note,
        ...(o.env['KMATRIX_DEBIAN_MIRROR'] ? { mirror: o.env['KMATRIX_DEBIAN_MIRROR'] } : {}),
      });
      trees.set(source, t);
      t.catch(() => trees.delete(source));
    }
    return t;
  };
  return realWork({
    runDir: run.runDir,
    tree: treeFor,
    runtime: runtimeFor,
    generateConfig: (req, signal) =>
      generateConfig(req, {
        runner,
        cacheDir: o.cacheDir,
        env: o.env,
        emit: note,
        symbols: symbolLookup,
        signal,
      }),
    ...(o.ccache ? { ccacheDir: join(o.cacheDir, 'ccache') } : {}),
    ...(o.onBuildEvent ? { onBuildEvent: o.onBuildEvent } : {}),
  });
}
