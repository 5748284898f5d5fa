// The workers a bisect runs in, and their lifetime: a private run dir (on tmpfs for config
// bisects), one tree and O= dir per worker, the probe cache, and the thread that explains the
// answer. withWorkers removes all of it when the run ends, however it ends.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigValues } from '../config/dotconfig.js';
import { removeDeadRuns } from '../fsutil/atomic.js';
import { scratchDir } from '../fsutil/scratch.js';
import type { ProcessRunner } from '../process/runner.js';
import type { KconfigDeps } from './configure.js';
import { ExplainThread } from './explain-at.js';
import { InputTree, PrivateClone, type Worktree } from './git.js';
import { seedSavedConfig } from './predicate.js';
import { withProbeCache } from './probe-cache.js';
import type { BisectDeps, BisectRequest } from './request.js';
import { OUT_IN_TREE } from './share-conf.js';

/** Room a config bisect wants on tmpfs: ~25 MB of Kconfig inputs and O= dir per worker. */
const CONFIG_SCRATCH_BYTES = 512 * 1024 * 1024;

export interface Worker {
  /** Config predicates: only the Kconfig inputs (InputTree); builds: a full clone. */
  clone: Worktree;
  out: string;
  /** Make inputs (makeInputs) at the last config step that ran make here. */
  madeWith?: Map<string, string> | undefined;
  /** Builds that passed here, newest first: what a later step may be decided against. */
  passes: { sha: string; values: ConfigValues; deps: Set<string> }[];
}

export interface WorkerPool {
  workers: Worker[];
  /** What config steps run make and conf with (the probe cache first on PATH). */
  kdeps: Promise<KconfigDeps>;
  /** The thread that explains the first bad commit (beside the parent, explained here). */
  explainThread: ExplainThread | undefined;
}

/** Run `use` with the workers of `req`; the run dir and the thread are gone afterwards. */
export async function withWorkers<T>(
  req: BisectRequest,
  deps: BisectDeps,
  relevant: (path: string) => boolean,
  use: (pool: WorkerPool) => Promise<T>,
): Promise<T> {
  const keep = req.predicate.kind === 'build' ? req.keepDir : undefined;
  if (keep) await mkdir(keep, { recursive: true });
  const tmp = keep ?? (await createRunDir(req, deps.env));
  const explainThread =
    req.predicate.kind === 'config' && req.workers > 1 ? ExplainThread.spawn() : undefined;
  let kdeps: Promise<KconfigDeps> | undefined;
  try {
    const workers = await createWorkers(req, deps.runner, tmp, relevant);
    deps.emit({ type: 'bisect:worktree', dir: tmp, workers: workers.length });
    kdeps = kconfigDeps(req, deps, tmp);
    return await use({ workers, kdeps, explainThread });
  } finally {
    await explainThread?.close();
    // The probe cache may still be writing into tmp when a step failed early: let it finish,
    // or rm -rf races it and the run dir comes back.
    await kdeps?.catch(() => undefined);
    if (!keep) {
      // rm -rf: 4x faster than fs.rm on thousands of small files.
      const r = await deps.runner.run('rm', ['-rf', '--', tmp]);
      if (r.failed) await rm(tmp, { recursive: true, force: true });
    }
  }
}

/**
 * A config bisect's trees are thousands of small files written and deleted within seconds:
 * on tmpfs when there is one (src/fsutil/scratch.ts). Builds stay on disk. Dirs of runs
 * that were killed are removed first.
 */
async function createRunDir(req: BisectRequest, env: NodeJS.ProcessEnv): Promise<string> {
  const base = join(
    req.predicate.kind === 'config'
      ? (await scratchDir(env, req.cacheDir, CONFIG_SCRATCH_BYTES)).dir
      : req.cacheDir,
    'bisect',
  );
  await removeDeadRuns(base, 'run-');
  const tmp = join(base, `run-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  return tmp;
}

async function createWorkers(
  req: BisectRequest,
  runner: ProcessRunner,
  tmp: string,
  relevant: (path: string) => boolean,
): Promise<Worker[]> {
  const config = req.predicate.kind === 'config';
  const workers: Worker[] = [];
  for (let i = 0; i < (config ? Math.max(1, req.workers) : 1); i++) {
    const dir = workerTree(tmp, i);
    // O= inside the tree: config workers share conf (src/bisect/share-conf.ts); builds
    // see srctree "..", so their compiler command lines are the same in every clone and
    // the shared ccache hits across clones (in the local runtime too).
    const out = join(dir, OUT_IN_TREE);
    const clone = config
      ? await InputTree.create(runner, req.repo, dir, relevant, req.signal)
      : await PrivateClone.create(runner, req.repo, dir, req.signal, req.seed);
    if (!config && req.seedConfig)
      await seedSavedConfig(
        runner,
        { src: clone.dir, out, arch: req.arch, toolchain: req.toolchain },
        { repo: clone.repo, sha: req.seedConfig.sha },
        req,
        req.seedConfig.text,
        req.signal,
      );
    workers.push({ out, clone, passes: [] });
  }
  return workers;
}

/** The tree of worker `i` in a bisect's run dir (its O= dir is OUT_IN_TREE inside it). */
export function workerTree(runDir: string, i: number): string {
  return join(runDir, `src${i}`);
}

/** Ready once the probe cache's wrapper is compiled (meanwhile the first trees are written). */
function kconfigDeps(req: BisectRequest, deps: BisectDeps, tmp: string): Promise<KconfigDeps> {
  const ready = withProbeCache(
    {
      runner: deps.runner,
      env: deps.env,
      ...(req.signal ? { signal: req.signal } : {}),
      // -O0 conf and direct olddefconfig: see KconfigDeps in src/bisect/configure.ts.
      ...(req.predicate.kind === 'config' ? { hostCflags: '-O0', directOlddefconfig: true } : {}),
    },
    join(tmp, 'probes'),
    req.arch,
    req.toolchain,
  );
  // Awaited by every step; also here, so a failure is never an unhandled rejection.
  ready.catch(() => undefined);
  return ready;
}
