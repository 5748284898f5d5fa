// The real-world wiring of a solve: processes through execa, conf runs limited to the CPUs,
// O= dirs on tmpfs when there is room, the Kconfig model cached per tree and arch.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { modelFor } from '../config/kconfig-bridge.js';
import type { ConfigEvent, Emit } from '../core/events.js';
import { removeDeadRuns } from '../fsutil/atomic.js';
import { scratchDir } from '../fsutil/scratch.js';
import { findDefinitionsAllArches } from '../kconfig/index.js';
import type { ProcessRunner } from '../process/runner.js';
import type { SolveEvent } from './result.js';
import { checkSolvers, dimacsSolver } from './sat.js';
import type { SolveDeps } from './solve.js';

export async function createSolveDeps(opts: {
  runner: ProcessRunner;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  emit: Emit<SolveEvent | ConfigEvent>;
  /** conf processes at once (default: the CPUs). */
  jobs: number;
  signal?: AbortSignal;
}): Promise<SolveDeps> {
  await checkSolvers(opts.env);
  // an O= dir with conf's output is ~2 MB; a few of them at once
  const scratch = join((await scratchDir(opts.env, opts.cacheDir, 64 << 20)).dir, 'solve');
  await mkdir(scratch, { recursive: true });
  // O= dirs of solves that were killed (their pid is gone)
  await removeDeadRuns(scratch, 'solve-');
  const queue = new PQueue({ concurrency: opts.jobs });
  return {
    runner: opts.runner,
    cacheDir: opts.cacheDir,
    env: opts.env,
    emit: opts.emit,
    sat: dimacsSolver(opts.runner),
    scratch,
    limit: (task) => queue.add(task),
    model: (tree, arch) => modelFor(tree, arch),
    definitions: findDefinitionsAllArches,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}
