// Real parts for queue tests: a private redis-server started by scripts/redis-up.sh (killed,
// restarted and stopped by pid), `kmatrix worker` processes standing in for build hosts
// (their --json events read as they come), the coordinator's --events file, and the
// containers a worker labelled. Every Redis lives under REDIS_TEST_ROOT, so .ci/run's EXIT
// trap stops whatever a crashed test left (scripts/redis-down.sh --all).
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { MANAGED_LABEL } from '../../src/runtime/docker.js';
import { CLI } from './cli.js';
import { readJsonLines } from './ndjson.js';

export const REDIS_TEST_ROOT = join(tmpdir(), 'kmatrix-redis-tests');
const UP = resolve('scripts/redis-up.sh');
const DOWN = resolve('scripts/redis-down.sh');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` every 100 ms until it returns a value (not undefined); fail after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  ms = 5 * 60_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await sleep(100);
  }
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface TestRedis {
  dir: string;
  port: number;
  url: string;
  pid(): Promise<number>;
  /** scripts/redis-up.sh again on the same directory: a killed one restarts from its AOF. */
  up(): Promise<void>;
  kill9(): Promise<void>;
  down(): Promise<void>;
}

export async function startRedis(
  opts: { password?: string; tls?: { cert: string; key: string } } = {},
): Promise<TestRedis> {
  await mkdir(REDIS_TEST_ROOT, { recursive: true });
  const dir = await mkdtemp(join(REDIS_TEST_ROOT, 'r-'));
  const port = await freePort();
  const env = {
    KMATRIX_REDIS_PORT: String(port),
    ...(opts.password ? { KMATRIX_REDIS_PASSWORD: opts.password } : {}),
    ...(opts.tls
      ? { KMATRIX_REDIS_TLS_CERT: opts.tls.cert, KMATRIX_REDIS_TLS_KEY: opts.tls.key }
      : {}),
  };
  let url = '';
  const up = async () => {
    const r = await execa('bash', [UP, dir], { env, reject: false });
    if (r.exitCode !== 0) throw new Error(`redis-up.sh failed:\n${r.stderr}`);
    url = /KMATRIX_REDIS_URL=(\S+)/.exec(r.stdout)?.[1] ?? '';
  };
  await up();
  const pid = async () => Number((await readFile(join(dir, 'redis.pid'), 'utf8')).trim());
  return {
    dir,
    port,
    get url() {
      return url;
    },
    pid,
    up,
    kill9: async () => {
      const p = await pid();
      process.kill(p, 'SIGKILL');
      await waitFor('redis-server to die', async () =>
        (await readFile(`/proc/${p}/stat`, 'utf8').catch(() => 'gone')).match(/^gone$|\) Z /)
          ? true
          : undefined,
      );
    },
    down: async () => {
      await execa('bash', [DOWN, dir], { reject: false });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface WorkerEv {
  type: string;
  jobId?: string;
  attempt?: number;
  status?: string;
  reason?: string;
  containers?: string[];
  message?: string;
}

function spawnWorker(cwd: string, args: string[], env: Record<string, string>) {
  return execa(process.execPath, [CLI, 'worker', '--json', ...args], {
    cwd,
    env,
    reject: false,
    buffer: false,
  });
}

export interface TestWorker {
  name: string;
  proc: ReturnType<typeof spawnWorker>;
  events(): WorkerEv[];
  stderr(): string;
  waitFor(what: string, pred: (e: WorkerEv) => boolean, ms?: number): Promise<WorkerEv>;
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** `kmatrix worker --json` as a build host; resolves once it announced itself. */
export async function startWorker(
  cwd: string,
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<TestWorker> {
  const proc = spawnWorker(cwd, ['--name', name, ...args], env);
  const events: WorkerEv[] = [];
  let err = '';
  let partial = '';
  proc.stdout?.on('data', (b: Buffer) => {
    partial += b.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l) as WorkerEv);
  });
  proc.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const w: TestWorker = {
    name,
    proc,
    events: () => events,
    stderr: () => err,
    waitFor: (what, pred, ms) =>
      waitFor(
        `${name}: ${what}`,
        () => {
          if (proc.exitCode !== null && !events.some(pred))
            throw new Error(`worker ${name} exited (${proc.exitCode}) before ${what}:\n${err}`);
          return events.find(pred);
        },
        ms,
      ),
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await proc;
    },
    kill: (signal) => {
      proc.kill(signal);
    },
  };
  await w.waitFor('start', (e) => e.type === 'worker:start', 60_000);
  return w;
}

export interface RunEv {
  /** When the coordinator emitted it (ISO). */
  t?: string;
  type: string;
  cell?: { id: string; label: string };
  stage?: string;
  status?: string;
  reason?: string;
  message?: string;
  attempt?: number;
  worker?: string;
}

export function runEvents(file: string): Promise<RunEv[]> {
  return readJsonLines<RunEv>(file);
}

/**
 * `kmatrix run ARGS` in the background (the caller signals, kills or awaits it). `running()`
 * throws with its stderr once it has exited: waits on workers fail at once, not at timeout.
 */
export function startRun(cwd: string, args: string[], env: Record<string, string> = {}) {
  const proc = execa(process.execPath, [CLI, 'run', ...args], { cwd, env, reject: false });
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  return Object.assign(proc, {
    running: () => {
      if (proc.exitCode !== null)
        throw new Error(`kmatrix run exited (${proc.exitCode}) early:\n${err}`);
      return true;
    },
  });
}

export interface StoredRow {
  cell_id: string;
  status: string;
  attempts: number;
  body: string;
}

export function storedRows(db: string): StoredRow[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT cell_id, status, attempts, body FROM results').all() as StoredRow[];
  } finally {
    d.close();
  }
}

/** Containers (running or not) labelled with a queue worker's name. */
export async function workerContainers(
  docker: Docker,
  worker: string,
): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({
    all: true,
    filters: { label: [MANAGED_LABEL, `org.kmatrix.worker=${worker}`] },
  });
}

/** Keys a finished run should not leave behind: jobs of the run, attempt files. */
export async function leftovers(redisUrl: string, runId: string): Promise<string[]> {
  const u = new URL(redisUrl);
  const r = await execa(
    'redis-cli',
    ['-h', u.hostname, '-p', u.port, '--scan', '--pattern', 'kmatrix:*'],
    {
      reject: false,
    },
  );
  return r.stdout
    .split('\n')
    .filter((k) => k.includes(runId) || k.startsWith('kmatrix:artifact:'))
    .sort();
}

export async function workDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `kmatrix-queue-${name}-`));
}
