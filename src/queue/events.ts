// What a worker is and says: its heartbeat record (read by `kmatrix workers` and by a
// coordinator that checks some worker can take its cells), and the typed events a worker
// emits for its reporters (src/report/workers.ts).
import type { CellResources } from '../matrix/resources.js';
import type { CellStatus } from '../results/result.js';

export interface RunningJob {
  jobId: string;
  /** The cell as people read it: debian:6.1 arm tiny gcc. */
  label: string;
  attempt: number;
  startedAt: string;
  resources: CellResources;
}

export interface WorkerInfo {
  name: string;
  host: string;
  pid: number;
  version: string;
  /** Total capacity and labels, as given to `kmatrix worker`. */
  cpus: number;
  memBytes: number;
  labels: string[];
  runtime: string;
  free: { cpus: number; memBytes: number };
  running: RunningJob[];
  startedAt: string;
  seenAt: string;
}

export type WorkerEvent =
  | {
      type: 'worker:start';
      name: string;
      host: string;
      pid: number;
      cpus: number;
      memBytes: number;
      labels: string[];
      redis: string;
    }
  | { type: 'worker:reaped'; containers: string[]; processes: number; previousPid: number | null }
  | { type: 'worker:note'; message: string }
  | { type: 'job:start'; jobId: string; label: string; attempt: number; resources: CellResources }
  | {
      type: 'job:done';
      jobId: string;
      status: CellStatus;
      ms: number;
      bytes: number;
      files: number;
    }
  | { type: 'job:retry'; jobId: string; attempt: number; reason: string }
  /** The attempt lost its job (its lock expired and another worker has it): nothing is kept. */
  | { type: 'job:rejected'; jobId: string; attempt: number; reason: string }
  /** Not a valid cell job, or a source this worker may not build. */
  | { type: 'job:refused'; jobId: string; reason: string }
  | { type: 'worker:stop'; reason: string };
