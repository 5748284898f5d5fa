// The docker runtime: each command runs in a fresh container of a toolchain image, with the
// kernel tree bind-mounted read-only, the O= dir and ccache writable, and least privilege
// (hardening.ts): the caller's uid:gid (65532 for root, the output handed over and back),
// no network, no capabilities, no-new-privileges, a pids limit. The container is removed
// however the command ends (exit, timeout, AbortSignal, daemon error): no orphans.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { pidAlive } from '../fsutil/atomic.js';
import { chownTree, ownedBy, type Owner } from '../fsutil/ownership.js';
import { shellJoin } from '../process/shell-quote.js';
import {
  buildIdentity,
  hardenedHostConfig,
  hardenedRunFlags,
  REPRO_USER_VAR,
  type BuildIdentity,
} from './hardening.js';
import {
  tail,
  type CommandOwner,
  type RunCommand,
  type RunOutcome,
  type Runtime,
  type RuntimeInfo,
  type RuntimePaths,
  type Workspace,
} from './runtime.js';

/** Every container kmatrix starts carries this label (tests and cleanup find them by it). */
export const MANAGED_LABEL = 'org.kmatrix.managed';
/** A matrix run's containers also carry its run id and the cell id (see CommandOwner). */
export const RUN_LABEL = 'org.kmatrix.run';
export const CELL_LABEL = 'org.kmatrix.cell';
/** The pid of the kmatrix process that created the container, and the host it runs on. */
export const OWNER_PID_LABEL = 'org.kmatrix.owner-pid';
export const OWNER_HOST_LABEL = 'org.kmatrix.owner-host';
/** A queue worker's containers carry its name (its restart removes what it left). */
export const WORKER_LABEL = 'org.kmatrix.worker';

/** The readable name of a run's cell container: kmatrix-<run>-<cell>. */
export function containerName(owner: CommandOwner): string {
  return `kmatrix-${owner.runId}-${owner.cellId}`;
}

function ownerLabels(owner: CommandOwner | undefined): Record<string, string> {
  const mine = { [OWNER_PID_LABEL]: String(process.pid), [OWNER_HOST_LABEL]: hostname() };
  return owner ? { ...mine, [RUN_LABEL]: owner.runId, [CELL_LABEL]: owner.cellId } : mine;
}

const CONTAINER_PATHS: Required<RuntimePaths> = { source: '/src', out: '/out', ccache: '/ccache' };
const CONTAINER_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface DockerRuntimeOptions {
  docker: Docker;
  /** Image reference (kmatrix/gcc:latest) and its resolved id (sha256:...). */
  image: string;
  imageId: string;
  dockerHost: string;
  serverVersion: string;
  /** Memory limit in bytes (0 = none). */
  memoryBytes?: number;
  /** CPU limit in CPUs (0 = none). */
  cpus?: number;
  /** uid:gid the command runs as (no hand-over); default: buildIdentity() of the caller. */
  user?: string;
  /** Extra container labels (a matrix run id, a test run id) to find its containers by. */
  labels?: Record<string, string>;
}

export class DockerRuntime implements Runtime {
  readonly info: RuntimeInfo;
  constructor(private readonly opts: DockerRuntimeOptions) {
    this.info = {
      kind: 'docker',
      image: opts.image,
      imageId: opts.imageId,
      dockerHost: opts.dockerHost,
      serverVersion: opts.serverVersion,
    };
  }

  /** Remove what is left of a run's containers on this runtime's daemon (see below). */
  async sweepRun(runId: string): Promise<string[]> {
    return removeRunContainers(this.opts.docker, runId);
  }

  paths(ws: Workspace): RuntimePaths {
    return ws.ccache
      ? { ...CONTAINER_PATHS }
      : { source: CONTAINER_PATHS.source, out: CONTAINER_PATHS.out };
  }

  private binds(ws: Workspace): string[] {
    const binds = [
      `${ws.source}:${CONTAINER_PATHS.source}:ro`,
      `${ws.out}:${CONTAINER_PATHS.out}:rw`,
    ];
    if (ws.ccache) binds.push(`${ws.ccache}:${CONTAINER_PATHS.ccache}:rw`);
    return binds;
  }

  private env(ws: Workspace, extra: Record<string, string> | undefined): Record<string, string> {
    const env: Record<string, string> = { HOME: '/tmp', PATH: CONTAINER_PATH_ENV };
    if (ws.ccache) {
      env['PATH'] = `/usr/lib/ccache:${CONTAINER_PATH_ENV}`;
      env['CCACHE_DIR'] = CONTAINER_PATHS.ccache;
    }
    return { ...env, ...extra };
  }

  reproduce(ws: Workspace, cmd: Pick<RunCommand, 'argv' | 'env'>): string {
    const head = ['docker', 'run', '--rm', ...hardenedRunFlags()];
    const args: string[] = [];
    if (this.opts.memoryBytes) args.push('--memory', String(this.opts.memoryBytes));
    if (this.opts.cpus) args.push('--cpus', String(this.opts.cpus));
    for (const b of this.binds(ws)) args.push('-v', b);
    for (const [k, v] of Object.entries(this.env(ws, cmd.env))) args.push('-e', `${k}=${v}`);
    args.push('-w', CONTAINER_PATHS.out, this.opts.imageId, ...cmd.argv);
    // The user is the script's choice at run time (reproducerUserLines), unless fixed here.
    const user = this.opts.user
      ? shellJoin(['--user', this.opts.user])
      : `--user "$${REPRO_USER_VAR}"`;
    return `${shellJoin(head)} ${user} ${shellJoin(args)}`;
  }

  /** Who the container runs as, and the workspace as it is mounted (ccache per build user). */
  private identity(ws: Workspace): { id: BuildIdentity; ws: Workspace } {
    const id: BuildIdentity = this.opts.user ? { user: this.opts.user } : buildIdentity();
    if (!id.handOver || !ws.ccache) return { id, ws };
    // A root-owned ccache would be unwritable for the build user: it gets its own.
    return { id, ws: { ...ws, ccache: `${ws.ccache}-uid${id.handOver.build.uid}` } };
  }

  private containerSpec(
    ws: Workspace,
    cmd: RunCommand,
    user: string,
  ): Docker.ContainerCreateOptions {
    const env = this.env(ws, cmd.env);
    return {
      ...(cmd.owner ? { name: containerName(cmd.owner) } : {}),
      Image: this.opts.imageId,
      Cmd: [...cmd.argv],
      WorkingDir: CONTAINER_PATHS.out,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      User: user,
      NetworkDisabled: true,
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
      Labels: {
        ...this.opts.labels,
        ...ownerLabels(cmd.owner),
        [MANAGED_LABEL]: 'true',
        'org.kmatrix.argv0': cmd.argv[0] ?? '',
      },
      HostConfig: {
        Binds: this.binds(ws),
        ...hardenedHostConfig(),
        AutoRemove: false,
        ...(this.opts.memoryBytes ? { Memory: this.opts.memoryBytes } : {}),
        ...(this.opts.cpus ? { NanoCpus: Math.round(this.opts.cpus * 1e9) } : {}),
      },
    };
  }

  async run(wsIn: Workspace, cmd: RunCommand): Promise<RunOutcome> {
    const started = Date.now();
    const docker = this.opts.docker;
    let output = '';
    let log: WriteStream | undefined;
    let container: Docker.Container | undefined;
    let ended: 'timeout' | 'cancelled' | undefined;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const done = (o: Omit<RunOutcome, 'durationMs' | 'output'> & Partial<RunOutcome>): RunOutcome =>
      ({
        ...o,
        durationMs: Date.now() - started,
        output: cmd.capture ? output : tail(output),
      }) as RunOutcome;

    if (cmd.signal?.aborted) return done({ kind: 'cancelled' });
    const { id, ws } = this.identity(wsIn);
    try {
      if (id.handOver) {
        const problem = await handOverWorkspace(ws, id.handOver.build);
        if (problem) return done({ kind: 'infra-error', reason: problem });
      }
      if (cmd.logFile) log = createWriteStream(cmd.logFile, { flags: 'a' });
      container = await createContainer(docker, this.containerSpec(ws, cmd, id.user));
      const c = container;
      const stop = (why: 'timeout' | 'cancelled') => {
        if (ended) return;
        ended = why;
        // kill ends wait(); removal happens in finally
        c.kill().catch(() => undefined);
      };
      if (cmd.timeoutMs) timer = setTimeout(() => stop('timeout'), cmd.timeoutMs);
      if (cmd.signal) {
        onAbort = () => stop('cancelled');
        cmd.signal.addEventListener('abort', onAbort, { once: true });
        if (cmd.signal.aborted) return done({ kind: 'cancelled' });
      }

      const stream = await c.attach({ stream: true, stdout: true, stderr: true });
      const streamEnded = demux(docker, stream, (buf) => {
        const s = buf.toString('utf8');
        output = cmd.capture ? output + s : tail(output + s, 256 * 1024);
        log?.write(buf);
        cmd.onOutput?.(s);
      });

      if (ended)
        return done(
          ended === 'timeout'
            ? { kind: 'timeout', timeoutMs: cmd.timeoutMs ?? 0 }
            : { kind: 'cancelled' },
        );
      await c.start();
      // An abort or timeout that fired while start() was in flight could not kill yet.
      if (ended) await c.kill().catch(() => undefined);
      const status = await waitExit(c, streamEnded);
      // The attach stream closes right after the container exits; don't hang on it.
      await Promise.race([streamEnded, new Promise((r) => setTimeout(r, 2_000))]);
      if (ended === 'timeout') return done({ kind: 'timeout', timeoutMs: cmd.timeoutMs ?? 0 });
      if (ended === 'cancelled') return done({ kind: 'cancelled' });
      if (status.StatusCode === 0) return done({ kind: 'pass' });
      if (status.Error?.Message) return done({ kind: 'infra-error', reason: status.Error.Message });
      return done({ kind: 'fail', exitCode: status.StatusCode });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      if (ended === 'timeout') return done({ kind: 'timeout', timeoutMs: cmd.timeoutMs ?? 0 });
      if (ended === 'cancelled' || cmd.signal?.aborted) return done({ kind: 'cancelled' });
      return done({ kind: 'infra-error', reason: `docker: ${reason}` });
    } finally {
      if (timer) clearTimeout(timer);
      if (onAbort) cmd.signal?.removeEventListener('abort', onAbort);
      if (container) await removeContainer(container);
      if (log) await new Promise<void>((r) => log!.end(r));
      // What the build wrote is the caller's again, whatever happened.
      if (id.handOver) await chownTree(ws.out, id.handOver.caller);
    }
  }
}

interface ExitStatus {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

/**
 * c.wait(), except when the daemon dies under it: the wait request then never settles
 * (docker-modem neither resolves nor rejects on a dropped connection), and kmatrix would hang
 * or exit with nothing recorded. The attach stream does end, with the container or with the
 * daemon, so when it ends first the daemon is asked at once: gone, the error goes to the
 * caller (an infra-error). It must be asked before a restarted daemon could answer: that one
 * reports the container it killed while restoring as exited 137, which reads as a failed make.
 */
async function waitExit(c: Docker.Container, streamEnded: Promise<void>): Promise<ExitStatus> {
  const waited = c.wait() as Promise<ExitStatus>;
  waited.catch(() => undefined); // raced below; a rejection is seen there
  const sleep = (ms: number) => new Promise<undefined>((r) => setTimeout(() => r(undefined), ms));
  const first = await Promise.race([waited, streamEnded.then(() => undefined)]);
  if (first) return first;
  // Exited: wait's own answer follows within moments.
  if (!(await c.inspect()).State.Running)
    return (await Promise.race([waited, sleep(2_000)])) ?? ((await c.wait()) as ExitStatus);
  // Still running with its output cut: wait on, but an exit seen only now is not trusted.
  for (;;) {
    const again = await Promise.race([waited, sleep(2_000)]);
    if (again) return again;
    const state = (await c.inspect()).State;
    if (!state.Running)
      throw new Error(
        `lost the container's output and exit status while it ran (it ended with ${state.ExitCode}${state.Error ? `: ${state.Error}` : ''})`,
      );
  }
}

/**
 * Create a container; when its name is taken by an earlier container of the same run and
 * cell (one whose removal failed because the daemon died under it), remove that one first.
 */
async function createContainer(
  docker: Docker,
  spec: Docker.ContainerCreateOptions,
): Promise<Docker.Container> {
  try {
    return await docker.createContainer(spec);
  } catch (e) {
    const status = (e as { statusCode?: number }).statusCode;
    if (status !== 409 || !spec.name) throw e;
    const stale = docker.getContainer(spec.name);
    const labels = (await stale.inspect()).Config.Labels ?? {};
    const mine = spec.Labels ?? {};
    if (labels[RUN_LABEL] !== mine[RUN_LABEL] || labels[CELL_LABEL] !== mine[CELL_LABEL]) throw e;
    await removeContainer(stale);
    return await docker.createContainer(spec);
  }
}

export interface RunContainer {
  id: string;
  name: string;
  runId: string;
}

/** Containers of matrix runs on this daemon (running or not), of one run or of all. */
export async function listRunContainers(docker: Docker, runId?: string): Promise<RunContainer[]> {
  const found = await docker.listContainers({
    all: true,
    filters: { label: [MANAGED_LABEL, runId ? `${RUN_LABEL}=${runId}` : RUN_LABEL] },
  });
  return found.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
    runId: c.Labels[RUN_LABEL] ?? '',
  }));
}

export async function removeContainerById(docker: Docker, id: string): Promise<void> {
  await removeContainer(docker.getContainer(id));
}

/**
 * Remove every container of a matrix run (running or not): what the daemon could not remove
 * when it died under a command. Returns their names.
 */
export async function removeRunContainers(docker: Docker, runId: string): Promise<string[]> {
  const found = await listRunContainers(docker, runId);
  for (const c of found) await removeContainerById(docker, c.id);
  return found.map((c) => c.name);
}

/**
 * Remove the containers that kmatrix processes on this host left when they were killed
 * (kill -9, the OOM killer, a closed session) while a build, bisect step or repro ran: their
 * owner pid is dead, so nothing else would ever remove them, and they pile up. A matrix run's
 * containers are left for its `--resume` and a worker's for its restart, which both remove
 * them and say so. Returns the names removed.
 */
export async function removeOrphans(
  docker: Docker,
  alive: (pid: number) => boolean = pidAlive,
): Promise<string[]> {
  const found = await docker.listContainers({
    all: true,
    filters: { label: [MANAGED_LABEL, `${OWNER_HOST_LABEL}=${hostname()}`] },
  });
  const orphans = found.filter((c) => {
    const pid = Number(c.Labels[OWNER_PID_LABEL]);
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) return false;
    return !(RUN_LABEL in c.Labels) && !(WORKER_LABEL in c.Labels);
  });
  for (const c of orphans) await removeContainerById(docker, c.Id);
  return orphans.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ''));
}

/**
 * Give the output dir (and the build user's ccache) to the build user. The source only has to
 * be readable: it is mounted read-only, and a tree only root can read would fail every
 * compile, so that is said up front.
 */
async function handOverWorkspace(ws: Workspace, build: Owner): Promise<string | undefined> {
  const mode = await stat(ws.source).then(
    (st) => st.mode,
    () => 0,
  );
  if ((mode & 0o005) !== 0o005)
    return `the source tree ${ws.source} is not readable by the unprivileged build user (uid ${build.uid}; mode ${(mode & 0o777).toString(8)}): make it world-readable (chmod -R o+rX) or run kmatrix as a normal user`;
  await chownTree(ws.out, build);
  if (ws.ccache) {
    await mkdir(ws.ccache, { recursive: true });
    if (!(await ownedBy(ws.ccache, build))) await chownTree(ws.ccache, build);
  }
  return undefined;
}

/** The container's stdout and stderr into `onData`; resolves when the attach stream ends. */
function demux(
  docker: Docker,
  stream: NodeJS.ReadWriteStream,
  onData: (buf: Buffer) => void,
): Promise<void> {
  const sink = new PassThrough();
  sink.on('data', onData);
  docker.modem.demuxStream(stream, sink, sink);
  return new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
}

async function removeContainer(c: Docker.Container): Promise<void> {
  // force: kills it if still running. Retry once: removal can race with the kill.
  for (let i = 0; i < 3; i++) {
    try {
      await c.remove({ force: true, v: true });
      return;
    } catch (e) {
      const status = (e as { statusCode?: number }).statusCode;
      if (status === 404) return;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
