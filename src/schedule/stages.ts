// A cell's two stages under the scheduler: each attempt gets the cell's remaining time as a
// signal, its outcome is classified (timeout, cancelled), infrastructure errors go round
// withRetries, and the cell's result is built in one place (cellResult).
import { join } from 'node:path';
import type { PinResult, ConfigVerdict } from '../config/verify.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { countBySeverity } from '../diagnostics/parse.js';
import { cellLabel, type Cell } from '../matrix/cell.js';
import type { CellRef, RunEvent } from '../results/events.js';
import type { CellFiles, CellResult, CellSolve, CellStatus } from '../results/result.js';
import type { BuildStage, CellWork, ConfigStage } from './cell-work.js';
import type { Clock } from './clock.js';
import { withRetries } from './retry.js';

/** What the stages share of a running schedule. */
export interface StageRun {
  runDir: string;
  timeoutMs: number;
  retries: number;
  makeJobs: number;
  work: CellWork;
  clock: Clock;
  /** The run's signal: the caller's abort, or a failed record. */
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  /** Hands a finished cell's result on (results map, store, cell:done). */
  finish: (cell: Cell, r: CellOutcome) => void;
}

export type CellOutcome = Omit<CellResult, 'cellId' | 'finishedAt'>;

/** A cell whose config stage passed and that goes on to the build stage. */
export interface Configured {
  cell: Cell;
  stage: Extract<ConfigStage, { kind: 'configured' }>;
  configMs: number;
  attempts: number;
}

export const ref = (c: Cell): CellRef => ({ id: c.id, label: cellLabel(c) });

function dirOf(run: StageRun, cell: Cell) {
  const relDir = join('cells', cell.id);
  return { relDir, outDir: join(run.runDir, relDir) };
}

/** A cell's time covers its own work: config stage plus build, not the wait in the build queue. */
function stageSignal(run: StageRun, since: number, spentBefore: number) {
  const left = Math.max(1, run.timeoutMs - spentBefore - (run.clock.now() - since));
  const timer = run.clock.timeout(left);
  return { signal: AbortSignal.any([run.signal, timer]), timer, left };
}

/** The config stage with its retries; returns the cell when it goes on to a build. */
export async function configCell(run: StageRun, cell: Cell): Promise<Configured | undefined> {
  const cellStart = run.clock.now();
  const tried = await withRetries({
    retries: run.retries,
    clock: run.clock,
    signal: run.signal,
    attempt: (n) => configAttempt(run, cell, n, cellStart),
    retryReason: (s) => (s.kind === 'failed' && s.status === 'infra-error' ? s.reason : undefined),
    onRetry: (attempt, reason) =>
      run.emit({ type: 'cell:retry', cell: ref(cell), stage: 'config', attempt, reason }),
  });
  const stage = tried.value;
  const configMs = run.clock.now() - cellStart;
  const common = {
    stage: 'config' as const,
    files: stage.files,
    durationMs: configMs,
    configMs,
    buildMs: 0,
    workMs: tried.workMs,
    attempts: tried.attempts,
  };
  if (stage.kind === 'failed') {
    run.finish(
      cell,
      cellResult({ ...common, status: stage.status, reason: stage.reason, configHash: null }),
    );
    return undefined;
  }
  const unsatisfied = stage.verdict === 'unsatisfied';
  if (cell.build && !(unsatisfied && !cell.allowUnsatisfied))
    return { cell, stage, configMs, attempts: tried.attempts };
  const bad = stage.pins.filter((p) => p.status !== 'holds');
  run.finish(
    cell,
    cellResult({
      ...common,
      status: unsatisfied ? 'config-unsatisfied' : 'pass',
      reason: unsatisfied
        ? (stage.reason ??
          `${bad.length} pin(s) did not hold: ${bad.map((p) => `${p.symbol} (${p.status})`).join(', ')}`)
        : undefined,
      configured: stage,
      diagnostics: stage.diagnostics,
      configHash: cell.build ? stage.configHash : null,
    }),
  );
  return undefined;
}

async function configAttempt(
  run: StageRun,
  cell: Cell,
  attempt: number,
  cellStart: number,
): Promise<ConfigStage> {
  run.emit({ type: 'cell:start', cell: ref(cell), stage: 'config', attempt });
  const { signal, timer } = stageSignal(run, cellStart, 0);
  let stage: ConfigStage;
  try {
    stage = await run.work.config(cell, { ...dirOf(run, cell), signal, timeoutMs: run.timeoutMs });
  } catch (e) {
    stage = { kind: 'failed', status: 'infra-error', reason: `internal: ${String(e)}`, files: {} };
  }
  if (stage.kind === 'configured') return stage;
  if (stage.status !== 'timeout' && timer.aborted && !run.signal.aborted)
    return {
      ...stage,
      status: 'timeout',
      reason: `config stage did not finish within ${run.timeoutMs / 1000}s`,
    };
  if (run.signal.aborted) return { ...stage, status: 'cancelled', reason: 'the run was stopped' };
  return stage;
}

/** Builds the first cell of a group of identical configs; the others get its result. */
export async function buildGroup(run: StageRun, group: readonly Configured[]): Promise<void> {
  const lead = group[0]!;
  const buildStart = run.clock.now();
  const tried = await withRetries({
    retries: run.retries,
    clock: run.clock,
    signal: run.signal,
    attempt: (n) => buildAttempt(run, lead, n, buildStart),
    retryReason: (b) => (b.status === 'infra-error' ? (b.reason ?? '') : undefined),
    onRetry: (attempt, reason) =>
      run.emit({ type: 'cell:retry', cell: ref(lead.cell), stage: 'build', attempt, reason }),
  });
  let out = tried.value;
  if (run.signal.aborted && out.status !== 'pass' && out.status !== 'fail')
    out = { ...out, status: 'cancelled', reason: 'the run was stopped' };
  const result = cellResult({
    status: out.status,
    reason: out.reason || undefined,
    stage: 'build',
    configured: lead.stage,
    diagnostics: [...lead.stage.diagnostics, ...out.diagnostics],
    files: { ...out.files, ...solveFile(lead.stage.files) },
    artifacts: out.artifacts,
    durationMs: lead.configMs + (run.clock.now() - buildStart),
    configMs: lead.configMs,
    buildMs: tried.workMs,
    workMs: lead.configMs + tried.workMs,
    attempts: lead.attempts + tried.attempts - 1,
    configHash: lead.stage.configHash,
  });
  run.finish(lead.cell, result);
  if (result.status !== 'cancelled')
    for (const f of group.slice(1)) run.finish(f.cell, followerResult(f, result, lead.cell.id));
}

async function buildAttempt(
  run: StageRun,
  lead: Configured,
  attempt: number,
  buildStart: number,
): Promise<BuildStage> {
  run.emit({ type: 'cell:start', cell: ref(lead.cell), stage: 'build', attempt });
  const { signal, timer, left } = stageSignal(run, buildStart, lead.configMs);
  let out: BuildStage;
  try {
    out = await run.work.build(lead.cell, lead.stage.handle, {
      ...dirOf(run, lead.cell),
      signal,
      timeoutMs: left,
      makeJobs: run.makeJobs,
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
  if (out.status === 'cancelled' && timer.aborted && !run.signal.aborted)
    return {
      ...out,
      status: 'timeout',
      reason: `the cell did not finish within ${run.timeoutMs / 1000}s`,
    };
  return out;
}

/**
 * A cell whose resolved config equals `lead`'s: its own config files (and what solve did for
 * it), the lead's build.
 */
export function followerResult(f: Configured, lead: CellOutcome, leadId: string): CellOutcome {
  const leadFiles = { ...lead.files };
  delete leadFiles.solve;
  return cellResult({
    status: lead.status,
    reason: lead.reason,
    stage: lead.stage,
    configured: f.stage,
    diagnostics: lead.diagnostics,
    files: {
      ...leadFiles,
      ...(f.stage.files.config ? { config: f.stage.files.config } : {}),
      ...solveFile(f.stage.files),
    },
    artifacts: lead.artifacts,
    durationMs: f.configMs,
    configMs: f.configMs,
    buildMs: 0,
    workMs: f.configMs,
    attempts: f.attempts,
    configHash: f.stage.configHash,
    dedupedFrom: leadId,
  });
}

interface ResultParts {
  status: CellStatus;
  reason?: string | undefined;
  stage: 'config' | 'build';
  /** The config stage's verdict and pins, and what solve did (none when it failed). */
  configured?: { verdict: ConfigVerdict; pins: PinResult[]; solve?: CellSolve };
  diagnostics?: Diagnostic[];
  files: CellFiles;
  artifacts?: string[];
  durationMs: number;
  configMs: number;
  buildMs: number;
  workMs: number;
  attempts: number;
  configHash: string | null;
  dedupedFrom?: string;
}

/** The one place a cell's result is assembled. */
function cellResult(p: ResultParts): CellOutcome {
  const diagnostics = p.diagnostics ?? [];
  return {
    status: p.status,
    ...(p.reason !== undefined ? { reason: p.reason } : {}),
    stage: p.stage,
    verdict: p.configured?.verdict ?? null,
    pins: p.configured?.pins ?? [],
    diagnostics,
    counts: countBySeverity(diagnostics),
    durationMs: p.durationMs,
    configMs: p.configMs,
    buildMs: p.buildMs,
    workMs: p.workMs,
    attempts: p.attempts,
    configHash: p.configHash,
    dedupedFrom: p.dedupedFrom ?? null,
    files: p.files,
    artifacts: p.artifacts ?? [],
    ...(p.configured?.solve ? { solve: p.configured.solve } : {}),
  };
}

const solveFile = (files: CellFiles): CellFiles => (files.solve ? { solve: files.solve } : {});
