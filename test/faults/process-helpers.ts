// Helpers for the process and storage faults: the built CLI started as a user would (in the
// background, with an --events file to watch), the results store read directly, and an
// inventory of what a kmatrix process leaves behind (processes, containers).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { MANAGED_LABEL, RUN_LABEL } from '../../src/runtime/docker.js';
import { readJsonLines } from '../helpers/ndjson.js';

export const CLI = resolve('bin/kmatrix.js');

/** `kmatrix ARGS` in `cwd`, not awaited: the caller watches, kills, then awaits it. */
export function startKmatrix(cwd: string, args: string[], env: Record<string, string> = {}) {
  // forceKillAfterDelay: false, or execa would follow our SIGTERM with a SIGKILL after 5 s.
  return execa(process.execPath, [CLI, ...args], {
    cwd,
    env,
    reject: false,
    forceKillAfterDelay: false,
  });
}

export type Cli = ReturnType<typeof startKmatrix>;

export async function kmatrix(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = await startKmatrix(cwd, args, env);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function workDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `kmatrix-fault-${name}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface RunEv {
  type: string;
  runId?: string;
  cell?: { id: string; label: string };
  stage?: string;
  status?: string;
  reason?: string;
  message?: string;
  attempt?: number;
}

export function events(file: string): Promise<RunEv[]> {
  return readJsonLines<RunEv>(file);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` every 250 ms until it returns a value (not undefined); fail after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 10 * 60_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

export interface StoredResult {
  cell_id: string;
  status: string;
  finished_at: string;
  attempts: number;
}

/** The results table of a store, read-only ([] while the file does not exist yet). */
export function storedResults(db: string): StoredResult[] {
  let d: Database.Database | undefined;
  try {
    d = new Database(db, { readonly: true, fileMustExist: true });
    return d
      .prepare('SELECT cell_id, status, finished_at, attempts FROM results ORDER BY cell_id')
      .all() as StoredResult[];
  } catch {
    return [];
  } finally {
    d?.close();
  }
}

export function storedRuns(db: string): { id: string; state: string; pid: number | null }[] {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return d.prepare('SELECT id, state, pid FROM runs ORDER BY started_at').all() as {
      id: string;
      state: string;
      pid: number | null;
    }[];
  } finally {
    d.close();
  }
}

export function integrityCheck(db: string): string {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (d.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('; ');
  } finally {
    d.close();
  }
}

interface ProcStat {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
}

async function procStat(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  // comm is in parentheses and may hold spaces; the fields after the last ')' are fixed.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const [state, ppid] = text
    .slice(close + 2)
    .split(' ')
    .slice(0, 2);
  return { pid, ppid: Number(ppid), state: state ?? '?', comm };
}

async function allProcesses(): Promise<ProcStat[]> {
  const out: ProcStat[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const s = await procStat(Number(e));
    if (s) out.push(s);
  }
  return out;
}

/** Live (not zombie) descendants of `root`, with their command names. */
export async function descendants(root: number): Promise<ProcStat[]> {
  const all = await allProcesses();
  const kids = new Map<number, ProcStat[]>();
  for (const p of all) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p]);
  const out: ProcStat[] = [];
  const walk = (pid: number) => {
    for (const k of kids.get(pid) ?? []) {
      if (k.state !== 'Z') out.push(k);
      walk(k.pid);
    }
  };
  walk(root);
  return out;
}

/** A process's command line, words joined by spaces ('' once it ended). */
export async function cmdline(pid: number): Promise<string> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.split('\0').join(' ').trim();
}

/** Which of these pids still run (zombies count as ended: their parent died before reaping). */
export async function stillRunning(pids: readonly number[]): Promise<number[]> {
  const out: number[] = [];
  for (const pid of pids) {
    const s = await procStat(pid);
    if (s && s.state !== 'Z') out.push(pid);
  }
  return out;
}

/** Containers of a matrix run (running or not). */
export async function runContainers(docker: Docker, runId: string) {
  return docker.listContainers({
    all: true,
    filters: { label: [MANAGED_LABEL, `${RUN_LABEL}=${runId}`] },
  });
}
