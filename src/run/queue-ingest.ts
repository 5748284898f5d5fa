// A finished job, taken in by the coordinator exactly once: its files unpacked into
// runs/<id>/cells/<cell>/, its result checked and recorded in the store, and only then its
// files' key and the job deleted (a coordinator killed in between finds the result stored on
// resume and only cleans up). Jobs that failed for good become infra-error results; a job
// whose files vanished from Redis runs again while it has attempts left.
import { join } from 'node:path';
import { Job, type Queue } from 'bullmq';
import { errorMessage } from '../core/errors.js';
import { unpackFiles } from '../queue/artifacts.js';
import { checkReturn } from '../queue/job.js';
import { ARTIFACT_PATTERN, PREFIX } from '../queue/keys.js';
import type { QueueConnection } from '../queue/redis.js';
import type { CellResult } from '../results/result.js';
import type { QueuedCell } from './queue-submit.js';
import { addJobs } from './queue-submit.js';
import { bareResult } from './worker-job.js';

export interface Ingest {
  conn: QueueConnection;
  runDir: string;
  maxAttempts: number;
  queueOf: (shape: string) => Queue;
  pending: Map<string, QueuedCell>;
  /** True once the run is being cancelled: cancelled results are then final for this run. */
  cancelling: () => boolean;
  record: (q: QueuedCell, r: CellResult) => void;
  retry: (q: QueuedCell, attempt: number, reason: string) => void;
  wake: () => void;
  note: (message: string) => void;
}

export async function ingestJob(
  i: Ingest,
  jobId: string,
  how: 'completed' | 'failed' | 'lookup',
): Promise<void> {
  const q = i.pending.get(jobId);
  if (!q) return;
  const job = await Job.fromId(i.queueOf(q.shape), jobId);
  if (!job) return;
  const state = await job.getState();
  if (state === 'failed') {
    const reason = i.conn.redact(job.failedReason || 'the job failed');
    i.record(q, bareResult(q.cell, 'infra-error', reason, Math.max(1, job.attemptsStarted)));
    await cleanup(i, job, undefined);
    return;
  }
  if (state !== 'completed') {
    if (how === 'failed') {
      i.retry(q, job.attemptsStarted, i.conn.redact(job.failedReason || 'infrastructure error'));
      i.wake();
    }
    return;
  }
  const rv = checkReturn(q.cell.id, job.returnvalue);
  if (!rv.ok) {
    i.record(q, bareResult(q.cell, 'infra-error', rv.reason, Math.max(1, job.attemptsStarted)));
    await cleanup(i, job, undefined);
    return;
  }
  const { value } = rv;
  let result: CellResult = value.result;
  const key = value.artifact?.key;
  if (value.artifact && key) {
    const files = await takeFiles(i, q, jobId, key);
    if (files.kind === 'missing' && value.attempt < i.maxAttempts) {
      i.retry(
        q,
        value.attempt,
        'its files were gone from Redis (expired or lost); running it again',
      );
      await job.retry('completed');
      i.wake();
      return;
    }
    if (files.kind !== 'ok')
      result = {
        ...result,
        status: 'infra-error',
        reason:
          files.kind === 'missing'
            ? 'the cell ran, but its files were gone from Redis'
            : files.reason,
      };
  }
  if (result.status === 'cancelled' && !i.cancelling()) {
    // Left by an earlier, cancelled run of this run id: run it again.
    await cleanup(i, job, key);
    await addJobs(i.queueOf, [q]);
    i.wake();
    return;
  }
  i.record(q, result);
  await cleanup(i, job, key);
}

async function takeFiles(
  i: Ingest,
  q: QueuedCell,
  jobId: string,
  key: string,
): Promise<{ kind: 'ok' } | { kind: 'missing' } | { kind: 'bad'; reason: string }> {
  if (!key.startsWith(`${PREFIX}:artifact:${jobId}:`))
    return { kind: 'bad', reason: `the worker named files under another job's key (${key})` };
  const data = await i.conn.redis.getBuffer(key);
  if (!data) return { kind: 'missing' };
  try {
    await unpackFiles(data, join(i.runDir, 'cells', q.cell.id));
    return { kind: 'ok' };
  } catch (e) {
    return { kind: 'bad', reason: `the cell's files could not be unpacked: ${errorMessage(e)}` };
  }
}

async function cleanup(i: Ingest, job: Job, key: string | undefined): Promise<void> {
  if (key) await i.conn.redis.del(key).catch(() => 0);
  await job.remove().catch(() => undefined);
}

/**
 * Jobs and files of cells a resumed run already has (a coordinator killed after storing a
 * result but before deleting its job): deleted.
 */
export async function sweepDone(
  conn: QueueConnection,
  done: readonly { jobId: string; queue: Queue }[],
): Promise<void> {
  for (const d of done) {
    await d.queue.remove(d.jobId).catch(() => 0);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await conn.redis.scan(
        cursor,
        'MATCH',
        `${ARTIFACT_PATTERN.slice(0, -1)}${d.jobId}:*`,
        'COUNT',
        1000,
      );
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length) await conn.redis.del(...keys);
  }
}
