// Running kmatrix in tests: in-process through main() with an in-memory io (fast), or the
// built bin/kmatrix.js as a user runs it (slow tests; `npm run build` first).
import { resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

/** The built CLI; KMATRIX_CLI points the slow tests at another build. */
export const CLI = resolve(process.env['KMATRIX_CLI'] ?? 'bin/kmatrix.js');

export interface SpawnOptions {
  /** Added to the test's environment (execa extends process.env). */
  env?: Record<string, string | undefined>;
  /** Written to the CLI's stdin. */
  input?: string;
}

/**
 * Spawn the built CLI in `cwd`. Never rejects: assert on exitCode, stdout and stderr. The
 * subprocess can be awaited, or signalled or killed first.
 */
export function kmatrix(cwd: string, args: readonly string[], opts: SpawnOptions = {}) {
  return execa(process.execPath, [CLI, ...args], {
    cwd,
    reject: false,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}

/** A CliIo whose stdout and stderr are collected in memory. */
export function memoryIo(opts: {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  signal?: AbortSignal;
}): { io: CliIo; stdout: () => string; stderr: () => string } {
  // A Writable whose write appends at once, so the text is complete when main() returns.
  const collect = () => {
    let text = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    });
    return { stream, text: () => text };
  };
  const out = collect();
  const err = collect();
  return {
    io: {
      stdout: out.stream,
      stderr: err.stream,
      stdin: Readable.from(opts.stdin !== undefined ? [opts.stdin] : []),
      env: opts.env ?? {},
      cwd: opts.cwd,
      signal: opts.signal ?? new AbortController().signal,
    },
    stdout: out.text,
    stderr: err.text,
  };
}

/** main() in-process: what a user would see, without spawning node. */
export async function runMain(
  args: readonly string[],
  opts: Parameters<typeof memoryIo>[0],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const m = memoryIo(opts);
  const exitCode = await main(args, m.io);
  return { exitCode, stdout: m.stdout(), stderr: m.stderr() };
}
