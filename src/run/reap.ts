// What a killed run leaves behind, and its removal. After `kill -9` of `kmatrix run` its
// make processes (local runtime, and every config stage) and its containers (docker runtime)
// live on; the next `kmatrix run` on the same store ends the processes (found by the owner
// marker in their environment) and removes the containers (found by the run-id label).
import { errorMessage } from '../core/errors.js';
import { connectDocker } from '../docker/client.js';
import { pidAlive } from '../fsutil/atomic.js';
import { killOrphansOf } from '../process/owner.js';
import type { RunEvent } from '../results/events.js';
import { removeRunContainers } from '../runtime/docker.js';
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
}

/**
 * End the processes and remove the containers of dead runs, and mark each interrupted unless
 * it was claimed since (a resume). Best effort per run: what cannot be reached (no daemon)
 * is said in a note, and the next run tries again.
 */
export async function reapRuns(
  store: ResultStore,
  runs: readonly RunRecord[],
  o: ReapOptions,
): Promise<void> {
  for (const run of runs) {
    const pid = run.pid;
    if (pid === null) continue;
    const killed = await killOrphansOf(pid);
    const containers = store.cellsOf(run.id).some((c) => c.build)
      ? await removeContainersOf(run.id, o)
      : [];
    store.markAbandoned(run.id, pid);
    if (killed.length || containers.length)
      o.emit({
        type: 'run:note',
        message: `run ${run.id} was killed (pid ${pid}): ended ${killed.length} of its processes, removed ${containers.length} of its containers${containers.length ? ` (${containers.join(', ')})` : ''}`,
      });
  }
}

async function removeContainersOf(runId: string, o: ReapOptions): Promise<string[]> {
  const conn = await connectDocker(o.env);
  if (conn.kind === 'unavailable') return [];
  try {
    return await removeRunContainers(conn.docker, runId);
  } catch (e) {
    o.emit({
      type: 'run:note',
      message: `could not remove the containers of killed run ${runId}: ${errorMessage(e)}`,
    });
    return [];
  }
}
