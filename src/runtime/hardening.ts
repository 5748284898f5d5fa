// Least privilege for build containers: the caller's uid (or an unprivileged one when the
// caller is root), no network, no capabilities, no privilege gain through setuid binaries,
// a pids limit, the source read-only. A kernel build needs none of what is taken away.
import type { Owner } from '../fsutil/ownership.js';

/** Builds of a root kmatrix run as this uid:gid (distroless' "nonroot"); no image user needed. */
const UNPRIVILEGED: Owner = { uid: 65532, gid: 65532 };

/** Enough for make -j64 (make, sh, gcc, cc1, as per job, and threads); stops a fork bomb. */
export const PIDS_LIMIT = 4096;

export interface BuildIdentity {
  /** --user of the container. */
  user: string;
  /**
   * Set when the container user differs from the caller (the caller is root): the output dir
   * is handed to `build` before each command and back to `caller` after it.
   */
  handOver?: { build: Owner; caller: Owner };
}

function callerOwner(): Owner | undefined {
  return typeof process.getuid === 'function' && typeof process.getgid === 'function'
    ? { uid: process.getuid(), gid: process.getgid() }
    : undefined;
}

/** Who builds run as: the caller, unless the caller is root. */
export function buildIdentity(caller: Owner | undefined = callerOwner()): BuildIdentity {
  if (!caller) return { user: `${UNPRIVILEGED.uid}:${UNPRIVILEGED.gid}` };
  if (caller.uid !== 0) return { user: `${caller.uid}:${caller.gid}` };
  return {
    user: `${UNPRIVILEGED.uid}:${UNPRIVILEGED.gid}`,
    handOver: { build: UNPRIVILEGED, caller },
  };
}

/** The HostConfig fields that take privileges away (dockerode's names). */
export function hardenedHostConfig(): {
  NetworkMode: string;
  CapDrop: string[];
  SecurityOpt: string[];
  PidsLimit: number;
} {
  return {
    NetworkMode: 'none',
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: PIDS_LIMIT,
  };
}

/** The same as `docker run` flags, for reproducer.sh. */
export function hardenedRunFlags(): string[] {
  return [
    '--network',
    'none',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--pids-limit',
    String(PIDS_LIMIT),
  ];
}

/** reproducer.sh's variable holding the --user, set by reproducerUserLines(). */
export const REPRO_USER_VAR = 'KMATRIX_BUILD_USER';

/**
 * Shell lines for reproducer.sh, so a hand-run reproduction takes the same user as kmatrix:
 * the preamble picks it ($(id -u):$(id -g), or 65532 for root); before the steps, root hands
 * $OUT to it and takes it back when the script exits.
 */
export function reproducerUserLines(): { preamble: string[]; beforeSteps: string[] } {
  const u = `${UNPRIVILEGED.uid}:${UNPRIVILEGED.gid}`;
  return {
    preamble: [
      `# builds run as you, or as uid ${UNPRIVILEGED.uid} when you are root (as kmatrix's do)`,
      `${REPRO_USER_VAR}="$(id -u):$(id -g)"`,
      `if [ "$(id -u)" = 0 ]; then ${REPRO_USER_VAR}=${u}; fi`,
    ],
    beforeSteps: [
      'if [ "$(id -u)" = 0 ]; then',
      `  chown -R -- "$${REPRO_USER_VAR}" "$OUT"`,
      `  trap 'chown -R -- "$(id -u):$(id -g)" "$OUT"' EXIT`,
      'fi',
    ],
  };
}
