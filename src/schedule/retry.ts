// One retry loop for both stages: infrastructure errors are tried again a bounded number of
// times with exponential backoff; anything else (and anything after the run stopped) is final.
import type { Clock } from './clock.js';

export interface Tried<T> {
  value: T;
  attempts: number;
  /** Time spent inside `attempt` (backoff sleeps excluded). */
  workMs: number;
}

/** 1 s, 2 s, 4 s, ... capped at 10 s. */
export const backoff = (attempt: number) => Math.min(1000 * 2 ** (attempt - 1), 10_000);

export async function withRetries<T>(o: {
  retries: number;
  clock: Clock;
  /** The run's signal: once aborted nothing is retried and backoff ends at once. */
  signal: AbortSignal;
  attempt: (n: number) => Promise<T>;
  /** Why the value should be tried again (an infrastructure error), or undefined. */
  retryReason: (value: T) => string | undefined;
  onRetry: (n: number, reason: string) => void;
}): Promise<Tried<T>> {
  let workMs = 0;
  for (let n = 1; ; n++) {
    const t0 = o.clock.now();
    const value = await o.attempt(n);
    workMs += o.clock.now() - t0;
    const reason = o.retryReason(value);
    if (reason === undefined || n > o.retries || o.signal.aborted)
      return { value, attempts: n, workMs };
    o.onRetry(n, reason);
    await o.clock.sleep(backoff(n), o.signal);
  }
}
