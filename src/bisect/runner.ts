// The process runner for bisect: execa like src/process/runner.ts, but without execa's
// `cleanup` (signal-exit) hooks. signal-exit compares the number of SIGINT listeners with
// the number of live subprocesses; with two parallel workers the counts match and it
// re-raises SIGINT, killing kmatrix before the abort handler can remove the run dir. The
// bisect commands handle SIGINT/SIGTERM themselves and cancel every child through the
// AbortSignal instead.
import { execa } from 'execa';
import type { ProcessRunner } from '../process/runner.js';

export const bisectRunner: ProcessRunner = {
  async run(file, args, options = {}) {
    const r = await execa(file, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: options.extendEnv ?? true,
      input: options.input,
      cancelSignal: options.signal,
      timeout: options.timeoutMs,
      reject: false,
      cleanup: false,
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
