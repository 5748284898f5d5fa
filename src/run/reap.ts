// What killed runs leave behind, and its removal. After `kill -9` of `kmatrix run` its make
// processes (local runtime, and every config stage) and its containers (docker runtime) live
// on; a daemon that died for good leaves its containers behind too. The next `kmatrix run` on
// the same store ends the processes (found by the owner marker in their environment) and
// removes the containers of every run of this store that is not running any more (found by
// the run-id label). Runs of other stores, and live runs, are never touched.
import { errorMessage } from '../core/errors.js';
import { connectDocker } from '../docker/client.js';
import { pidAlive } from '../fsutil/atomic.js';
import { killOrphansOf } from '../process/owner.js';
import type { RunEvent } from '../results/events.js';
import { listRunContainers, removeContainerById } from '../runtime/docker.js';
import type { ResultStore, RunRecord } from '../store/store.js';

/** Runs the store says are running whose process is gone (killed, or the machine rebooted). */
export function deadRuns(store: ResultStore): RunRecord[] {
  return store
    .runningRuns()
    .filter((r) => r.pid !== null && r.pid !== process.pid && !pidAlive(r.pid));
}

export interface ReapOptions {
  env: NodeJS.ProcessEnv;
  emit: (e: RunEvent) => void;
  /** Look for containers (this run may use docker, or a dead run built cells). */
  containers: boolean;
}

/**
 * End the processes of dead runs and mark each interrupted unless it was claimed since (a
 * resume); then remove the containers of this store's runs that are not live. Best effort:
 * what cannot be reached (no daemon) is left for the next run.
 */
export async function reapRuns(
  store: ResultStore,
  dead: readonly RunRecord[],
  o: ReapOptions,
): Promise<void> {
  for (const run of dead) {
    if (run.pid === null) continue;
    const killed = await killOrphansOf(run.pid);
    store.markAbandoned(run.id, run.pid);
    if (killed.length)
      o.emit({
        type: 'run:note',
        message: `run ${run.id} was killed (pid ${run.pid}): ended ${killed.length} of its processes`,
      });
  }
  if (o.containers) await removeStaleContainers(store, o);
}

/** A run still at work in another process: its containers are its own. */
function live(r: RunRecord): boolean {
  return r.state === 'running' && r.pid !== null && r.pid !== process.pid && pidAlive(r.pid);
}

async function removeStaleContainers(store: ResultStore, o: ReapOptions): Promise<void> {
  const conn = await connectDocker(o.env);
  if (conn.kind === 'unavailable') return;
  try {
    const byRun = new Map<string, string[]>();
    for (const c of await listRunContainers(conn.docker)) {
      const run = store.getRun(c.runId);
      if (!run || live(run)) continue;
      await removeContainerById(conn.docker, c.id);
      byRun.set(c.runId, [...(byRun.get(c.runId) ?? []), c.name]);
    }
    for (const [runId, names] of byRun)
      o.emit({
        type: 'run:note',
        message: `removed ${names.length} container(s) left by run ${runId}: ${names.join(', ')}`,
      });
  } catch (e) {
    o.emit({
      type: 'run:note',
      message: `could not remove the containers of earlier runs: ${errorMessage(e)}`,
    });
  }
}
