// The executor of `kmatrix run` on one machine: the scheduler (src/schedule) over the real
// config+build work, with runtimes selected once per toolchain and trees resolved once per
// source. Tests swap the work and the clock.
import { buildWiring, type RuntimeLimits } from '../build/deps.js';
import type { BuildEvent } from '../build/events.js';
import { errorMessage } from '../core/errors.js';
import type { KmatrixEvent } from '../core/events.js';
import { formatBytes } from '../core/text.js';
import { execaRunner, type ProcessRunner } from '../process/runner.js';
import { DockerRuntime } from '../runtime/docker.js';
import type { Runtime } from '../runtime/runtime.js';
import type { CellWork } from '../schedule/cell-work.js';
import type { Clock } from '../schedule/clock.js';
import { schedule } from '../schedule/scheduler.js';
import { parseSourceSpec } from '../source/spec.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { ExecuteJob, Executor } from './executor.js';
import { realCellSolver } from './solve-cell.js';
import { realWork } from './work.js';

export interface LocalExecutorOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  ccache: boolean;
  /** Keep built cells' object trees (--keep-build-dirs). */
  keepBuildDirs?: boolean;
  runner?: ProcessRunner;
  onBuildEvent?: (e: BuildEvent) => void;
  /** Replace the real config/build work (tests inject faults this way). */
  work?: CellWork;
  clock?: Clock;
  /** Container limits and labels (a queue worker's: the job's CPUs, memory, id and attempt). */
  runtimeLimits?: RuntimeLimits;
  /**
   * Remove every container of the run at the end (default true). A queue worker runs one cell
   * of a run whose other cells other workers on this host may be building, so it passes false;
   * its own dead attempts' containers are removed by name when it starts again.
   */
  sweepRunContainers?: boolean;
}

export function localExecutor(o: LocalExecutorOptions): Executor {
  return {
    async execute(job) {
      const runtimes = new Map<ToolchainName, Promise<Runtime>>();
      const closers: (() => Promise<void>)[] = [];
      const work = o.work ?? (await makeRealWork(o, job, runtimes, closers));
      try {
        return await schedule({
          runId: job.runId,
          runDir: job.runDir,
          cells: job.cells,
          done: job.done,
          sizing: job.sizing,
          timeoutMs: job.timeoutMs,
          retries: job.retries,
          ...(job.expectedMs ? { expectedMs: job.expectedMs } : {}),
          signal: job.signal,
          emit: job.emit,
          record: job.record,
          work,
          ...(o.clock ? { clock: o.clock } : {}),
        });
      } finally {
        for (const close of closers)
          await close().catch((e: unknown) =>
            job.emit({ type: 'run:note', message: `could not close: ${errorMessage(e)}` }),
          );
        if (o.sweepRunContainers !== false) await sweepContainers(runtimes, job);
      }
    },
  };
}

/**
 * Containers of this run that outlived their command (the daemon died before it could remove
 * them) are removed at the end of the run, whatever happened.
 */
async function sweepContainers(
  runtimes: ReadonlyMap<ToolchainName, Promise<Runtime>>,
  job: ExecuteJob,
): Promise<void> {
  for (const r of runtimes.values()) {
    const runtime = await r.catch(() => undefined);
    if (!(runtime instanceof DockerRuntime)) continue;
    try {
      const removed = await runtime.sweepRun(job.runId);
      if (removed.length)
        job.emit({
          type: 'run:note',
          message: `removed leftover containers: ${removed.join(', ')}`,
        });
    } catch (e) {
      job.emit({
        type: 'run:note',
        message: `could not remove this run's containers (label org.kmatrix.run=${job.runId}): ${errorMessage(e)}`,
      });
    }
  }
}

/** Progress of source and Kconfig-tool preparation, as run notes. */
function noteEmitter(emit: ExecuteJob['emit']): (e: KmatrixEvent) => void {
  return (e) => {
    if (e.type === 'source:apt-update')
      emit({ type: 'run:note', message: `updating apt lists for ${e.suites.join(', ')}` });
    else if (e.type === 'source:download')
      emit({ type: 'run:note', message: `downloading ${e.pkg} from ${e.suite}` });
    else if (e.type === 'source:extract')
      emit({ type: 'run:note', message: `extracting ${e.pkg} into ${e.into}` });
    else if (e.type === 'source:ready' && !e.cached)
      emit({ type: 'run:note', message: `source ${e.label} ready at ${e.path}` });
    else if (e.type === 'config:tools' && !e.cached)
      emit({ type: 'run:note', message: `building Kconfig tools for ${e.tree} (once per tree)` });
  };
}

async function makeRealWork(
  o: LocalExecutorOptions,
  job: ExecuteJob,
  runtimes: Map<ToolchainName, Promise<Runtime>>,
  /** What the run closes at its end (the solve cells' conf sessions). */
  closers: (() => Promise<void>)[],
): Promise<CellWork> {
  const wiring = buildWiring({
    env: o.env,
    cwd: o.cwd,
    cacheDir: o.cacheDir,
    runner: o.runner ?? execaRunner,
    emit: noteEmitter(job.emit),
    ccache: o.ccache,
  });
  const toRun = job.cells.filter((c) => !job.done.has(c.id));
  // Runtimes first: a missing daemon or image must fail the run before any work is done.
  const runtimeFor = (tc: ToolchainName) => {
    let r = runtimes.get(tc);
    if (!r) {
      r = wiring.selectRuntime(job.runtime, tc, o.runtimeLimits).then((s) => {
        job.emit({ type: 'run:note', message: `${tc}: ${s.note}` });
        return s.runtime;
      });
      runtimes.set(tc, r);
    }
    return r;
  };
  if (toRun.some((c) => c.build))
    for (const tc of new Set(toRun.map((c) => c.toolchain))) await runtimeFor(tc);
  // Likewise a missing SAT solver, when a cell asks for solve.
  const solve = toRun.some((c) => c.solve)
    ? await realCellSolver({
        runner: o.runner ?? execaRunner,
        cacheDir: o.cacheDir,
        env: o.env,
        jobs: job.sizing.configJobs,
        signal: job.signal,
      })
    : undefined;
  if (solve) closers.push(solve.close);
  const trees = new Map<string, Promise<KernelTree>>();
  const treeFor = (source: string) => {
    let t = trees.get(source);
    if (!t) {
      t = wiring.resolveSource(parseSourceSpec(source));
      trees.set(source, t);
      t.catch(() => trees.delete(source));
    }
    return t;
  };
  return realWork({
    runId: job.runId,
    runDir: job.runDir,
    tree: treeFor,
    runtime: runtimeFor,
    generateConfig: wiring.generateConfig,
    ...(wiring.ccacheDir ? { ccacheDir: wiring.ccacheDir } : {}),
    ...(o.onBuildEvent ? { onBuildEvent: o.onBuildEvent } : {}),
    ...(o.keepBuildDirs ? { keepBuildDirs: true } : {}),
    ...(solve ? { solve: solve.solve } : {}),
    onPruned: (cell, r) =>
      job.emit({
        type: 'run:note',
        message: `${cell.id}: removed the object tree (${r.removedFiles} files, ${formatBytes(r.removedBytes)}); kept ${r.keptFiles} files, ${formatBytes(r.keptBytes)}`,
      }),
  });
}
