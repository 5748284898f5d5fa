// How much to run at once: config stages are single-threaded conf runs (one per core);
// builds run as `buildJobs` cells of make -j`makeJobs`, sized by cores and memory.
export interface Machine {
  cores: number;
  memoryBytes: number;
}

export interface Sizing {
  configJobs: number;
  buildJobs: number;
  makeJobs: number;
}

/** Memory one kernel build may take (cc1 at -j1 on a big translation unit, plus the linker). */
const MEMORY_PER_BUILD = 2 * 2 ** 30;

/**
 * About sqrt(cores) builds of cores/builds make jobs each: few enough builds that each still
 * gets parallel make, enough that serial phases (configure, link) of one overlap another's
 * compile. Capped by memory. 2 cores: 1 x -j2; 16 cores: 4 x -j4; 64: 8 x -j8.
 */
export function sizeRun(m: Machine, override: Partial<Sizing> = {}): Sizing {
  const cores = Math.max(1, Math.floor(m.cores));
  const byMemory = Math.max(1, Math.floor(m.memoryBytes / MEMORY_PER_BUILD));
  const buildJobs =
    override.buildJobs ?? Math.max(1, Math.min(Math.round(Math.sqrt(cores)), byMemory));
  const makeJobs = override.makeJobs ?? Math.max(1, Math.ceil(cores / buildJobs));
  const configJobs = override.configJobs ?? cores;
  return { configJobs, buildJobs, makeJobs };
}
