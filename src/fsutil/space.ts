// Telling a full disk from every other failure: by the error's code (ENOSPC, EDQUOT,
// SQLITE_FULL) or, for a child process, by what it printed; and how much room a directory's
// filesystem has left, to name the one that is full.
import { stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

const NO_SPACE =
  /\bENOSPC\b|No space left on device|\bEDQUOT\b|Disk quota exceeded|database or disk is full/;
const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** Whether a message (an error's, or a reason built from one) says the disk is full. */
export function mentionsNoSpace(text: string | undefined): boolean {
  return text !== undefined && NO_SPACE.test(text);
}

/** An error from a full disk: Node's, SQLite's, or a KmatrixError carrying a tool's stderr. */
export function isNoSpace(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, message, detail } = e as { code?: unknown; message?: unknown; detail?: unknown };
  if (typeof code === 'string' && NO_SPACE_CODES.has(code)) return true;
  return (
    (typeof message === 'string' && mentionsNoSpace(message)) ||
    (typeof detail === 'string' && mentionsNoSpace(detail))
  );
}

/** A build log that ends in a write failing for want of space (make, cc1, ld, as say so). */
export function logSaysNoSpace(log: string): boolean {
  return /No space left on device\s*$/m.test(log);
}

export interface Space {
  /** The filesystem's device (equal for paths on the same filesystem). */
  dev: number;
  free: number;
  total: number;
}

/**
 * Room on the filesystem holding `path` (or its nearest existing parent), for unprivileged
 * use; undefined for a filesystem without blocks (proc, sysfs): it cannot fill up.
 */
export async function spaceOf(path: string): Promise<Space | undefined> {
  for (let p = path; ; p = dirname(p)) {
    const [s, st] = await Promise.all([statfs(p), stat(p)]).catch(() => [undefined, undefined]);
    if (s && st)
      return s.blocks > 0
        ? { dev: st.dev, free: s.bavail * s.bsize, total: s.blocks * s.bsize }
        : undefined;
    if (dirname(p) === p) return undefined;
  }
}
