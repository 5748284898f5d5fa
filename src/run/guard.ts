// A full disk ends a whole run, not one cell: a cell that ran out of space (in the results
// dir, the cache) is not recorded, and a store write that hits a full disk is not retried.
// Recording throws NoSpace, which stops the run like an abort (the scheduler's failed record:
// queued cells dropped, running ones cancelled, everything recorded before kept); runMatrix
// then marks it interrupted and throws one error naming the full place, so
// `kmatrix run --resume` continues it once there is room.
import { errorMessage, KmatrixError } from '../core/errors.js';
import { formatBytes } from '../core/text.js';
import { isNoSpace, mentionsNoSpace, spaceOf, type Space } from '../fsutil/space.js';
import type { CellResult } from '../results/result.js';

/** The run must stop: the disk is full. `cause` is what failed (its first line is shown). */
export class NoSpace extends Error {
  readonly kind = 'no-space';
  constructor(readonly what: string) {
    super(`no space left on device: ${what}`);
  }
}

/**
 * Record a finished cell through `write`. A cell that failed for want of space, or a write
 * that did, throws NoSpace (the cell runs again on --resume, in a directory with room); any
 * other failed write throws what `writeFailed` makes of it.
 */
export function recordCell(
  r: CellResult,
  write: (r: CellResult) => void,
  writeFailed: (e: unknown) => unknown,
): void {
  if (r.status === 'infra-error' && mentionsNoSpace(r.reason)) throw new NoSpace(r.reason ?? '');
  try {
    write(r);
  } catch (e) {
    throw isNoSpace(e) ? new NoSpace(errorMessage(e)) : writeFailed(e);
  }
}

/** A place kmatrix writes to during a run, named in the error when it is the full one. */
export interface Place {
  what: string;
  path: string;
}

/**
 * The error a full disk ends a run with: the places whose filesystem has (almost) no room
 * left, or the one with the least room when none is full any more.
 */
export async function noSpaceError(
  places: readonly Place[],
  cause: string,
  runId: string | undefined,
): Promise<KmatrixError> {
  // One place per filesystem (the first given, the most specific), fullest first.
  const measured: (Place & Space)[] = [];
  for (const p of places) {
    const s = await spaceOf(p.path);
    if (s && !measured.some((m) => m.dev === s.dev)) measured.push({ ...p, ...s });
  }
  measured.sort((a, b) => a.free - b.free);
  // The full places the failed write names; else the full ones; else the ones it names (its
  // partial output may be gone and the room back); else the one with the least room.
  const mentioned = measured.filter((m) => cause.includes(m.path));
  const full = measured.filter((m) => m.free < 2 ** 20);
  const both = mentioned.filter((m) => full.includes(m));
  const pick = [both, full, mentioned, measured.slice(0, 1)].find((l) => l.length) ?? [];
  const named = pick.map(
    (m) => `${m.what} ${m.path} (${formatBytes(m.total)} in all, ${formatBytes(m.free)} free now)`,
  );
  const resume = runId ? `kmatrix run --resume ${runId}` : 'kmatrix run --resume';
  return new KmatrixError(
    'io',
    `no space left on device: ${named.join(', ') || places.map((p) => p.path).join(', ')}`,
    [
      cause.split('\n')[0] ?? '',
      `every cell recorded before is kept: free space and continue with ${resume}`,
    ].join('\n'),
  );
}
