// One queued cell on a worker: check the job (a cell spec, nothing else), hold its lock while
// the cell runs through the local executor (the same code as a local run), then hand the
// outcome back: files under an attempt-scoped key and the result as the job's return value;
// an infrastructure error goes back to the queue for another attempt. An attempt that lost
// its lock (it stopped answering and another worker has the cell) keeps nothing.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { errorMessage } from '../core/errors.js';
import { cellLabel, type Cell } from '../matrix/cell.js';
import type { CellResources } from '../matrix/resources.js';
import { packFiles } from '../queue/artifacts.js';
import type { WorkerEvent } from '../queue/events.js';
import { checkJob, type JobData, type JobReturn, type Progress } from '../queue/job.js';
import { artifactKey, cancelledKey } from '../queue/keys.js';
import type { QueueConnection } from '../queue/redis.js';
import type { RunEvent } from '../results/events.js';
import type { CellResult, CellStatus } from '../results/result.js';
import type { RuntimeChoice } from '../runtime/select.js';
import { localExecutor } from './local-executor.js';
import { jobContainerLabels } from './worker-reap.js';

/** How long a finished attempt's files wait for the coordinator. */
export const ARTIFACT_TTL_MS = 7 * 24 * 3600_000;

/** Why a running job was stopped on this worker. */
export type StopReason = 'lock-lost' | 'run-cancelled' | 'worker-stopping';

export interface JobContext {
  name: string;
  conn: QueueConnection;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  ccache: boolean;
  runtime: RuntimeChoice;
  jobsDir: string;
  allowSource: (source: string) => string | undefined;
  emit: (e: WorkerEvent) => void;
}

export interface TakenJob {
  job: Job;
  token: string;
  /** The resources of the queue it came from (what this worker reserved). */
  shape: CellResources;
  abort: AbortController;
}

const FILES = [
  '.config',
  'kconfig.log',
  'kmatrix-config.json',
  'build.log',
  'result.json',
  'reproducer.sh',
];

export async function processJob(ctx: JobContext, t: TakenJob): Promise<void> {
  const jobId = t.job.id ?? '';
  const check = checkJob(jobId, t.job.data);
  if (!check.ok) return refuse(ctx, t, check.reason);
  const { data, cell } = check;
  if (!sameResources(data.resources, t.shape))
    return refuse(ctx, t, 'its resources are not those of the queue it was in');
  const attempt = t.job.attemptsStarted;
  const denied = ctx.allowSource(cell.sourceResolved);
  if (denied) return giveBack(ctx, t, attempt, denied);
  if (attempt > data.maxAttempts)
    return complete(ctx, t, data, attempt, {
      result: bareResult(
        cell,
        'infra-error',
        `started ${attempt - 1} times; each time its worker died or stopped answering`,
        attempt - 1,
      ),
      dir: undefined,
    });
  if ((await ctx.conn.redis.exists(cancelledKey(data.runId))) === 1)
    return complete(ctx, t, data, attempt, {
      result: bareResult(cell, 'cancelled', 'the run was stopped', attempt),
      dir: undefined,
    });

  ctx.emit({ type: 'job:start', jobId, label: cellLabel(cell), attempt, resources: t.shape });
  const stopRenewing = renewLock(ctx, t, data.lockMs);
  const jobDir = join(ctx.jobsDir, `${jobId}-a${attempt}`);
  try {
    const result = await runCell(ctx, t, data, cell, attempt, jobDir);
    stopRenewing();
    const why = t.abort.signal.reason as StopReason | undefined;
    if (why === 'lock-lost')
      return rejected(ctx, jobId, attempt, 'its lock expired and another worker took the cell');
    if (why === 'worker-stopping')
      return giveBack(ctx, t, attempt, `worker ${ctx.name} was stopped`);
    if (result.status === 'infra-error' && attempt < data.maxAttempts)
      return giveBack(ctx, t, attempt, result.reason ?? 'infrastructure error');
    await complete(ctx, t, data, attempt, { result, dir: join(jobDir, 'cells', cell.id) });
  } finally {
    stopRenewing();
    await rm(jobDir, { recursive: true, force: true });
  }
}

function sameResources(a: CellResources, b: CellResources): boolean {
  return a.cpus === b.cpus && a.memBytes === b.memBytes && a.labels.join() === b.labels.join();
}

/** Renew the lock every half of its time; a renewal that is refused means it is lost. */
function renewLock(ctx: JobContext, t: TakenJob, lockMs: number): () => void {
  let inFlight = false;
  const renew = async () => {
    if (inFlight || t.abort.signal.aborted) return;
    inFlight = true;
    try {
      if ((await t.job.extendLock(t.token, lockMs)) === 0) t.abort.abort('lock-lost');
    } catch (e) {
      // Redis is away: keep working, the next renewal tries again.
      ctx.emit({
        type: 'worker:note',
        message: `lock renewal: ${ctx.conn.redact(errorMessage(e))}`,
      });
    } finally {
      inFlight = false;
    }
  };
  const timer = setInterval(() => void renew(), Math.max(250, Math.floor(lockMs / 2)));
  void renew();
  return () => clearInterval(timer);
}

/** The cell through the local executor, in a directory of its own; never throws. */
async function runCell(
  ctx: JobContext,
  t: TakenJob,
  data: JobData,
  cell: Cell,
  attempt: number,
  jobDir: string,
): Promise<CellResult> {
  await mkdir(jobDir, { recursive: true });
  let local: Cell = cell;
  if (cell.base.kind === 'file' && data.baseConfig !== undefined) {
    const path = join(jobDir, 'base.config');
    await writeFile(path, data.baseConfig);
    local = { ...cell, base: { kind: 'file', path } };
  }
  const progress = progressForwarder(ctx, t, attempt);
  let result: CellResult | undefined;
  try {
    await localExecutor({
      cwd: jobDir,
      env: ctx.env,
      cacheDir: ctx.cacheDir,
      ccache: ctx.ccache,
      runtimeLimits: {
        cpus: t.shape.cpus,
        memoryBytes: t.shape.memBytes,
        labels: jobContainerLabels(ctx.name, t.job.id ?? '', attempt),
      },
      // Other workers here may be building cells of the same run: never sweep its containers.
      sweepRunContainers: false,
    }).execute({
      runId: data.runId,
      runDir: jobDir,
      cells: [local],
      done: new Map(),
      sizing: { configJobs: 1, buildJobs: 1, makeJobs: t.shape.cpus },
      timeoutMs: data.timeoutMs,
      retries: 0,
      runtime: data.runtime === 'auto' ? ctx.runtime : data.runtime,
      signal: t.abort.signal,
      emit: progress.emit,
      record: (r) => {
        result = r;
      },
    });
  } catch (e) {
    result = bareResult(cell, 'infra-error', errorMessage(e), attempt);
  }
  await progress.flush();
  const r = result ?? bareResult(cell, 'cancelled', 'the cell did not run', attempt);
  return { ...r, cellId: cell.id, attempts: attempt, worker: ctx.name };
}

/** The local run's events, as job progress the coordinator turns back into run events. */
function progressForwarder(
  ctx: JobContext,
  t: TakenJob,
  attempt: number,
): { emit: (e: RunEvent) => void; flush: () => Promise<void> } {
  let chain = Promise.resolve();
  const send = (p: Progress) => {
    chain = chain.then(() =>
      t.job.updateProgress(p).catch((e: unknown) => {
        ctx.emit({ type: 'worker:note', message: `progress: ${ctx.conn.redact(errorMessage(e))}` });
      }),
    );
  };
  return {
    emit: (e) => {
      if (e.type === 'cell:start')
        send({ type: 'start', worker: ctx.name, stage: e.stage, attempt });
      else if (e.type === 'run:note') send({ type: 'note', worker: ctx.name, message: e.message });
    },
    flush: () => chain,
  };
}

/** Files under an attempt-scoped key, then the result; a refused completion deletes the files. */
async function complete(
  ctx: JobContext,
  t: TakenJob,
  data: JobData,
  attempt: number,
  out: { result: CellResult; dir: string | undefined },
): Promise<void> {
  const jobId = t.job.id ?? '';
  const r = out.result;
  let artifact: JobReturn['artifact'] = null;
  let key: string | undefined;
  if (out.dir) {
    const prefix = `cells/${r.cellId}/`;
    const strip = (p: string) => (p.startsWith(prefix) ? p.slice(prefix.length) : p);
    const wanted = [...FILES, ...Object.values(r.files).map(strip)];
    if (data.images) wanted.push(...r.artifacts.map(strip));
    const packed = await packFiles(out.dir, wanted);
    key = artifactKey(jobId, attempt, t.token.replace(/[^A-Za-z0-9-]/g, ''));
    await ctx.conn.redis.set(key, packed.data, 'PX', ARTIFACT_TTL_MS);
    artifact = { key, bytes: packed.data.length, files: packed.files };
  }
  const shipped = new Set(artifact?.files.map((f) => `cells/${r.cellId}/${f}`) ?? []);
  const value: JobReturn = {
    v: 1,
    worker: ctx.name,
    attempt,
    result: { ...r, artifacts: r.artifacts.filter((a) => shipped.has(a)) },
    artifact,
  };
  try {
    await t.job.moveToCompleted(value, t.token, false);
  } catch (e) {
    if (key) await ctx.conn.redis.del(key).catch(() => 0);
    return rejected(ctx, jobId, attempt, ctx.conn.redact(errorMessage(e)));
  }
  ctx.emit({
    type: 'job:done',
    jobId,
    status: r.status,
    ms: r.durationMs,
    bytes: artifact?.bytes ?? 0,
    files: artifact?.files.length ?? 0,
  });
}

/** Back to the queue for another attempt (BullMQ retries with backoff while attempts remain). */
async function giveBack(
  ctx: JobContext,
  t: TakenJob,
  attempt: number,
  reason: string,
): Promise<void> {
  const jobId = t.job.id ?? '';
  try {
    await t.job.moveToFailed(new Error(reason), t.token, false);
    ctx.emit({ type: 'job:retry', jobId, attempt, reason });
  } catch (e) {
    rejected(ctx, jobId, attempt, ctx.conn.redact(errorMessage(e)));
  }
}

async function refuse(ctx: JobContext, t: TakenJob, reason: string): Promise<void> {
  const jobId = t.job.id ?? '(no id)';
  ctx.emit({ type: 'job:refused', jobId, reason });
  await t.job.moveToFailed(new UnrecoverableError(reason), t.token, false).catch(() => undefined);
}

function rejected(ctx: JobContext, jobId: string, attempt: number, reason: string): void {
  ctx.emit({ type: 'job:rejected', jobId, attempt, reason });
}

/** A result for a cell that ended before its work began (or without its work's result). */
export function bareResult(
  cell: Pick<Cell, 'id' | 'build'>,
  status: CellStatus,
  reason: string,
  attempts: number,
): CellResult {
  return {
    cellId: cell.id,
    status,
    reason,
    stage: 'config',
    verdict: null,
    pins: [],
    diagnostics: [],
    counts: { errors: 0, warnings: 0 },
    durationMs: 0,
    configMs: 0,
    buildMs: 0,
    workMs: 0,
    attempts: Math.max(1, attempts),
    configHash: null,
    dedupedFrom: null,
    files: {},
    artifacts: [],
    finishedAt: new Date().toISOString(),
  };
}
