// kmatrix bisect: find the first commit on the first-parent chain from --good to --bad where
// a config requirement stops holding (or a build starts failing with a given diagnostic).
// Only commits that change an input of the predicate are tested (src/bisect/inputs.ts);
// everything runs in private trees under a run dir, never in the user's repository.
// bisect() reads as its stages; each stage lives in its own module.
import { answer } from './answer.js';
import { endpointProblems, testEndpoints } from './endpoints.js';
import { commitInfos } from './git.js';
import { bisectRange, type BisectRange } from './range.js';
import type { BisectDeps, BisectRequest } from './request.js';
import { logFor, resultCommon, type BisectCommon, type BisectResult } from './result.js';
import { driveSearch, roundsLeft, type SearchOutcome } from './search.js';
import { Steps } from './steps.js';
import { findSuspects, readPatches } from './suspects.js';
import { withWorkers, type WorkerPool } from './workers.js';

export type { Predicate } from './predicate.js';
export type { BisectDeps, BisectRequest } from './request.js';
export type { BisectResult, CulpritHunk, StepRecord, SymbolExplanation } from './result.js';

export async function bisect(req: BisectRequest, deps: BisectDeps): Promise<BisectResult> {
  const started = Date.now();
  const range = await bisectRange(req, deps);
  const info = commitInfos(deps.runner, req.repo);
  const [goodInfo, badInfo] = await Promise.all([info(range.good), info(range.bad)]);
  return withWorkers(req, deps, range.relevant, async (pool) => {
    const steps = new Steps(req, deps, pool, info);
    const common = (): BisectCommon =>
      resultCommon({
        repo: req.repo,
        arch: req.arch,
        base: req.base,
        toolchain: req.toolchain,
        predicate: req.predicate,
        good: goodInfo,
        bad: badInfo,
        match: steps.match,
        range: { commits: range.commits.length, candidates: range.candidates.length },
        steps: steps.list(),
        started,
      });
    const patches = readPatches(req, deps.runner, range);

    // 1. The endpoints.
    const estimate = () => steps.count + 1 + Math.ceil(Math.log2(range.candidates.length + 1));
    const build = req.predicate.kind === 'build';
    const ends = await testEndpoints(steps, pool, build, range, estimate, req.known);
    const problems = endpointProblems({ good: goodInfo, bad: badInfo }, ends);
    if (problems.length > 0) {
      const c = common();
      return { ...c, kind: 'endpoints', problems, log: logFor(c.steps, range.good, range.bad) };
    }

    // 2. Suspects, 3. the search.
    const suspects = await findSuspects(req, range, patches, ends.bad, pool, deps.emit);
    const o = await search(steps, pool, range, suspects);
    if (o.kind === 'inconclusive') {
      const c = common();
      return {
        ...c,
        kind: 'inconclusive',
        candidates: await Promise.all(o.candidates.map((i) => info(range.candidates[i]!))),
        log: logFor(c.steps, range.good, range.bad),
      };
    }

    // 4. The answer.
    return answer({ req, runner: deps.runner, range, steps, pool, info, found: o, common });
  });
}

/** Suspects first, then k-section with a probe per worker, each round in parallel. */
async function search(
  steps: Steps,
  pool: WorkerPool,
  range: BisectRange,
  suspects: readonly number[],
): Promise<Exclude<SearchOutcome, { kind: 'continue' }>> {
  const { candidates } = range;
  const k = pool.workers.length;
  // The bad endpoint is known to be bad; the good endpoint sits before index 0.
  const known = new Map([[candidates.length - 1, 'bad' as const]]);
  const { outcome } = await driveSearch(
    candidates.length,
    known,
    k,
    suspects,
    async (probes, role, st) => {
      const total = () => steps.count + probes.length + roundsLeft(st, k);
      const recs = await steps.round(
        probes.map((p) => ({ sha: candidates[p]!, role })),
        total,
      );
      return recs.map((r) => r.verdict);
    },
  );
  return outcome;
}
