// Scratch space for short-lived, file-heavy work (a config bisect's input trees and O= dirs:
// thousands of small files written, read by conf, deleted minutes later). On tmpfs that costs
// next to nothing; on a journaled disk, creating ~2,000 files took 0.1 to 2.5 s on the dev
// machine (variable sys time), and deleting them another 0.2 s.
import { lstat, mkdir, statfs } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const TMPFS_MAGIC = 0x01021994;

export interface ScratchChoice {
  dir: string;
  /** Why this one: shown in --help/docs and progress output. */
  why: string;
}

/**
 * $KMATRIX_SCRATCH if set; else a private dir on /dev/shm when it is a tmpfs with
 * `needBytes` free; else `fallback` (the cache dir). The /dev/shm dir is created 0700 and
 * used only if it is a real directory owned by this user.
 */
export async function scratchDir(
  env: NodeJS.ProcessEnv,
  fallback: string,
  needBytes: number,
  shm = '/dev/shm',
): Promise<ScratchChoice> {
  if (env['KMATRIX_SCRATCH'])
    return { dir: resolve(env['KMATRIX_SCRATCH']), why: '$KMATRIX_SCRATCH' };
  try {
    const fs = await statfs(shm);
    if (fs.type !== TMPFS_MAGIC || fs.bavail * fs.bsize < needBytes)
      return { dir: fallback, why: 'cache dir (no tmpfs with room at /dev/shm)' };
    const uid = process.getuid?.() ?? 0;
    const dir = join(shm, `kmatrix-${uid}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await lstat(dir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0)
      return { dir: fallback, why: `cache dir (${dir} is not a private directory of this user)` };
    return { dir, why: 'tmpfs' };
  } catch {
    return { dir: fallback, why: 'cache dir (no usable /dev/shm)' };
  }
}
