// A worker's claim on its name on this host, and what a previous worker of the same name
// left behind when it was killed: its job directories, and its containers (labelled with the
// worker's name, the job id and the attempt), removed when the worker starts again. A second
// live worker with the same name (here or on another host) is refused.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { errorMessage, KmatrixError } from '../core/errors.js';
import { connectDocker } from '../docker/client.js';
import { pidAlive } from '../fsutil/atomic.js';
import { HEARTBEAT_TTL_MS, getWorker } from '../queue/registry.js';
import { MANAGED_LABEL, WORKER_LABEL } from '../runtime/docker.js';

/** Labels on a worker's containers: which worker (WORKER_LABEL), which job, which attempt. */
export const JOB_LABEL = 'org.kmatrix.job';
export const ATTEMPT_LABEL = 'org.kmatrix.attempt';

export function jobContainerLabels(
  worker: string,
  jobId: string,
  attempt: number,
): Record<string, string> {
  return { [WORKER_LABEL]: worker, [JOB_LABEL]: jobId, [ATTEMPT_LABEL]: String(attempt) };
}

export interface WorkerState {
  dir: string;
  jobsDir: string;
  previousPid: number | null;
}

/** <cache>/workers/<name>: the pid of the worker of that name on this host, its job dirs. */
export async function claimWorkerName(
  redis: Redis,
  o: { cacheDir: string; name: string; host: string },
): Promise<WorkerState> {
  const dir = join(o.cacheDir, 'workers', o.name);
  await mkdir(dir, { recursive: true });
  const pidFile = join(dir, 'pid');
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const previousPid = /^\d+$/.test(text.trim()) ? Number(text.trim()) : null;
  if (previousPid !== null && previousPid !== process.pid && pidAlive(previousPid))
    throw new KmatrixError(
      'usage',
      `a worker named ${o.name} already runs on this host (pid ${previousPid}); give each worker its own --name`,
    );
  const other = await getWorker(redis, o.name);
  if (other && other.host !== o.host)
    throw new KmatrixError(
      'usage',
      `worker name ${o.name} is in use by host ${other.host} (pid ${other.pid}, seen ${other.seenAt}); give this worker another --name, or wait ${HEARTBEAT_TTL_MS / 1000}s if that worker is gone`,
    );
  await writeFile(pidFile, `${process.pid}\n`);
  return { dir, jobsDir: join(dir, 'jobs'), previousPid };
}

/**
 * Remove what an earlier worker of this name left: every container labelled with the name
 * (this worker has started none yet, so they all belong to dead attempts), and job dirs.
 */
export async function reapPrevious(
  state: WorkerState,
  o: { name: string; env: NodeJS.ProcessEnv; note: (message: string) => void },
): Promise<string[]> {
  await rm(state.jobsDir, { recursive: true, force: true });
  await mkdir(state.jobsDir, { recursive: true });
  const conn = await connectDocker(o.env);
  if (conn.kind === 'unavailable') return [];
  const removed: string[] = [];
  try {
    const found = await conn.docker.listContainers({
      all: true,
      filters: { label: [MANAGED_LABEL, `${WORKER_LABEL}=${o.name}`] },
    });
    for (const c of found) {
      await conn.docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((e: unknown) => {
          if ((e as { statusCode?: number }).statusCode !== 404) throw e;
        });
      const labels = c.Labels ?? {};
      removed.push(
        `${(c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, '')} (job ${labels[JOB_LABEL] ?? '?'} attempt ${labels[ATTEMPT_LABEL] ?? '?'})`,
      );
    }
  } catch (e) {
    o.note(`could not remove the containers of an earlier worker ${o.name}: ${errorMessage(e)}`);
  }
  return removed;
}

export async function releaseWorkerName(state: WorkerState): Promise<void> {
  await rm(join(state.dir, 'pid'), { force: true });
}
