// What one matrix cell ended as, as stored and reported. Statuses are those of a build
// (src/build/result.ts); a config-only cell ends `pass` when every pin holds.
import type { BuildStatus } from '../build/result.js';
import type { PinResult, ConfigVerdict } from '../config/verify.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';

export type CellStatus = BuildStatus;
export const CELL_STATUSES: readonly CellStatus[] = [
  'pass',
  'fail',
  'config-unsatisfied',
  'timeout',
  'infra-error',
  'cancelled',
];

/** Statuses that say something about the kernel (as opposed to about kmatrix or the machine). */
export function isBroken(s: CellStatus): boolean {
  return s === 'fail' || s === 'config-unsatisfied' || s === 'timeout';
}

/** A result that a resumed run keeps (cancelled cells run again). */
export function isFinal(s: CellStatus): boolean {
  return s !== 'cancelled';
}

/** Paths relative to the run directory, so the directory can be moved or served as is. */
export interface CellFiles {
  config?: string;
  log?: string;
  reproducer?: string;
  result?: string;
  diagnostics?: string;
  /** `solve: true` cells: kmatrix solve's answer or proof, as text (solve.json beside it). */
  solve?: string;
}

/** What kmatrix solve did for a `solve: true` cell before its config was generated. */
export interface CellSolve {
  verdict: 'holds' | 'satisfiable' | 'unsatisfiable' | 'undecided';
  /** The extra pins added to the cell's pins (SYM=VAL), in the order conf got them. */
  extra: string[];
  /** Unsatisfiable: the proof in one line; undecided: why there is no answer. */
  reason?: string;
  ms: number;
}

export interface CellResult {
  cellId: string;
  status: CellStatus;
  /** One line saying why, for everything but pass and fail. */
  reason?: string;
  /** Where the cell stopped: config generation or the build. */
  stage: 'config' | 'build';
  verdict: ConfigVerdict | null;
  pins: PinResult[];
  diagnostics: Diagnostic[];
  counts: { errors: number; warnings: number };
  durationMs: number;
  configMs: number;
  buildMs: number;
  /** Time inside the cell's work (config + build), for overhead accounting. */
  workMs: number;
  attempts: number;
  /** sha256 of .config + tree + arch + toolchain + targets (build cells). */
  configHash: string | null;
  /** The cell whose identical build this cell reuses. */
  dedupedFrom: string | null;
  files: CellFiles;
  artifacts: string[];
  finishedAt: string;
  /** The queue worker that ran the cell (queue runs only). */
  worker?: string;
  /** `solve: true` cells only. */
  solve?: CellSolve;
}
