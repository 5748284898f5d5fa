// What a build needs from the place it runs: run one command with the kernel tree, the
// output dir and a ccache dir available, stream its output, and say how it ended.
// Two implementations: docker (a toolchain image, see docker.ts) and local (host tools).

export type RuntimeKind = 'docker' | 'local';
export const RUNTIME_KINDS: readonly RuntimeKind[] = ['docker', 'local'];

/** Host directories a command works on. */
export interface Workspace {
  /** Kernel source tree; never written (read-only bind mount in docker). */
  source: string;
  /** The O= dir, writable. */
  out: string;
  /** ccache directory, writable; undefined disables ccache. */
  ccache?: string;
}

/** The same directories as the command sees them (container paths in docker). */
export interface RuntimePaths {
  source: string;
  out: string;
  ccache?: string;
}

export interface RunCommand {
  argv: readonly string[];
  /** Extra environment for the command (on top of the runtime's own). */
  env?: Record<string, string>;
  /** Append all output (stdout and stderr interleaved) to this host file. */
  logFile?: string;
  /** Called with output chunks as they arrive (may split lines). */
  onOutput?: (chunk: string) => void;
  /** Keep the output in the outcome (for short commands like `gcc --version`). */
  capture?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The matrix run and cell the command works for: its container is labelled and named by them. */
  owner?: CommandOwner;
}

/** Who a command works for, so a later kmatrix can find what a killed one left behind. */
export interface CommandOwner {
  runId: string;
  cellId: string;
}

/** How a command ended. A failed build is data; so is a daemon that went away. */
export type RunOutcome =
  | { kind: 'pass'; durationMs: number; output: string }
  | { kind: 'fail'; durationMs: number; output: string; exitCode: number }
  | { kind: 'timeout'; durationMs: number; output: string; timeoutMs: number }
  | { kind: 'cancelled'; durationMs: number; output: string }
  | { kind: 'infra-error'; durationMs: number; output: string; reason: string };

export interface RuntimeInfo {
  kind: RuntimeKind;
  /** docker: the image reference and the exact image id used. */
  image?: string;
  imageId?: string;
  /** docker: DOCKER_HOST used, and the daemon version. */
  dockerHost?: string;
  serverVersion?: string;
}

/** What the reproducer needs to run a command again by hand. */
export interface ReproStep {
  /** A bash command line for this step, fully quoted. */
  shell: string;
}

export interface Runtime {
  readonly info: RuntimeInfo;
  paths(ws: Workspace): RuntimePaths;
  run(ws: Workspace, cmd: RunCommand): Promise<RunOutcome>;
  /** The same command as a standalone bash line (docker run ... / env ... make ...). */
  reproduce(ws: Workspace, cmd: Pick<RunCommand, 'argv' | 'env'>): string;
}

/** Keep the last `max` characters of captured output. */
export function tail(text: string, max = 64 * 1024): string {
  return text.length > max ? text.slice(text.length - max) : text;
}
