// What a coordinator puts in the queue for a run: one job per cell not yet done, with the
// cell spec, its limits, its resource shape (which queue) and priority. git refs are pinned
// to the commit here, so every worker builds exactly the same tree; a file base travels as
// its text. Resuming finds the jobs a killed coordinator left and adds only what is missing.
import { readFile } from 'node:fs/promises';
import type { Queue } from 'bullmq';
import { errorMessage } from '../core/errors.js';
import type { Cell } from '../matrix/cell.js';
import type { CellResources } from '../matrix/resources.js';
import type { ProcessRunner } from '../process/runner.js';
import type { JobData } from '../queue/job.js';
import { jobIdOf, shapeKey } from '../queue/keys.js';
import { gitRepoOf } from '../queue/policy.js';
import { queuePriorities } from '../queue/priority.js';
import type { RuntimeChoice } from '../runtime/select.js';
import { resolveCommit } from '../source/git.js';

export interface Placement {
  resources: CellResources;
  /** The config's priority (higher goes first). */
  priority: number;
}

export interface QueuedCell {
  cell: Cell;
  jobId: string;
  shape: string;
  resources: CellResources;
  data: JobData;
  priority: number;
  /** The attempt and stage a worker last reported starting. */
  attempts?: number;
  stage?: 'config' | 'build';
  /** Removed from the queue before any worker took it (a cancelled run). */
  removed?: boolean;
}

export interface SubmitSettings {
  runId: string;
  timeoutMs: number;
  runtime: RuntimeChoice;
  lockMs: number;
  maxAttempts: number;
  images: boolean;
  placement: (cell: Cell) => Placement;
  expectedMs?: ReadonlyMap<string, number>;
  runner: ProcessRunner;
  note: (message: string) => void;
}

/** The jobs of these cells, with pinned sources and priorities. */
export async function prepareJobs(
  cells: readonly Cell[],
  s: SubmitSettings,
): Promise<QueuedCell[]> {
  const pinned = await pinSources(cells, s);
  const placements = new Map(cells.map((c) => [c.id, s.placement(c)]));
  const priorities = queuePriorities(
    cells.map((c) => ({
      id: c.id,
      priority: placements.get(c.id)!.priority,
      expectedMs: s.expectedMs?.get(c.id),
    })),
  );
  const out: QueuedCell[] = [];
  for (const cell of cells) {
    const { resources } = placements.get(cell.id)!;
    const spec: Cell = {
      ...cell,
      sourceResolved: pinned.get(cell.sourceResolved) ?? cell.sourceResolved,
    };
    const baseConfig =
      cell.base.kind === 'file' ? await readFile(cell.base.path, 'utf8') : undefined;
    out.push({
      cell,
      jobId: jobIdOf(s.runId, cell.id),
      shape: shapeKey(resources),
      resources,
      priority: priorities.get(cell.id)!,
      data: {
        v: 1,
        runId: s.runId,
        cell: spec,
        ...(baseConfig !== undefined ? { baseConfig } : {}),
        timeoutMs: s.timeoutMs,
        runtime: s.runtime,
        lockMs: s.lockMs,
        maxAttempts: s.maxAttempts,
        images: s.images,
        resources,
      },
    });
  }
  return out;
}

/**
 * git:REPO@REF -> git:REPO@<commit>: resolved here (a path this machine has, or a remote with
 * git ls-remote); when this machine cannot, each worker resolves the ref itself.
 */
async function pinSources(cells: readonly Cell[], s: SubmitSettings): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const source of new Set(cells.map((c) => c.sourceResolved))) {
    const repo = gitRepoOf(source);
    if (repo === undefined) continue;
    const ref = source.slice(4 + repo.length + 1);
    if (/^[0-9a-f]{40}$/.test(ref)) continue;
    try {
      const sha = /^[a-z][a-z0-9+.-]*:\/\//i.test(repo)
        ? await lsRemote(s.runner, repo, ref)
        : await resolveCommit(s.runner, repo, ref);
      out.set(source, `git:${repo}@${sha}`);
      s.note(`queue: ${source} is commit ${sha.slice(0, 12)} for every worker`);
    } catch (e) {
      s.note(
        `queue: cannot pin ${source} to a commit here (${errorMessage(e).split('\n')[0]}); each worker resolves ${ref} itself`,
      );
    }
  }
  return out;
}

async function lsRemote(runner: ProcessRunner, url: string, ref: string): Promise<string> {
  const r = await runner.run('git', ['ls-remote', '--', url, ref, `${ref}^{}`]);
  if (r.failed) throw new Error(r.stderr.trim() || `git ls-remote ${url} failed`);
  const lines = r.stdout.split('\n').map((l) => l.split('\t'));
  // An annotated tag's commit is on its peeled (^{}) line.
  const peeled = lines.find((l) => l[1]?.endsWith('^{}'));
  const sha = (peeled ?? lines[0])?.[0] ?? '';
  if (!/^[0-9a-f]{40,64}$/.test(sha)) throw new Error(`git ls-remote: no ref ${ref} at ${url}`);
  return sha;
}

export type JobState = Awaited<ReturnType<Queue['getJobState']>>;

/** Add the jobs that are not in the queue yet (job ids de-duplicate: re-adding is a no-op). */
export async function addJobs(
  queues: (shape: string) => Queue,
  jobs: readonly QueuedCell[],
): Promise<void> {
  const byShape = new Map<string, QueuedCell[]>();
  for (const j of jobs) byShape.set(j.shape, [...(byShape.get(j.shape) ?? []), j]);
  for (const [shape, list] of byShape)
    await queues(shape).addBulk(
      list.map((j) => ({
        name: 'cell',
        data: j.data,
        opts: {
          jobId: j.jobId,
          priority: j.priority,
          attempts: j.data.maxAttempts,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
}
