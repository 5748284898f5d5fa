// What the CLI needs from the outside world, passed in so tests can run main() in-process.
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  /** Read by `kmatrix repro -`. */
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Aborted on SIGINT/SIGTERM (bin/kmatrix.js), with the signal's name as the reason, but only
   * while something listens on it: see `interruptible`.
   */
  signal: AbortSignal;
}

/**
 * Run the part of a command that stops cleanly when interrupted (cancels its processes and
 * containers, removes its temp dirs, reports what it finished). While `fn` runs, io.signal
 * has a listener; bin/kmatrix.js aborts the signal only then, and otherwise lets the signal
 * end the process as it would any program, so a command without cleanup never hangs on
 * Ctrl-C.
 */
export async function interruptible<T>(
  signal: AbortSignal,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const listening = () => {};
  signal.addEventListener('abort', listening);
  try {
    return await fn(signal);
  } finally {
    signal.removeEventListener('abort', listening);
  }
}
