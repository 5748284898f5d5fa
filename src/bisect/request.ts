// What `kmatrix bisect` is asked (the range, the config to resolve, the predicate) and what
// it is given to do it with (a process runner, the environment, an event sink).
import type { Arch } from '../arch/arches.js';
import type { Base } from '../config/base.js';
import type { Pin } from '../config/pin.js';
import type { ProcessRunner } from '../process/runner.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { BisectEvent } from './events.js';
import type { TreeSeed } from './git.js';
import type { Predicate } from './predicate.js';

export interface BisectRequest {
  repo: string;
  good: string;
  bad: string;
  arch: Arch;
  toolchain: ToolchainName;
  base: Base;
  pins: Pin[];
  predicate: Predicate;
  /** Parallel probes (config predicates only; builds use one worker). */
  workers: number;
  /**
   * Build predicates with a given --match: endpoint verdicts already known (a matrix run built
   * that commit with the same config and saw the failure, or a pass), each with where it is
   * known from. Such an endpoint is recorded as not tested, and not built again.
   */
  known?: { good?: string; bad?: string };
  /**
   * Build predicates: the files the errors are in. Candidates that change one of them are
   * tested first (with the candidate before each), as a config bisect tests the commits whose
   * Kconfig hunks name a required symbol: an ordering only, the answer is the same.
   */
  suspectFiles?: readonly string[];
  cacheDir: string;
  /**
   * Build predicates: make the run dir here and leave it when the bisect ends (the caller
   * removes it), so a verification can go on in the worker's clone and O= dir
   * (workerTree(keepDir, 0)) instead of checking out and configuring a new one.
   */
  keepDir?: string;
  /**
   * Build predicates: a tree holding exactly the files of one commit (a run's export of
   * tonight's commit, the usual bad endpoint): the worker's clone starts as hard links to it
   * instead of writing every file (src/bisect/git.ts).
   */
  seed?: TreeSeed;
  /**
   * Build predicates: the .config a matrix run resolved from this request at commit `sha` (the
   * cell's .config of tonight's run). The worker's O= dir starts with it, so a step at a commit
   * with the same config inputs (src/bisect/config-key.ts) does not run conf again.
   */
  seedConfig?: { sha: string; text: string };
  signal?: AbortSignal;
}

export interface BisectDeps {
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  emit: (e: BisectEvent) => void;
}
