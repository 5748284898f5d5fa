// Running a matrix's cells on p-queue: every config stage first (cheap, and it tells which
// builds are identical), then the builds, each identical resolved config built once.
// Infrastructure errors are retried a bounded number of times, compile errors never.
// An abort stops everything cleanly: queued work is dropped, running work sees the signal,
// and every cell that finished has been handed to `record` already.
import { join } from 'node:path';
import PQueue from 'p-queue';
import type { PinResult, Verdict } from '../config/verify.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { countBySeverity } from '../diagnostics/parse.js';
import { cellLabel, type Cell } from '../matrix/cell.js';
import type { CellRef, RunEvent } from '../results/events.js';
import type { Sizing } from './resources.js';
import type { CellFiles, CellResult, CellSolve, CellStatus } from '../results/result.js';

export interface StageContext {
  /** The cell's directory (absolute) and the same relative to the run dir. */
  outDir: string;
  relDir: string;
  /** Aborted on cancellation or when the cell's time is up. */
  signal: AbortSignal;
  /** Time left for this cell. */
  timeoutMs: number;
}

export type ConfigStage =
  | {
      kind: 'configured';
      verdict: Verdict;
      pins: PinResult[];
      /** sha256 of .config + tree + arch + toolchain + targets: equal hashes build once. */
      configHash: string;
      /** conf's warnings (kind `kconfig`): part of the cell's diagnostics, built or not. */
      diagnostics: Diagnostic[];
      files: CellFiles;
      /** Whatever the build stage needs from the config stage (opaque here). */
      handle: unknown;
      /** Why the pins did not hold, when the work knows better than the pin table (a proof). */
      reason?: string;
      /** What kmatrix solve did first (`solve: true` cells). */
      solve?: CellSolve;
    }
  | {
      kind: 'failed';
      status: Exclude<CellStatus, 'pass' | 'config-unsatisfied'>;
      reason: string;
      files: CellFiles;
    };

export interface BuildStage {
  status: CellStatus;
  reason?: string;
  diagnostics: Diagnostic[];
  files: CellFiles;
  artifacts: string[];
}

/** The work of a cell; the real one drives generateConfig and runBuild (src/run/work.ts). */
export interface CellWork {
  config(cell: Cell, ctx: StageContext): Promise<ConfigStage>;
  build(cell: Cell, handle: unknown, ctx: StageContext & { makeJobs: number }): Promise<BuildStage>;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    }),
};

export interface ScheduleOptions {
  runId: string;
  runDir: string;
  /** Every cell of the run, in display order. */
  cells: readonly Cell[];
  /** Results already stored (a resumed run): those cells are not run again. */
  done: ReadonlyMap<string, CellResult>;
  sizing: Sizing;
  timeoutMs: number;
  retries: number;
  /** Expected duration per cell id (from earlier runs): longer builds start first. */
  expectedMs?: ReadonlyMap<string, number>;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  /** Called as each cell finishes, before anything else happens (the store's transaction). */
  record: (r: CellResult) => void;
  work: CellWork;
  clock?: Clock;
}

export interface ScheduleOutcome {
  results: Map<string, CellResult>;
  /** True when the run was stopped before every cell had a result. */
  interrupted: boolean;
}

interface Configured {
  cell: Cell;
  stage: Extract<ConfigStage, { kind: 'configured' }>;
  configMs: number;
  attempts: number;
}

const ref = (c: Cell): CellRef => ({ id: c.id, label: cellLabel(c) });

export async function schedule(o: ScheduleOptions): Promise<ScheduleOutcome> {
  const clock = o.clock ?? realClock;
  const results = new Map<string, CellResult>(o.done);
  const started = clock.now();
  const finish = (cell: Cell, r: Omit<CellResult, 'cellId' | 'finishedAt'>) => {
    const full: CellResult = { ...r, cellId: cell.id, finishedAt: new Date().toISOString() };
    results.set(cell.id, full);
    o.record(full);
    o.emit({
      type: 'cell:done',
      cell: ref(cell),
      status: full.status,
      ms: full.durationMs,
      dedupedFrom: full.dedupedFrom,
      ...(full.reason ? { reason: full.reason } : {}),
    });
  };
  const dirOf = (cell: Cell) => {
    const relDir = join('cells', cell.id);
    return { relDir, outDir: join(o.runDir, relDir) };
  };
  // A cell's time covers its own work: config stage plus build, not the wait in the build queue.
  const stageSignal = (since: number, spentBefore = 0) => {
    const left = Math.max(1, o.timeoutMs - spentBefore - (clock.now() - since));
    const timer = AbortSignal.timeout(left);
    return { signal: AbortSignal.any([o.signal, timer]), timer, left };
  };
  const backoff = (attempt: number) => Math.min(1000 * 2 ** (attempt - 1), 10_000);

  for (const cell of o.cells) {
    const r = o.done.get(cell.id);
    if (r) o.emit({ type: 'cell:skip', cell: ref(cell), status: r.status });
  }
  const todo = o.cells.filter((c) => !o.done.has(c.id));

  // Stage 1: configs.
  const configured: Configured[] = [];
  const configQueue = new PQueue({ concurrency: o.sizing.configJobs });
  const onAbort = () => configQueue.clear();
  o.signal.addEventListener('abort', onAbort, { once: true });
  for (const cell of todo) {
    void configQueue.add(async () => {
      if (o.signal.aborted) return;
      const cellStart = clock.now();
      let attempt = 0;
      let workMs = 0;
      for (;;) {
        attempt++;
        o.emit({ type: 'cell:start', cell: ref(cell), stage: 'config', attempt });
        const { signal, timer } = stageSignal(cellStart);
        const t0 = clock.now();
        let stage: ConfigStage;
        try {
          stage = await o.work.config(cell, { ...dirOf(cell), signal, timeoutMs: o.timeoutMs });
        } catch (e) {
          stage = {
            kind: 'failed',
            status: 'infra-error',
            reason: `internal: ${String(e)}`,
            files: {},
          };
        }
        workMs += clock.now() - t0;
        if (
          stage.kind === 'failed' &&
          stage.status !== 'timeout' &&
          timer.aborted &&
          !o.signal.aborted
        )
          stage = {
            ...stage,
            status: 'timeout',
            reason: `config stage did not finish within ${o.timeoutMs / 1000}s`,
          };
        if (stage.kind === 'failed' && o.signal.aborted)
          stage = { ...stage, status: 'cancelled', reason: 'the run was stopped' };
        if (
          stage.kind === 'failed' &&
          stage.status === 'infra-error' &&
          attempt <= o.retries &&
          !o.signal.aborted
        ) {
          o.emit({
            type: 'cell:retry',
            cell: ref(cell),
            stage: 'config',
            attempt,
            reason: stage.reason,
          });
          await clock.sleep(backoff(attempt), o.signal);
          continue;
        }
        const configMs = clock.now() - cellStart;
        if (stage.kind === 'failed') {
          finish(cell, {
            status: stage.status,
            reason: stage.reason,
            stage: 'config',
            verdict: null,
            pins: [],
            diagnostics: [],
            counts: { errors: 0, warnings: 0 },
            durationMs: configMs,
            configMs,
            buildMs: 0,
            workMs,
            attempts: attempt,
            configHash: null,
            dedupedFrom: null,
            files: stage.files,
            artifacts: [],
          });
          return;
        }
        const unsatisfied = stage.verdict === 'unsatisfied';
        if (!cell.build || (unsatisfied && !cell.allowUnsatisfied)) {
          const bad = stage.pins.filter((p) => p.status !== 'holds');
          finish(cell, {
            status: unsatisfied ? 'config-unsatisfied' : 'pass',
            ...(unsatisfied
              ? {
                  reason:
                    stage.reason ??
                    `${bad.length} pin(s) did not hold: ${bad.map((p) => `${p.symbol} (${p.status})`).join(', ')}`,
                }
              : {}),
            stage: 'config',
            verdict: stage.verdict,
            pins: stage.pins,
            diagnostics: stage.diagnostics,
            counts: countBySeverity(stage.diagnostics),
            durationMs: configMs,
            configMs,
            buildMs: 0,
            workMs,
            attempts: attempt,
            configHash: cell.build ? stage.configHash : null,
            dedupedFrom: null,
            files: stage.files,
            artifacts: [],
            ...(stage.solve ? { solve: stage.solve } : {}),
          });
          return;
        }
        configured.push({ cell, stage, configMs, attempts: attempt });
        return;
      }
    });
  }
  await configQueue.onIdle();
  o.signal.removeEventListener('abort', onAbort);

  // Stage 2: builds, one per distinct resolved config; longest expected first.
  const groups = new Map<string, Configured[]>();
  for (const c of configured) {
    const g = groups.get(c.stage.configHash) ?? [];
    g.push(c);
    groups.set(c.stage.configHash, g);
  }
  // A resumed run may already hold the build of an identical config.
  const builtBefore = new Map<string, CellResult>();
  for (const r of results.values())
    if (r.configHash && r.stage === 'build' && !r.dedupedFrom) builtBefore.set(r.configHash, r);

  const followerResult = (f: Configured, lead: CellResult, leadId: string) => {
    // the build is the lead's; the config (and what solve did for it) is the follower's own
    const shared: CellResult = { ...lead };
    delete shared.solve;
    const files = { ...lead.files };
    delete files.solve;
    finish(f.cell, {
      ...shared,
      ...(f.stage.solve ? { solve: f.stage.solve } : {}),
      files: {
        ...files,
        ...(f.stage.files.config ? { config: f.stage.files.config } : {}),
        ...(f.stage.files.solve ? { solve: f.stage.files.solve } : {}),
      },
      verdict: f.stage.verdict,
      pins: f.stage.pins,
      durationMs: f.configMs,
      configMs: f.configMs,
      buildMs: 0,
      workMs: f.configMs,
      attempts: f.attempts,
      configHash: f.stage.configHash,
      dedupedFrom: leadId,
    });
  };

  const leaders: Configured[][] = [];
  for (const [hash, g] of groups) {
    const prior = builtBefore.get(hash);
    if (prior) {
      for (const f of g) followerResult(f, prior, prior.cellId);
      continue;
    }
    leaders.push(g);
  }
  const expected = (c: Configured) => o.expectedMs?.get(c.cell.id) ?? 0;
  leaders.sort((a, b) => expected(b[0]!) - expected(a[0]!));

  const buildQueue = new PQueue({ concurrency: o.sizing.buildJobs });
  const onAbort2 = () => buildQueue.clear();
  o.signal.addEventListener('abort', onAbort2, { once: true });
  for (const group of leaders) {
    const lead = group[0]!;
    void buildQueue.add(async () => {
      if (o.signal.aborted) return;
      let attempt = 0;
      let workMs = lead.configMs;
      let buildMs = 0;
      let out: BuildStage;
      const buildStart = clock.now();
      for (;;) {
        attempt++;
        o.emit({ type: 'cell:start', cell: ref(lead.cell), stage: 'build', attempt });
        const { signal, timer, left } = stageSignal(buildStart, lead.configMs);
        const t0 = clock.now();
        try {
          out = await o.work.build(lead.cell, lead.stage.handle, {
            ...dirOf(lead.cell),
            signal,
            timeoutMs: left,
            makeJobs: o.sizing.makeJobs,
          });
        } catch (e) {
          out = {
            status: 'infra-error',
            reason: `internal: ${String(e)}`,
            diagnostics: [],
            files: lead.stage.files,
            artifacts: [],
          };
        }
        buildMs += clock.now() - t0;
        workMs += clock.now() - t0;
        if (out.status === 'cancelled' && timer.aborted && !o.signal.aborted)
          out = {
            ...out,
            status: 'timeout',
            reason: `the cell did not finish within ${o.timeoutMs / 1000}s`,
          };
        if (out.status === 'infra-error' && attempt <= o.retries && !o.signal.aborted) {
          o.emit({
            type: 'cell:retry',
            cell: ref(lead.cell),
            stage: 'build',
            attempt,
            reason: out.reason ?? '',
          });
          await clock.sleep(backoff(attempt), o.signal);
          continue;
        }
        break;
      }
      if (o.signal.aborted && out.status !== 'pass' && out.status !== 'fail')
        out = { ...out, status: 'cancelled', reason: 'the run was stopped' };
      const diagnostics = [...lead.stage.diagnostics, ...out.diagnostics];
      const counts = countBySeverity(diagnostics);
      const durationMs = lead.configMs + (clock.now() - buildStart);
      finish(lead.cell, {
        status: out.status,
        ...(out.reason ? { reason: out.reason } : {}),
        stage: 'build',
        verdict: lead.stage.verdict,
        pins: lead.stage.pins,
        diagnostics,
        counts,
        durationMs,
        configMs: lead.configMs,
        buildMs,
        workMs,
        attempts: lead.attempts + attempt - 1,
        configHash: lead.stage.configHash,
        dedupedFrom: null,
        files: {
          ...out.files,
          ...(lead.stage.files.solve ? { solve: lead.stage.files.solve } : {}),
        },
        artifacts: out.artifacts,
        ...(lead.stage.solve ? { solve: lead.stage.solve } : {}),
      });
      const leadResult = results.get(lead.cell.id)!;
      if (leadResult.status !== 'cancelled')
        for (const f of group.slice(1)) followerResult(f, leadResult, lead.cell.id);
    });
  }
  await buildQueue.onIdle();
  o.signal.removeEventListener('abort', onAbort2);

  const interrupted = o.cells.some((c) => {
    const r = results.get(c.id);
    return !r || r.status === 'cancelled';
  });
  if (interrupted && o.signal.aborted)
    o.emit({ type: 'run:interrupted', reason: String(o.signal.reason ?? 'stopped') });
  o.emit({
    type: 'run:done',
    runId: o.runId,
    ms: clock.now() - started,
    done: o.cells.filter((c) => results.has(c.id)).length,
    total: o.cells.length,
  });
  return { results, interrupted };
}
