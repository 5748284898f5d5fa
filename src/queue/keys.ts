// Names in Redis, in one place. BullMQ queues live under the `kmatrix` prefix, one queue per
// resource shape (shape.ts); kmatrix's own keys sit beside them under the same prefix.
import { createHash } from 'node:crypto';
import type { CellResources } from '../matrix/resources.js';

export const PREFIX = 'kmatrix';

/** Job ids are `<run>.<cell>`: re-adding one is a no-op, so resume and re-runs add no duplicates. */
export function jobIdOf(runId: string, cellId: string): string {
  return `${runId}.${cellId}`;
}

export function splitJobId(jobId: string): { runId: string; cellId: string } | undefined {
  const m = /^([0-9]{8}-[0-9]{6}-[0-9a-f]{4})\.([0-9a-f]{12})$/.exec(jobId);
  return m ? { runId: m[1]!, cellId: m[2]! } : undefined;
}

export const RUN_ID = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$/;

/** A stable short name for a resource shape: c2-m2048 (+ a hash of the labels). No `:`. */
export function shapeKey(r: CellResources): string {
  const labels = r.labels.length
    ? `-l${createHash('sha256').update(r.labels.join('\n')).digest('hex').slice(0, 8)}`
    : '';
  return `c${r.cpus}-m${Math.ceil(r.memBytes / 2 ** 20)}${labels}`;
}

export const queueName = (shape: string): string => `cells-${shape}`;

/** Hash: shape key -> JSON CellResources, so workers know which queues exist. */
export const SHAPES_KEY = `${PREFIX}:shapes`;
/** Set of worker names; each has a heartbeat key that expires when the worker stops. */
export const WORKERS_KEY = `${PREFIX}:workers`;
export const workerKey = (name: string): string => `${PREFIX}:worker:${name}`;

/** A finished attempt's files, under a key only that attempt knows. */
export function artifactKey(jobId: string, attempt: number, token: string): string {
  return `${PREFIX}:artifact:${jobId}:${attempt}:${token}`;
}
export const ARTIFACT_PATTERN = `${PREFIX}:artifact:*`;

/** Published when jobs are added: idle workers look at once instead of at their next poll. */
export const WAKE_CHANNEL = `${PREFIX}:wake`;
/** Published with a run id when the run is cancelled: workers abort its jobs. */
export const CANCEL_CHANNEL = `${PREFIX}:cancel`;
export const cancelledKey = (runId: string): string => `${PREFIX}:cancelled:${runId}`;
