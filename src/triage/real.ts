// The real triage work: bisects, verification builds and config minimization on this
// machine, in the run's runtime, with the shared ccache, clones on tmpfs when there is room.
import { availableParallelism } from 'node:os';
import { buildWiring } from '../build/deps.js';
import { bisectRunner } from '../bisect/runner.js';
import { lowPriority } from '../process/priority.js';
import type { ProcessRunner } from '../process/runner.js';
import { removeDeadRuns } from '../fsutil/atomic.js';
import { scratchDir } from '../fsutil/scratch.js';
import type { Runtime } from '../runtime/runtime.js';
import type { RuntimeChoice } from '../runtime/select.js';
import { parseSourceSpec } from '../source/spec.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { TriageEnv } from './env.js';
import { triageFailure } from './failure.js';
import type { TriageWork } from './stage.js';
import { treePinExplainer, whyOfBroken } from './why.js';

export interface RealTriageOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  ccache: boolean;
  runtime: RuntimeChoice;
  /** make -j of each build (default: every CPU). */
  jobs?: number;
  /** Limit of one build (the matrix's per-cell timeout). */
  stepTimeoutMs?: number;
  runner?: ProcessRunner;
}

/** Room a triage wants on tmpfs: a bisect clone and three verification clones of a kernel. */
const TRIAGE_SCRATCH_BYTES = 8 * 1024 ** 3;

export function realTriageWork(o: RealTriageOptions): TriageWork {
  const runner = o.runner ?? bisectRunner;
  const wiring = buildWiring({
    env: o.env,
    cwd: o.cwd,
    cacheDir: o.cacheDir,
    runner,
    emit: () => {},
    ccache: o.ccache,
  });
  const runtimes = new Map<ToolchainName, Promise<Runtime>>();
  const runtime = (tc: ToolchainName) => {
    let r = runtimes.get(tc);
    if (!r) {
      r = wiring.selectRuntime(o.runtime, tc).then((s) => s.runtime);
      runtimes.set(tc, r);
      r.catch(() => runtimes.delete(tc));
    }
    return r;
  };
  const trees = new Map<string, Promise<KernelTree>>();
  const tree = (source: string) => {
    let t = trees.get(source);
    if (!t) {
      t = wiring.resolveSource(parseSourceSpec(source));
      trees.set(source, t);
      t.catch(() => trees.delete(source));
    }
    return t;
  };
  return {
    why: (cells, results, runDir) => whyOfBroken(cells, results, treePinExplainer(runDir, tree)),
    async triage(g, run, ctx) {
      const scratch = await scratchDir(o.env, o.cacheDir, TRIAGE_SCRATCH_BYTES);
      // Work dirs of triages killed with SIGKILL (triage-<pid>-<random>).
      await removeDeadRuns(scratch.dir, 'triage-');
      const env: TriageEnv = {
        // A pin's triage (conf runs, beside the build failures' lane) takes the CPU time the
        // builds leave: the builds are the longer path.
        runner: g.cell.build ? runner : lowPriority(runner),
        env: o.env,
        cacheDir: o.cacheDir,
        scratch: scratch.dir,
        runtime,
        tree,
        ...(wiring.ccacheDir ? { ccacheDir: wiring.ccacheDir } : {}),
        jobs: o.jobs ?? availableParallelism(),
        ...(o.stepTimeoutMs ? { stepTimeoutMs: o.stepTimeoutMs } : {}),
        signal: ctx.signal,
        note: ctx.note,
      };
      return triageFailure(g, run, env);
    },
  };
}
