// The queue executor (`kmatrix run --executor queue`): the coordinator side of scale-out. It
// adds one job per cell to BullMQ on Redis (queue-submit.ts), turns the workers' progress
// back into the run's own events, ingests each result the moment it arrives (files into
// runs/<id>/cells/<cell>/, the result into the store, then the job and its files are
// deleted), runs the stalled-job check that hands a dead worker's cell to another, and on
// abort removes queued jobs and tells workers to stop the running ones.
import { Queue, QueueEvents, Worker as BullWorker } from 'bullmq';
import { errorMessage } from '../core/errors.js';
import { cellLabel, type Cell } from '../matrix/cell.js';
import { describeResources } from '../matrix/resources.js';
import { execaRunner, type ProcessRunner } from '../process/runner.js';
import {
  CANCEL_CHANNEL,
  cancelledKey,
  jobIdOf,
  PREFIX,
  queueName,
  shapeKey,
  WAKE_CHANNEL,
} from '../queue/keys.js';
import { ProgressSchema } from '../queue/job.js';
import { bullConnection, connectQueue, type QueueConnection } from '../queue/redis.js';
import { canEverFit, listWorkers, registerShapes } from '../queue/registry.js';
import { parseRedisUrl } from '../queue/url.js';
import type { CellRef } from '../results/events.js';
import type { CellResult } from '../results/result.js';
import { endRun } from '../results/run-end.js';
import type { ExecuteJob, ExecuteOutcome, Executor } from './executor.js';
import { ingestJob, sweepDone, type Ingest } from './queue-ingest.js';
import { addJobs, prepareJobs, type Placement, type QueuedCell } from './queue-submit.js';

export interface QueueExecutorOptions {
  redisUrl: string;
  env: NodeJS.ProcessEnv;
  placement: (cell: Cell) => Placement;
  /** Starts allowed per cell, a dead worker's included. */
  maxAttempts: number;
  /** A worker's lock on its cell; the stalled check runs every half of it. */
  lockMs: number;
  images: boolean;
  runner?: ProcessRunner;
  /** After an abort, how long running cells have to come back cancelled. */
  cancelGraceMs?: number;
  /** How often outstanding jobs are looked up (what events missed: a Redis restart). */
  reconcileMs?: number;
}

interface Handles {
  conn: QueueConnection;
  queues: Map<string, Queue>;
  events: QueueEvents[];
  stallCheckers: BullWorker[];
}

export function queueExecutor(o: QueueExecutorOptions): Executor {
  return {
    async execute(job) {
      const target = parseRedisUrl(o.redisUrl, o.env);
      const note = (message: string) => job.emit({ type: 'run:note', message });
      const conn = await connectQueue(target, {
        env: o.env,
        onStateChange: (up, why) =>
          note(
            up
              ? `queue: Redis at ${target.display} answers again`
              : `queue: lost Redis at ${target.display}: ${why}; waiting for it`,
          ),
      });
      const h: Handles = { conn, queues: new Map(), events: [], stallCheckers: [] };
      try {
        return await coordinate(o, job, h, note);
      } finally {
        await closeAll(h);
      }
    },
  };
}

async function closeAll(h: Handles): Promise<void> {
  await Promise.all(h.stallCheckers.map((w) => w.close(true).catch(() => undefined)));
  await Promise.all(h.events.map((e) => e.close().catch(() => undefined)));
  await Promise.all([...h.queues.values()].map((q) => q.close().catch(() => undefined)));
  await h.conn.close();
}

async function coordinate(
  o: QueueExecutorOptions,
  job: ExecuteJob,
  h: Handles,
  note: (message: string) => void,
): Promise<ExecuteOutcome> {
  const ref = (c: Cell): CellRef => ({ id: c.id, label: cellLabel(c) });
  const results = new Map<string, CellResult>(job.done);
  for (const c of job.cells) {
    const r = job.done.get(c.id);
    if (r) job.emit({ type: 'cell:skip', cell: ref(c), status: r.status });
  }
  const started = Date.now();
  const todo = job.cells.filter((c) => !job.done.has(c.id));
  note(`queue: ${todo.length} cell(s) for the workers at ${h.conn.target.display}`);
  const queued = await prepareJobs(todo, {
    runId: job.runId,
    timeoutMs: job.timeoutMs,
    runtime: job.runtime,
    lockMs: o.lockMs,
    maxAttempts: o.maxAttempts,
    images: o.images,
    placement: o.placement,
    ...(job.expectedMs ? { expectedMs: job.expectedMs } : {}),
    runner: o.runner ?? execaRunner,
    note,
  });
  const pending = new Map(queued.map((q) => [q.jobId, q]));
  const queueOf = (shape: string) => {
    let q = h.queues.get(shape);
    if (!q) {
      q = new Queue(queueName(shape), { connection: bullConnection(h.conn), prefix: PREFIX });
      q.on('error', () => undefined);
      h.queues.set(shape, q);
    }
    return q;
  };
  let finish: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const checkDone = () => {
    if (pending.size === 0) finish();
  };
  const ingest = ingestOf(o, job, h, { queueOf, pending, results, ref, checkDone, note });
  // Serialized: one ingestion at a time, so a cell is never recorded twice.
  let chain = Promise.resolve();
  const enqueueIngest = (jobId: string, how: 'completed' | 'failed' | 'lookup') => {
    chain = chain.then(() =>
      ingestJob(ingest, jobId, how).catch((e: unknown) =>
        note(`queue: ingesting ${jobId}: ${h.conn.redact(errorMessage(e))}`),
      ),
    );
    return chain;
  };

  // A resumed run that was cancelled before runs again.
  await h.conn.redis.del(cancelledKey(job.runId));
  await registerShapes(h.conn.redis, new Map(queued.map((q) => [q.shape, q.resources])));
  for (const shape of new Set(queued.map((q) => q.shape))) {
    await listen(o, h, queueOf(shape), shape, {
      ingest: enqueueIngest,
      emit: job.emit,
      pending,
      ref,
      note,
    });
  }
  if (job.done.size > 0)
    await sweepDone(
      h.conn,
      job.cells
        .filter((c) => job.done.has(c.id))
        .map((c) => ({
          jobId: jobIdOf(job.runId, c.id),
          queue: queueOf(shapeKey(o.placement(c).resources)),
        })),
    );
  const missing = await resumeJobs(queued, queueOf, enqueueIngest);
  await addJobs(queueOf, missing);
  await h.conn.redis.publish(WAKE_CHANNEL, '1');
  checkDone();

  const reconcile = setInterval(
    () =>
      void reconcileJobs(pending, queueOf, enqueueIngest, async (q) => {
        note(`queue: job ${q.jobId} is gone from Redis; queuing it again`);
        await addJobs(queueOf, [q]);
      }),
    o.reconcileMs ?? 2000,
  );
  const capacity = watchCapacity(h.conn, pending, note);
  const onAbort = () => finish();
  job.signal.addEventListener('abort', onAbort, { once: true });
  if (job.signal.aborted) finish();
  try {
    await allDone;
    if (job.signal.aborted && pending.size > 0) {
      await cancelRun(h, job.runId, pending, queueOf, note);
      await waitFor(
        () => pending.size === 0 || [...pending.values()].every((q) => q.removed),
        o.cancelGraceMs ?? 8000,
      );
    }
    await chain;
  } finally {
    clearInterval(reconcile);
    capacity.stop();
    job.signal.removeEventListener('abort', onAbort);
  }
  return endRun({
    runId: job.runId,
    cells: job.cells,
    results,
    signal: job.signal,
    emit: job.emit,
    ms: Date.now() - started,
  });
}

/** How finished jobs come into the run: recorded, retried, or woken for. */
function ingestOf(
  o: QueueExecutorOptions,
  job: ExecuteJob,
  h: Handles,
  run: {
    queueOf: Ingest['queueOf'];
    pending: Ingest['pending'];
    results: Map<string, CellResult>;
    ref: (c: Cell) => CellRef;
    checkDone: () => void;
    note: (message: string) => void;
  },
): Ingest {
  const { queueOf, pending, results, ref, checkDone, note } = run;
  return {
    conn: h.conn,
    runDir: job.runDir,
    maxAttempts: o.maxAttempts,
    queueOf,
    pending,
    cancelling: () => job.signal.aborted,
    record: (q, r) => {
      pending.delete(q.jobId);
      results.set(q.cell.id, r);
      job.record(r);
      job.emit({
        type: 'cell:done',
        cell: ref(q.cell),
        status: r.status,
        ms: r.durationMs,
        dedupedFrom: r.dedupedFrom,
        ...(r.reason ? { reason: r.reason } : {}),
      });
      checkDone();
    },
    retry: (q, attempt, reason) =>
      job.emit({
        type: 'cell:retry',
        cell: ref(q.cell),
        stage: q.stage ?? 'config',
        attempt,
        reason,
      }),
    wake: () => void h.conn.redis.publish(WAKE_CHANNEL, '1').catch(() => 0),
    note,
  };
}

/** Events of one shape's queue, and the stalled-job check for it. */
async function listen(
  o: QueueExecutorOptions,
  h: Handles,
  queue: Queue,
  shape: string,
  on: {
    ingest: (jobId: string, how: 'completed' | 'failed' | 'lookup') => Promise<void>;
    emit: ExecuteJob['emit'];
    pending: Map<string, QueuedCell>;
    ref: (c: Cell) => CellRef;
    note: (message: string) => void;
  },
): Promise<void> {
  const events = new QueueEvents(queue.name, {
    connection: bullConnection(h.conn),
    prefix: PREFIX,
  });
  events.on('error', () => undefined);
  h.events.push(events);
  events.on('completed', ({ jobId }) => void on.ingest(jobId, 'completed'));
  events.on('failed', ({ jobId }) => void on.ingest(jobId, 'failed'));
  events.on('progress', ({ jobId, data }) => {
    const q = on.pending.get(jobId);
    const p = ProgressSchema.safeParse(data);
    if (!q || !p.success) return;
    if (p.data.type === 'start') {
      q.attempts = p.data.attempt;
      q.stage = p.data.stage;
      on.emit({
        type: 'cell:start',
        cell: on.ref(q.cell),
        stage: p.data.stage,
        attempt: p.data.attempt,
        worker: p.data.worker,
      });
    } else on.note(`${p.data.worker}: ${p.data.message}`);
  });
  events.on('stalled', ({ jobId }) => {
    const q = on.pending.get(jobId);
    if (!q) return;
    on.emit({
      type: 'cell:retry',
      cell: on.ref(q.cell),
      stage: q.stage ?? 'config',
      attempt: q.attempts ?? 1,
      reason: `its worker stopped answering for ${o.lockMs / 1000}s (died, hung or cut off); the cell goes to another worker`,
    });
    void h.conn.redis.publish(WAKE_CHANNEL, '1').catch(() => 0);
  });
  await events.waitUntilReady();
  // Only the coordinator checks for stalled jobs, at its own matrix's pace.
  const checker = new BullWorker(queue.name, null, {
    connection: bullConnection(h.conn),
    prefix: PREFIX,
    autorun: false,
    stalledInterval: Math.max(250, Math.floor(o.lockMs / 2)),
    // Starts are counted per cell (worker-job.ts), not by BullMQ's stall limit.
    maxStalledCount: 1000,
    name: `coordinator-${shape}`,
  });
  checker.on('error', () => undefined);
  h.stallCheckers.push(checker);
  await checker.startStalledCheckTimer();
}

/**
 * A resumed run's jobs may still be in Redis: finished ones are ingested (once), queued or
 * running ones are waited for, and only the missing ones are added.
 */
async function resumeJobs(
  queued: readonly QueuedCell[],
  queueOf: (shape: string) => Queue,
  ingest: (jobId: string, how: 'lookup') => Promise<void>,
): Promise<QueuedCell[]> {
  const missing: QueuedCell[] = [];
  for (const q of queued) {
    const state = await queueOf(q.shape).getJobState(q.jobId);
    if (state === 'unknown') missing.push(q);
    else if (state === 'completed' || state === 'failed') await ingest(q.jobId, 'lookup');
  }
  return missing;
}

/** What events may have missed (a coordinator or Redis restart): look the jobs up. */
async function reconcileJobs(
  pending: Map<string, QueuedCell>,
  queueOf: (shape: string) => Queue,
  ingest: (jobId: string, how: 'lookup') => Promise<void>,
  requeue: (q: QueuedCell) => Promise<void>,
): Promise<void> {
  for (const q of [...pending.values()]) {
    if (q.removed) continue;
    const state = await queueOf(q.shape)
      .getJobState(q.jobId)
      .catch(() => undefined);
    if (state === 'completed' || state === 'failed') await ingest(q.jobId, 'lookup');
    else if (state === 'unknown' && pending.has(q.jobId)) await requeue(q).catch(() => undefined);
  }
}

/** Say so when no connected worker could ever take some queued cells. */
function watchCapacity(
  conn: QueueConnection,
  pending: Map<string, QueuedCell>,
  note: (message: string) => void,
): { stop: () => void } {
  const said = new Set<string>();
  const check = async () => {
    const workers = await listWorkers(conn.redis).catch(() => undefined);
    if (!workers || pending.size === 0) return;
    if (workers.length === 0) {
      if (!said.has(''))
        note('queue: no worker is connected yet; start one: kmatrix worker --redis URL');
      said.add('');
      return;
    }
    said.delete('');
    for (const q of pending.values()) {
      if (said.has(q.shape) || workers.some((w) => canEverFit(w, q.resources))) continue;
      said.add(q.shape);
      note(
        `queue: no connected worker can take cells needing ${describeResources(q.resources)} (workers: ${workers.map((w) => `${w.name} ${describeResources({ cpus: w.cpus, memBytes: w.memBytes, labels: w.labels })}`).join('; ')}); they wait for one`,
      );
    }
  };
  void check();
  const timer = setInterval(() => void check(), 5000);
  return { stop: () => clearInterval(timer) };
}

/** Ctrl-C: queued jobs removed, workers told to stop this run's running ones. */
async function cancelRun(
  h: Handles,
  runId: string,
  pending: Map<string, QueuedCell>,
  queueOf: (shape: string) => Queue,
  note: (message: string) => void,
): Promise<void> {
  // Catches a job a worker takes between the removal below and the message; --resume clears it.
  await h.conn.redis.set(cancelledKey(runId), '1', 'EX', 600).catch(() => null);
  await h.conn.redis.publish(CANCEL_CHANNEL, runId).catch(() => 0);
  let removed = 0;
  for (const q of pending.values()) {
    const n = await queueOf(q.shape)
      .remove(q.jobId)
      .catch(() => 0);
    if (n === 1) {
      q.removed = true;
      removed++;
    }
  }
  const running = [...pending.values()].filter((q) => !q.removed).length;
  note(`queue: removed ${removed} queued cell(s); asked the workers to stop ${running} running`);
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
}
