// How a run's cells get executed: runMatrix plans the run and hands the cells to an Executor,
// which runs config+build for each and hands every result to `record` as it finishes. The
// local executor schedules the work on this machine (local-executor.ts); the queue executor
// enqueues the same cells to workers and streams their results back (queue-executor.ts).
import type { RuntimeChoice } from '../runtime/select.js';
import type { ScheduleOptions, ScheduleOutcome } from '../schedule/scheduler.js';

/** What the scheduler takes, less the work and the clock (each executor brings its own). */
export interface ExecuteJob extends Omit<ScheduleOptions, 'work' | 'clock'> {
  /** Where builds run (the matrix file's choice or --runtime). */
  runtime: RuntimeChoice;
}

export type ExecuteOutcome = ScheduleOutcome;

export interface Executor {
  execute(job: ExecuteJob): Promise<ExecuteOutcome>;
}
