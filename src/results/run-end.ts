// How every executor ends a run: whether it was interrupted (a cell without a final result, or
// cancelled, after a stop), and the closing events. One place for the local scheduler and the
// queue executor.
import type { Cell } from '../matrix/cell.js';
import type { RunEvent } from './events.js';
import type { CellResult } from './result.js';

export function endRun(o: {
  runId: string;
  cells: readonly Cell[];
  results: Map<string, CellResult>;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  ms: number;
}): { results: Map<string, CellResult>; interrupted: boolean } {
  const interrupted = o.cells.some((c) => {
    const r = o.results.get(c.id);
    return !r || r.status === 'cancelled';
  });
  if (interrupted && o.signal.aborted)
    o.emit({ type: 'run:interrupted', reason: String(o.signal.reason ?? 'stopped') });
  o.emit({
    type: 'run:done',
    runId: o.runId,
    ms: o.ms,
    done: o.cells.filter((c) => o.results.has(c.id)).length,
    total: o.cells.length,
  });
  return { results: o.results, interrupted };
}
