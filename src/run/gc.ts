// Keeping a nightly from filling the disk: old run directories are removed (the store keeps
// their rows: history, comparisons and results stay), and cache entries nobody used for a
// while (trees, Kconfig tools, base configs, downloaded packages) are removed; ccache keeps
// itself under its max_size, which `gc --cache` can set.
import { lstat, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { pidAlive } from '../fsutil/atomic.js';
import type { ResultStore, RunRecord } from '../store/store.js';

export interface RemovedRun {
  runId: string;
  identity: string;
  runDir: string;
  bytes: number;
}

export interface RunsGcResult {
  removed: RemovedRun[];
  /** Runs whose directory was kept although past the limit, and why. */
  skipped: { runId: string; why: string }[];
  keptRuns: number;
  freedBytes: number;
}

/** Bytes under a path (files and links as they are; directories summed). */
async function treeBytes(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of await readdir(path)) total += await treeBytes(join(path, e));
  return total;
}

function inside(parent: string, child: string): boolean {
  const r = relative(resolve(parent), resolve(child));
  return r !== '' && !r.startsWith('..') && !r.startsWith(sep) && !r.includes(`..${sep}`);
}

/**
 * For each matrix identity (or only `identity`), keep the directories of its newest
 * `keepRuns` runs and remove the older ones. Only directories under <resultsDir>/runs/ are
 * ever removed, and never one of a run whose process is still alive.
 */
export async function pruneRuns(
  store: ResultStore,
  o: { resultsDir: string; keepRuns: number; identity?: string; dryRun?: boolean },
): Promise<RunsGcResult> {
  const result: RunsGcResult = { removed: [], skipped: [], keptRuns: 0, freedBytes: 0 };
  const runsRoot = join(o.resultsDir, 'runs');
  const identities = o.identity ? [o.identity] : store.identities();
  for (const identity of identities) {
    const runs = store.runsOf(identity); // newest first
    result.keptRuns += Math.min(runs.length, o.keepRuns);
    for (const run of runs.slice(o.keepRuns)) {
      if (!(await stat(run.runDir).catch(() => undefined))) continue; // removed earlier
      const why = keepReason(run, runsRoot);
      if (why) {
        result.skipped.push({ runId: run.id, why });
        continue;
      }
      const bytes = await treeBytes(run.runDir);
      if (!o.dryRun) await rm(run.runDir, { recursive: true, force: true });
      result.removed.push({ runId: run.id, identity, runDir: run.runDir, bytes });
      result.freedBytes += bytes;
    }
  }
  return result;
}

function keepReason(run: RunRecord, runsRoot: string): string | undefined {
  if (!inside(runsRoot, run.runDir)) return `its directory ${run.runDir} is not under ${runsRoot}`;
  if (run.state === 'running' && run.pid && pidAlive(run.pid))
    return `it is still running (pid ${run.pid})`;
  return undefined;
}

export interface CacheEntry {
  /** Relative to the cache dir: trees/git-1a2b..., kconfig-tools/..., apt/debs/x.deb. */
  path: string;
  lastUsed: Date;
  bytes: number;
}

export interface CacheGcResult {
  removed: CacheEntry[];
  freedBytes: number;
  /** ccache dirs whose max_size was set. */
  ccache: { dir: string; maxSize: string }[];
}

/** Cache folders whose entries are reusable, each removable on its own. */
const CACHE_AREAS = ['trees', 'kconfig-tools', 'base-configs', 'apt/debs', 'workers'];

/**
 * When an entry was last used: the newest access or change time of what is directly in it
 * (every use of a tree reads its Makefile; Linux updates atime at least daily). A
 * directory's own atime does not count: listing it, as this does, sets it.
 */
async function lastUsed(path: string): Promise<Date> {
  const st = await lstat(path);
  if (!st.isDirectory()) return new Date(Math.max(st.atimeMs, st.mtimeMs));
  let t = st.mtimeMs;
  for (const e of await readdir(path)) {
    const c = await lstat(join(path, e)).catch(() => undefined);
    if (c) t = Math.max(t, c.mtimeMs, c.isDirectory() ? 0 : c.atimeMs);
  }
  return new Date(t);
}

/**
 * Remove cache entries not used for `unusedDays` (they are made again when needed), and when
 * `ccacheMax` is given, write it as max_size into every ccache dir (ccache enforces it).
 */
export async function gcCache(
  cacheDir: string,
  o: { unusedDays: number; now?: Date; ccacheMax?: string; dryRun?: boolean },
): Promise<CacheGcResult> {
  const now = (o.now ?? new Date()).getTime();
  const result: CacheGcResult = { removed: [], freedBytes: 0, ccache: [] };
  for (const area of CACHE_AREAS) {
    const dir = join(cacheDir, area);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (name.startsWith('.')) continue; // staging dirs: removeDeadStaging owns them
      const p = join(dir, name);
      const used = await lastUsed(p).catch(() => undefined);
      if (!used || now - used.getTime() < o.unusedDays * 86_400_000) continue;
      const bytes = await treeBytes(p);
      if (!o.dryRun) await rm(p, { recursive: true, force: true });
      result.removed.push({ path: `${area}/${name}`, lastUsed: used, bytes });
      result.freedBytes += bytes;
    }
  }
  if (o.ccacheMax) {
    for (const name of await readdir(cacheDir).catch(() => [] as string[])) {
      if (name !== 'ccache' && !name.startsWith('ccache-uid')) continue;
      const conf = join(cacheDir, name, 'ccache.conf');
      if (!o.dryRun) await setConf(conf, 'max_size', o.ccacheMax);
      result.ccache.push({ dir: join(cacheDir, name), maxSize: o.ccacheMax });
    }
  }
  return result;
}

async function setConf(file: string, key: string, value: string): Promise<void> {
  const lines = (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => l.trim() !== '' && !new RegExp(`^\\s*${key}\\s*=`).test(l));
  await writeFile(file, [...lines, `${key} = ${value}`].join('\n') + '\n');
}
