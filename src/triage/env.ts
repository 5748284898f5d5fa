// What the triage of one failure needs from the world: processes, the cache and a scratch
// dir for clones, the runtime builds run in, make -j, the stop signal, and a progress line.
import type { ProcessRunner } from '../process/runner.js';
import type { Runtime } from '../runtime/runtime.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';

export interface TriageEnv {
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  /** Clones and O= dirs of bisects and verification builds (tmpfs when there is room). */
  scratch: string;
  /** The run's runtime for a toolchain (selected once). */
  runtime: (toolchain: ToolchainName) => Promise<Runtime>;
  /** The tree of a cell's (pinned) source, as the run resolved it. */
  tree: (source: string) => Promise<KernelTree>;
  ccacheDir?: string;
  /** make -j of each build. */
  jobs: number;
  /** Limit of one build step (the matrix's per-cell timeout). */
  stepTimeoutMs?: number;
  signal: AbortSignal;
  note: (message: string) => void;
}
