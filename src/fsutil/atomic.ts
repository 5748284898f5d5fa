// Publishing directories and files atomically, and a cross-process lock, so that an
// interrupted step is never mistaken for a finished one and concurrent runs share work.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A fresh sibling path for building `final` before publishing it with rename. */
export function stagingPath(final: string): string {
  return join(
    dirname(final),
    `.${basename(final)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * What a dead process left running (its tar or make, still writing into its staging dir):
 * ended before that dir is removed. Given by the caller (process/owner.ts's killOrphansOf).
 */
export type Reaper = (deadPid: number) => Promise<unknown>;

/**
 * Build a directory at `final` with `build(stagingDir)` and publish it with one rename.
 * If another process published it first, ours is discarded and theirs is used.
 */
export async function publishDir(
  final: string,
  build: (dir: string) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(final), { recursive: true });
  await removeDeadStaging(final);
  const staging = stagingPath(final);
  await mkdir(staging, { recursive: true });
  try {
    await build(staging);
    try {
      await rename(staging, final);
    } catch (e) {
      if (!(await exists(final))) throw e;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = stagingPath(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Staging dirs left by a process that died (kill -9, power loss) are garbage: remove them. */
export async function removeDeadStaging(final: string, reap?: Reaper): Promise<string[]> {
  return removeDeadRuns(dirname(final), `.${basename(final)}.tmp-`, reap);
}

/** Remove `<prefix><pid>-*` entries of `dir` whose process is gone (a killed run's leftovers). */
export async function removeDeadRuns(
  dir: string,
  prefix: string,
  reap?: Reaper,
): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !pidAlive(pid)) {
      await reap?.(pid);
      await rm(join(dir, entry), { recursive: true, force: true });
      removed.push(entry);
    }
  }
  return removed;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Hold an exclusive lock file while `fn` runs. A lock whose holder died is taken over.
 * Waiters poll; `onWait` is called once so the caller can say what it waits for.
 */
export async function withLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  onWait?: () => void,
): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (!announced) {
        announced = true;
        onWait?.();
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
