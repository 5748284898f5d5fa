// `kmatrix worker` as a function: a build host that pulls cells from the queue. It claims its
// name, removes what a killed predecessor left, announces itself (heartbeat with capacity and
// what it runs), and takes a job only when the job's resources fit its free CPUs and memory
// and its labels match: one BullMQ queue per resource shape, the fitting queue whose next
// job has the highest priority first. Each job runs in worker-job.ts. On stop, running jobs
// go back to the queue.
import { randomUUID } from 'node:crypto';
import { Worker as BullWorker, type Job } from 'bullmq';
import { errorMessage } from '../core/errors.js';
import type { CellResources } from '../matrix/resources.js';
import type { RunningJob, WorkerEvent, WorkerInfo } from '../queue/events.js';
import { CANCEL_CHANNEL, PREFIX, queueName, WAKE_CHANNEL, splitJobId } from '../queue/keys.js';
import { sourcePolicy } from '../queue/policy.js';
import { bullConnection, connectQueue, newRedis, type QueueConnection } from '../queue/redis.js';
import { fitsNow, forgetWorker, heartbeat, HEARTBEAT_MS, listShapes } from '../queue/registry.js';
import { parseRedisUrl } from '../queue/url.js';
import type { RuntimeChoice } from '../runtime/select.js';
import { processJob, type JobContext, type TakenJob } from './worker-job.js';
import { claimWorkerName, reapPrevious, releaseWorkerName } from './worker-reap.js';

export interface WorkerOptions {
  redisUrl: string;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  ccache: boolean;
  name: string;
  host: string;
  cpus: number;
  memBytes: number;
  labels: string[];
  runtime: RuntimeChoice;
  /** Sources this worker may build (globs); none: Debian's and those on its own disk. */
  allowSources: string[];
  /** How often an idle worker looks at the queues without being woken. */
  pollMs?: number;
  version: string;
  /** Aborted: stop taking jobs, hand running ones back, leave. */
  signal: AbortSignal;
  emit: (e: WorkerEvent) => void;
}

export interface WorkerSummary {
  name: string;
  jobs: number;
  reason: string;
}

interface Running extends RunningJob {
  taken: TakenJob;
  done: Promise<void>;
}

/** The BullMQ handle of each shape's queue (manual fetching: no processor). */
class ShapeQueues {
  private readonly workers = new Map<string, BullWorker>();
  constructor(
    private readonly conn: QueueConnection,
    private readonly name: string,
  ) {}

  get(shape: string): BullWorker {
    let w = this.workers.get(shape);
    if (!w) {
      w = new BullWorker(queueName(shape), null, {
        connection: bullConnection(this.conn),
        prefix: PREFIX,
        autorun: false,
        // The job's own lock time replaces this at once (worker-job.ts).
        lockDuration: 5000,
        name: this.name,
      });
      w.on('error', () => undefined);
      this.workers.set(shape, w);
    }
    return w;
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.close(true).catch(() => undefined)));
  }
}

export async function runWorker(o: WorkerOptions): Promise<WorkerSummary> {
  const target = parseRedisUrl(o.redisUrl, o.env);
  const note = (message: string) => o.emit({ type: 'worker:note', message });
  const conn = await connectQueue(target, {
    env: o.env,
    onStateChange: (up, why) =>
      note(
        up
          ? `Redis at ${target.display} answers again`
          : `lost Redis at ${target.display}: ${why}; reconnecting`,
      ),
  });
  const state = await claimWorkerName(conn.redis, o).catch(async (e: unknown) => {
    await conn.close();
    throw e;
  });
  try {
    const containers = await reapPrevious(state, { name: o.name, env: o.env, note });
    if (containers.length || state.previousPid !== null)
      o.emit({
        type: 'worker:reaped',
        containers,
        processes: 0,
        previousPid: state.previousPid,
      });
    o.emit({
      type: 'worker:start',
      name: o.name,
      host: o.host,
      pid: process.pid,
      cpus: o.cpus,
      memBytes: o.memBytes,
      labels: o.labels,
      redis: target.display,
    });
    return await serve(o, conn, state.jobsDir);
  } finally {
    await forgetWorker(conn.redis, o.name).catch(() => undefined);
    await releaseWorkerName(state);
    await conn.close();
  }
}

/** The loop: take what fits, wait for a wake-up (new jobs, a job done, a poll), repeat. */
async function serve(
  o: WorkerOptions,
  conn: QueueConnection,
  jobsDir: string,
): Promise<WorkerSummary> {
  const running = new Map<string, Running>();
  const queues = new ShapeQueues(conn, o.name);
  const startedAt = new Date().toISOString();
  let jobs = 0;
  let wake: () => void = () => {};
  const ctx: JobContext = {
    name: o.name,
    conn,
    env: o.env,
    cacheDir: o.cacheDir,
    ccache: o.ccache,
    runtime: o.runtime,
    jobsDir,
    allowSource: sourcePolicy(o.allowSources),
    emit: o.emit,
  };
  const free = () => {
    let cpus = o.cpus;
    let memBytes = o.memBytes;
    for (const r of running.values()) {
      cpus -= r.resources.cpus;
      memBytes -= r.resources.memBytes;
    }
    return { cpus, memBytes };
  };
  const info = (): WorkerInfo => ({
    name: o.name,
    host: o.host,
    pid: process.pid,
    version: o.version,
    cpus: o.cpus,
    memBytes: o.memBytes,
    labels: o.labels,
    runtime: o.runtime,
    free: free(),
    running: [...running.values()].map(({ jobId, label, attempt, startedAt: s, resources }) => ({
      jobId,
      label,
      attempt,
      startedAt: s,
      resources,
    })),
    startedAt,
    seenAt: new Date().toISOString(),
  });
  const beat = async () => {
    try {
      await heartbeat(conn.redis, info());
    } catch (e) {
      o.emit({ type: 'worker:note', message: `heartbeat: ${conn.redact(errorMessage(e))}` });
    }
  };
  await beat();
  const beatTimer = setInterval(() => void beat(), HEARTBEAT_MS);
  const sub = await subscribe(conn, {
    wake: () => wake(),
    cancel: (runId) => {
      for (const r of running.values())
        if (splitJobId(r.jobId)?.runId === runId) r.taken.abort.abort('run-cancelled');
    },
  });
  const onStop = () => wake();
  o.signal.addEventListener('abort', onStop);
  try {
    while (!o.signal.aborted) {
      const taken = await takeOne(o, conn, queues, free());
      if (taken) {
        jobs++;
        const r = start(ctx, taken, running, () => {
          void beat();
          wake();
        });
        running.set(r.jobId, r);
        void beat();
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.pollMs ?? 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const r of running.values()) r.taken.abort.abort('worker-stopping');
    await Promise.all([...running.values()].map((r) => r.done));
  } finally {
    o.signal.removeEventListener('abort', onStop);
    clearInterval(beatTimer);
    await sub.close();
    await queues.close();
  }
  const reason = String(o.signal.reason ?? 'stopped');
  o.emit({ type: 'worker:stop', reason });
  return { name: o.name, jobs, reason };
}

function start(
  ctx: JobContext,
  taken: TakenJob,
  running: Map<string, Running>,
  finished: () => void,
): Running {
  const jobId = taken.job.id ?? '';
  const data = taken.job.data as {
    cell?: { source?: string; arch?: string; variant?: string; toolchain?: string };
  };
  const c = data.cell ?? {};
  const r: Running = {
    jobId,
    label: `${c.source ?? '?'} ${c.arch ?? '?'} ${c.variant ?? '?'} ${c.toolchain ?? '?'}`,
    attempt: taken.job.attemptsStarted,
    startedAt: new Date().toISOString(),
    resources: taken.shape,
    taken,
    done: Promise.resolve(),
  };
  r.done = processJob(ctx, taken)
    .catch((e: unknown) =>
      ctx.emit({
        type: 'worker:note',
        message: `job ${jobId}: ${ctx.conn.redact(errorMessage(e))}`,
      }),
    )
    .finally(() => {
      running.delete(jobId);
      finished();
    });
  return r;
}

/**
 * The next job that fits: the shapes that fit what is free, the one whose head job goes
 * first (a job back from a stalled worker, then the lowest BullMQ priority number), then any
 * with delayed retries (fetching promotes those that are due).
 */
async function takeOne(
  o: WorkerOptions,
  conn: QueueConnection,
  queues: ShapeQueues,
  free: { cpus: number; memBytes: number },
): Promise<TakenJob | undefined> {
  let shapes: Map<string, CellResources>;
  try {
    shapes = await listShapes(conn.redis);
  } catch {
    return undefined;
  }
  const fitting = [...shapes].filter(([, r]) => fitsNow(free, o.labels, r));
  if (fitting.length === 0) return undefined;
  const pipe = conn.redis.pipeline();
  for (const [k] of fitting) {
    const base = `${PREFIX}:${queueName(k)}`;
    pipe
      .llen(`${base}:wait`)
      .zrange(`${base}:prioritized`, 0, '0', 'WITHSCORES')
      .zcard(`${base}:delayed`);
  }
  const replies = (await pipe.exec().catch(() => null)) ?? [];
  const ranked: { key: string; r: CellResources; order: number }[] = [];
  fitting.forEach(([key, r], i) => {
    const wait = Number(replies[i * 3]?.[1] ?? 0);
    const head = replies[i * 3 + 1]?.[1] as string[] | undefined;
    const delayed = Number(replies[i * 3 + 2]?.[1] ?? 0);
    if (wait > 0) ranked.push({ key, r, order: -1 });
    else if (head && head.length === 2) ranked.push({ key, r, order: Number(head[1]) });
    else if (delayed > 0) ranked.push({ key, r, order: Number.MAX_SAFE_INTEGER });
  });
  ranked.sort((a, b) => a.order - b.order);
  for (const { key, r } of ranked) {
    const token = `${o.name}-${randomUUID()}`;
    let job: Job | undefined;
    try {
      job = (await queues.get(key).getNextJob(token, { block: false })) as Job | undefined;
    } catch (e) {
      o.emit({
        type: 'worker:note',
        message: `fetching from ${queueName(key)}: ${conn.redact(errorMessage(e))}`,
      });
      continue;
    }
    if (job) return { job, token, shape: r, abort: new AbortController() };
  }
  return undefined;
}

/** Wake-ups (jobs added) and cancellations (a run stopped) on a subscriber connection. */
async function subscribe(
  conn: QueueConnection,
  on: { wake: () => void; cancel: (runId: string) => void },
): Promise<{ close: () => Promise<void> }> {
  const sub = newRedis({ ...conn.options, lazyConnect: false });
  sub.on('error', () => undefined);
  sub.on('message', (channel: string, message: string) => {
    if (channel === WAKE_CHANNEL) on.wake();
    else if (channel === CANCEL_CHANNEL) on.cancel(message);
  });
  await sub.subscribe(WAKE_CHANNEL, CANCEL_CHANNEL);
  return { close: async () => void (await sub.quit().catch(() => sub.disconnect())) };
}
