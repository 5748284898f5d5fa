// The local runtime: make runs on this machine with the host's toolchains, through the
// injected ProcessRunner (execa, never a shell). Same outcomes as the docker runtime.
import type { ProcessRunner } from '../process/runner.js';
import { shellJoin, shellQuote } from '../process/shell-quote.js';
import {
  tail,
  type RunCommand,
  type RunOutcome,
  type Runtime,
  type RuntimeInfo,
  type RuntimePaths,
  type Workspace,
} from './runtime.js';

/** Variables from the caller's shell that would change what make does. */
const STRIPPED =
  /^(KCONFIG_|KBUILD_|ARCH$|SRCARCH$|CROSS_COMPILE$|LLVM$|LLVM_IAS$|CC$|LD$|O$|MAKEFLAGS$|MAKELEVEL$|MFLAGS$|GNUMAKEFLAGS$|CCACHE_)/;

export class LocalRuntime implements Runtime {
  readonly info: RuntimeInfo = { kind: 'local' };
  constructor(
    private readonly runner: ProcessRunner,
    private readonly baseEnv: NodeJS.ProcessEnv,
  ) {}

  paths(ws: Workspace): RuntimePaths {
    return { ...ws };
  }

  private env(ws: Workspace, extra: Record<string, string> | undefined): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.baseEnv)) {
      if (v !== undefined && !STRIPPED.test(k)) env[k] = v;
    }
    if (ws.ccache) {
      // Debian's ccache masquerade dir has a symlink for every installed (cross) gcc.
      env['PATH'] = `/usr/lib/ccache:${env['PATH'] ?? '/usr/bin:/bin'}`;
      env['CCACHE_DIR'] = ws.ccache;
    }
    return { ...env, ...extra };
  }

  reproduce(ws: Workspace, cmd: Pick<RunCommand, 'argv' | 'env'>): string {
    const words = Object.entries(cmd.env ?? {}).map(([k, v]) => shellQuote(`${k}=${v}`));
    const env = words.length ? `env ${words.join(' ')} ` : '';
    // PATH must expand in the user's shell, so it stays outside single quotes.
    const ccache = ws.ccache
      ? `env "PATH=/usr/lib/ccache:$PATH" ${shellQuote(`CCACHE_DIR=${ws.ccache}`)} `
      : '';
    return ccache + env + shellJoin(cmd.argv);
  }

  async run(ws: Workspace, cmd: RunCommand): Promise<RunOutcome> {
    const started = Date.now();
    const [file, ...args] = cmd.argv;
    if (!file) return { kind: 'infra-error', durationMs: 0, output: '', reason: 'empty command' };
    if (cmd.signal?.aborted) return { kind: 'cancelled', durationMs: 0, output: '' };
    const r = await this.runner.run(file, args, {
      cwd: ws.out,
      env: this.env(ws, cmd.env),
      extendEnv: false,
      ...(cmd.signal ? { signal: cmd.signal } : {}),
      ...(cmd.timeoutMs ? { timeoutMs: cmd.timeoutMs } : {}),
      ...(cmd.logFile ? { logFile: cmd.logFile } : {}),
    });
    const output = r.stdout + r.stderr;
    if (output) cmd.onOutput?.(output);
    const base = { durationMs: Date.now() - started, output: cmd.capture ? output : tail(output) };
    if (r.timedOut) return { kind: 'timeout', ...base, timeoutMs: cmd.timeoutMs ?? 0 };
    if (r.cancelled) return { kind: 'cancelled', ...base };
    if (r.exitCode === 0) return { kind: 'pass', ...base };
    if (r.exitCode === undefined) {
      return {
        kind: 'infra-error',
        ...base,
        reason: `could not run ${file}${r.signal ? ` (signal ${r.signal})` : ''}: ${r.command}`,
      };
    }
    return { kind: 'fail', ...base, exitCode: r.exitCode };
  }
}
