// The seam between the scheduler and the work of a cell: a config stage, then (for build
// cells) a build stage reusing what the config stage made. The real work (src/run/work.ts)
// drives generateConfig and runBuild; tests script outcomes and faults.
import type { PinResult, ConfigVerdict } from '../config/verify.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Cell } from '../matrix/cell.js';
import type { CellFiles, CellSolve, CellStatus } from '../results/result.js';

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
      verdict: ConfigVerdict;
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

/** The work of a cell. Expected outcomes are values; a throw is a bug (infra-error). */
export interface CellWork {
  config(cell: Cell, ctx: StageContext): Promise<ConfigStage>;
  build(cell: Cell, handle: unknown, ctx: StageContext & { makeJobs: number }): Promise<BuildStage>;
}
