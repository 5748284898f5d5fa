// Errors that reach the user. Expected outcomes (a pin that did not hold, a failed
// build) are values, not exceptions; a KmatrixError is for usage and infrastructure
// problems, and always maps to exit code 2.

export type ErrorCode =
  | 'usage'
  | 'bad-arch'
  | 'bad-pin'
  | 'bad-source'
  | 'bad-ref'
  | 'bad-base'
  | 'bad-fragment'
  | 'bad-config-file'
  | 'not-a-kernel-tree'
  | 'missing-toolchain'
  | 'missing-solver'
  | 'apt-failed'
  | 'command-failed'
  | 'kconfig-failed'
  | 'docker-unavailable'
  | 'image-missing'
  | 'redis-unavailable'
  | 'io'
  | 'internal';

export class KmatrixError extends Error {
  override readonly name = 'KmatrixError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra lines shown after the message: captured stderr, a hint. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

export function isKmatrixError(e: unknown): e is KmatrixError {
  return e instanceof KmatrixError;
}

/** Exhaustiveness guard for `switch` over tagged unions. */
export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A thrown or rejected value as an Error (callbacks of dockerode and friends pass anything). */
export function toError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'string') return new Error(e);
  try {
    return new Error(JSON.stringify(e));
  } catch {
    return new Error('unknown error');
  }
}
