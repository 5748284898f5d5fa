// Every process kmatrix starts carries its owner's pid in its environment, and so do their
// children (make, the compilers, tar). After `kill -9` of kmatrix they live on, reparented
// to init; the marker is how the next kmatrix finds and ends them, by pid, never by name.
import { readdir, readFile } from 'node:fs/promises';

export const OWNER_ENV = 'KMATRIX_OWNER_PID';

/** The marker for children of this process. */
export function ownerEnv(): Record<string, string> {
  return { [OWNER_ENV]: String(process.pid) };
}

/** Pids of live processes whose environment says they were started by kmatrix pid `owner`. */
export async function processesOwnedBy(owner: number, proc = '/proc'): Promise<number[]> {
  const needle = `\0${OWNER_ENV}=${owner}\0`;
  const out: number[] = [];
  for (const entry of await readdir(proc).catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    // Other users' processes (EACCES) and ones that just ended (ENOENT) are not ours.
    const env = await readFile(`${proc}/${entry}/environ`, 'latin1').catch(() => '');
    if (`\0${env}`.includes(needle)) out.push(pid);
  }
  return out;
}

/**
 * End the processes a dead kmatrix (pid `owner`) left running: SIGKILL each, then wait until
 * they are gone (a killed make's children may still be starting). Returns the pids ended.
 * Does nothing while `owner` is alive: its processes are its own business.
 */
export async function killOrphansOf(owner: number, proc = '/proc'): Promise<number[]> {
  if (owner === process.pid || alive(owner)) return [];
  const ended = new Set<number>();
  // A few rounds: a parent killed between our scan and its fork can leave a newborn child.
  for (let round = 0; round < 5; round++) {
    const pids = await processesOwnedBy(owner, proc);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        ended.add(pid);
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 50 * (round + 1)));
  }
  return [...ended];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
