// The one way kmatrix starts processes. Everything that spawns takes a ProcessRunner,
// so tests can see exactly what ran; the real one is execa, which never uses a shell.
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

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

export interface PipelineStep {
  file: string;
  args: readonly string[];
}

export interface ProcessRunner {
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /**
   * `a | b | c` without a shell: each step's stdout streams into the next and is never held
   * in memory (kernel tarballs are hundreds of MB); stderr is captured. The result is that
   * of the first step that failed, else of the last.
   */
  pipeline(
    steps: readonly [PipelineStep, ...PipelineStep[]],
    options?: Pick<RunOptions, 'cwd' | 'signal'>,
  ): Promise<RunResult>;
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
        ...(options.env !== undefined ? { env: options.env } : {}),
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
      return runResult(r);
    },

    async pipeline(steps, options = {}) {
      const common = {
        ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
        ...(options.signal !== undefined ? { cancelSignal: options.signal } : {}),
        buffer: { stdout: false, stderr: true },
        reject: false,
        cleanup: opts.cleanup,
        stripFinalNewline: false,
      } as const;
      const [first, ...rest] = steps;
      // execa's pipe() types follow each step's options; all steps here share one shape.
      let p = execa(first.file, first.args, common) as unknown as Piped;
      for (const s of rest) p = p.pipe(s.file, s.args, common);
      // The last step's result holds the earlier ones in pipedFrom.
      const chain: Outcome[] = [];
      for (let r: Outcome | undefined = await p; r; r = r.pipedFrom[0]) chain.unshift(r);
      return runResult(chain.find((r) => r.failed) ?? chain[chain.length - 1]!);
    },
  };
}

/** What kmatrix reads of an execa result. */
interface Outcome {
  command: string;
  exitCode?: number | undefined;
  signal?: string | undefined;
  stdout?: string | undefined;
  stderr?: string | undefined;
  timedOut: boolean;
  isCanceled: boolean;
  failed: boolean;
  pipedFrom: readonly Outcome[];
}

interface Piped extends PromiseLike<Outcome> {
  pipe(file: string, args: readonly string[], options: object): Piped;
}

function runResult(r: Omit<Outcome, 'pipedFrom'>): RunResult {
  return {
    command: r.command,
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    timedOut: r.timedOut,
    cancelled: r.isCanceled,
    failed: r.failed,
  };
}

export const execaRunner: ProcessRunner = createExecaRunner({ cleanup: true });

/** "timed out", "was cancelled", "exited with 2", "exited with SIGKILL", "could not start". */
export function howItFailed(r: RunResult): string {
  if (r.timedOut) return 'timed out';
  if (r.cancelled) return 'was cancelled';
  const end = r.exitCode ?? r.signal;
  return end === undefined ? 'could not start' : `exited with ${end}`;
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
