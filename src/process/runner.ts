// The one way kmatrix starts processes. Everything that spawns takes a ProcessRunner,
// so tests can see exactly what ran; the real one is execa, which never uses a shell.
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { KmatrixError } from '../core/errors.js';
import { ownerEnv } from './owner.js';

export interface RunOptions {
  cwd?: string | undefined;
  env?: Record<string, string | undefined> | undefined;
  /** Replace the environment instead of extending process.env. */
  extendEnv?: boolean | undefined;
  input?: string | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Write stdout+stderr (interleaved) to this file as well as capturing it. */
  logFile?: string | undefined;
}

export interface RunResult {
  command: string;
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  failed: boolean;
}

export interface ProcessRunner {
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/**
 * A ProcessRunner over execa. `cleanup: false` drops execa's signal-exit hooks, for commands
 * that handle SIGINT/SIGTERM themselves and cancel children through AbortSignal (see
 * src/bisect/runner.ts for why that matters).
 */
export function createExecaRunner(opts: { cleanup: boolean }): ProcessRunner {
  return {
    async run(file, args, options = {}) {
      const r = await execa(file, args, {
        ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
        // The owner marker: a killed kmatrix's leftovers are found by it (owner.ts).
        env: { ...options.env, ...ownerEnv() },
        extendEnv: options.extendEnv ?? true,
        ...(options.input !== undefined ? { input: options.input } : {}),
        ...(options.signal !== undefined ? { cancelSignal: options.signal } : {}),
        ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
        reject: false,
        cleanup: opts.cleanup,
        stripFinalNewline: false,
        ...(options.logFile
          ? {
              stdout: ['pipe', { file: options.logFile, append: true }] as const,
              stderr: ['pipe', { file: options.logFile, append: true }] as const,
            }
          : {}),
      });
      return {
        command: r.command,
        exitCode: r.exitCode,
        signal: r.signal,
        stdout: String(r.stdout ?? ''),
        stderr: String(r.stderr ?? ''),
        timedOut: r.timedOut,
        cancelled: r.isCanceled,
        failed: r.failed,
      };
    },
  };
}

export const execaRunner: ProcessRunner = createExecaRunner({ cleanup: true });

/** Run and throw a KmatrixError (code given) when the command fails. */
export async function runChecked(
  runner: ProcessRunner,
  code: 'command-failed' | 'apt-failed' | 'kconfig-failed' | 'bad-ref',
  file: string,
  args: readonly string[],
  options?: RunOptions,
): Promise<RunResult> {
  const r = await runner.run(file, args, options);
  if (r.failed) {
    const why = r.timedOut
      ? 'timed out'
      : r.cancelled
        ? 'was cancelled'
        : `exited with ${r.exitCode ?? r.signal}`;
    throw new KmatrixError(
      code,
      `command ${why}: ${r.command}`,
      lastLines(r.stderr || r.stdout, 20),
    );
  }
  return r;
}

export function lastLines(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}

/** Find an executable on the env's PATH without a shell; undefined when absent. */
export async function which(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env['PATH'] ?? '').split(':')) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}
