// How a run's cells get executed: runMatrix plans the run and hands the cells to an Executor,
// which runs config+build for each and hands every result to `record` as it finishes. The
// local executor schedules the work on this machine (local-executor.ts); a queue executor
// would enqueue the same job to remote workers and stream their results back.
import type { Cell } from '../matrix/cell.js';
import type { RunEvent } from '../results/events.js';
import type { CellResult } from '../results/result.js';
import type { RuntimeChoice } from '../runtime/select.js';
import type { Sizing } from '../schedule/resources.js';
import type { ScheduleOutcome } from '../schedule/scheduler.js';

export interface ExecuteJob {
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
  /** Where builds run (the matrix file's choice or --runtime). */
  runtime: RuntimeChoice;
  /** Expected duration per cell id (from the baseline run): longer builds start first. */
  expectedMs?: ReadonlyMap<string, number>;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  /** Called as each cell finishes; a throw ends the run with that error. */
  record: (r: CellResult) => void;
}

export type ExecuteOutcome = ScheduleOutcome;

export interface Executor {
  execute(job: ExecuteJob): Promise<ExecuteOutcome>;
}
