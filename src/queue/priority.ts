// The order cells leave the queue: a config's `priority` first (higher goes first), then the
// cells that took longest in the previous run (so the long builds do not start last and hold
// up the end of the run), then the matrix's own order. BullMQ priorities: 1 goes first.
export const MAX_PRIORITY = 2 ** 21 - 1;

export interface PriorityInput {
  id: string;
  /** The config's priority (default 0). */
  priority: number;
  /** The cell's duration in the baseline run, when it has one. */
  expectedMs?: number | undefined;
}

export function queuePriorities(cells: readonly PriorityInput[]): Map<string, number> {
  const order = cells
    .map((c, i) => ({ c, i }))
    .sort(
      (a, b) =>
        b.c.priority - a.c.priority || (b.c.expectedMs ?? 0) - (a.c.expectedMs ?? 0) || a.i - b.i,
    );
  return new Map(order.map(({ c }, rank) => [c.id, Math.min(rank + 1, MAX_PRIORITY)]));
}
