// Failures that end a whole run rather than one cell: a full disk (the results dir, the
// cache, the store's directory) and a store that cannot be written. The run stops like an
// interrupted one (queued cells dropped, running ones cancelled, everything recorded before
// kept), is marked interrupted, and runMatrix throws one error naming the full place, so
// `kmatrix run --resume` continues it once there is room.
import { errorMessage, KmatrixError } from '../core/errors.js';
import { formatBytes } from '../core/text.js';
import { isNoSpace, mentionsNoSpace, spaceOf, type Space } from '../fsutil/space.js';
import type { CellResult } from '../results/result.js';
import { storeFailure } from '../store/failure.js';

export type RunFailure = { kind: 'no-space'; cause: string } | { kind: 'store'; error: unknown };

/** A place kmatrix writes to during a run, named in the error when it is the full one. */
export interface Place {
  what: string;
  path: string;
}

export interface RunGuard {
  /** The user's signal, also aborted when the run must stop. */
  signal: AbortSignal;
  /** Record a finished cell through `write`, unless it says the run must stop. */
  record(r: CellResult, write: (r: CellResult) => void): void;
  failure(): RunFailure | undefined;
}

export function runGuard(userSignal: AbortSignal): RunGuard {
  const stop = new AbortController();
  let failure: RunFailure | undefined;
  const fail = (f: RunFailure) => {
    failure ??= f;
    stop.abort(f.kind === 'no-space' ? 'no space left on device' : 'the results store failed');
  };
  return {
    signal: AbortSignal.any([userSignal, stop.signal]),
    record(r, write) {
      // Not recorded: the cell runs again on --resume, in a directory with room.
      if (r.status === 'infra-error' && mentionsNoSpace(r.reason))
        return fail({ kind: 'no-space', cause: r.reason ?? '' });
      if (failure?.kind === 'store') return;
      try {
        write(r);
      } catch (e) {
        fail(
          isNoSpace(e) ? { kind: 'no-space', cause: errorMessage(e) } : { kind: 'store', error: e },
        );
      }
    },
    failure: () => failure,
  };
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

/** The error a run stopped by `failure` ends with. */
export async function runFailureError(
  failure: RunFailure,
  places: readonly Place[],
  storePath: string,
  runId: string,
): Promise<unknown> {
  if (failure.kind === 'no-space') return noSpaceError(places, failure.cause, runId);
  return storeFailure(failure.error, storePath);
}
