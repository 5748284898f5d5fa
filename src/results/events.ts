// Typed events of a matrix run. The run and its scheduler emit them; reporters (TTY status
// line, plain lines, --events NDJSON) render them.
import type { CellStatus } from './result.js';
import type { TriageStatus, Verification } from './triage.js';

export interface CellRef {
  id: string;
  label: string;
}

export type RunEvent =
  | {
      type: 'run:start';
      runId: string;
      runDir: string;
      total: number;
      toRun: number;
      resumed: boolean;
      configJobs: number;
      buildJobs: number;
      makeJobs: number;
      /** Queue runs: the Redis the cells go through (password masked). */
      queue?: string;
    }
  | { type: 'run:note'; message: string }
  | { type: 'cell:skip'; cell: CellRef; status: CellStatus }
  | {
      type: 'cell:start';
      cell: CellRef;
      stage: 'config' | 'build';
      attempt: number;
      /** The queue worker that started it (queue runs only). */
      worker?: string;
    }
  | {
      type: 'cell:retry';
      cell: CellRef;
      stage: 'config' | 'build';
      attempt: number;
      reason: string;
    }
  | {
      type: 'cell:done';
      cell: CellRef;
      status: CellStatus;
      ms: number;
      dedupedFrom: string | null;
      reason?: string;
    }
  | { type: 'run:interrupted'; reason: string }
  | { type: 'run:done'; runId: string; ms: number; done: number; total: number }
  | {
      type: 'triage:start';
      runId: string;
      /** New failures, distinct failures (same fingerprints, source, toolchain), to triage now. */
      failures: number;
      distinct: number;
      todo: number;
    }
  | { type: 'triage:step'; cell: CellRef; message: string }
  | {
      type: 'triage:done';
      cell: CellRef;
      status: TriageStatus;
      culprit: string | null;
      verification: Verification;
      ms: number;
      reason?: string;
    }
  | { type: 'triage:end'; runId: string; ms: number; complete: boolean };
