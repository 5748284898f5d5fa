// The answer of a bisect that found its commit: the first bad commit, its parent's verdict
// (tested, or inferred from the last good candidate when no input changed in between), and
// for config predicates the explanation before (at the parent) and after (at the commit)
// and the commit's hunks that name a symbol of it.
import type { ProcessRunner } from '../process/runner.js';
import type { RequireResult } from './configure.js';
import {
  explainAt,
  explainJob,
  ExplainThread,
  treeSymbols,
  type ExplainContext,
  type SymbolExplanation,
} from './explain-at.js';
import { diffText, firstParent, type CommitInfo } from './git.js';
import { hunksNaming, parseUnifiedDiff, renderHunk } from './hunks.js';
import type { LogEntry } from './log.js';
import type { BisectRange } from './range.js';
import type { BisectRequest } from './request.js';
import { logFor, type BisectCommon, type BisectResult, type CulpritHunk } from './result.js';
import { publicStep, type Evaluation, type Steps } from './steps.js';
import type { WorkerPool } from './workers.js';

type Explanation = { before: SymbolExplanation[]; after: SymbolExplanation[] };

export async function answer(o: {
  req: BisectRequest;
  runner: ProcessRunner;
  range: BisectRange;
  steps: Steps;
  pool: WorkerPool;
  info: (sha: string) => Promise<CommitInfo>;
  /** Candidate indices of the first bad commit and the last good one (-1: --good). */
  found: { index: number; lastGood: number };
  common: () => BisectCommon;
}): Promise<Extract<BisectResult, { kind: 'found' }>> {
  const { req, range, steps } = o;
  const firstBadSha = range.candidates[o.found.index]!;
  const firstBad = await o.info(firstBadSha);
  const culprit = steps.records.get(firstBadSha)!;
  const parentSha = (await firstParent(o.runner, req.repo, firstBadSha)) ?? range.good;
  const lastGoodSha = o.found.lastGood < 0 ? range.good : range.candidates[o.found.lastGood]!;
  const inputs = req.predicate.kind === 'config' ? 'Kconfig' : 'build';
  const parent =
    steps.records.get(parentSha) ??
    inferredStep(steps.records.get(lastGoodSha)!, parentSha, await o.info(parentSha), inputs);
  let hunks: CulpritHunk[] = [];
  let explanation: Explanation = { before: [], after: [] };
  if (req.predicate.kind === 'config') {
    const failing = (culprit.requires ?? []).filter((r) => !r.holds);
    const at = { arch: req.arch, pins: req.pins, requires: req.predicate.requires };
    explanation = await explainBoth(
      o.pool,
      at,
      { sha: firstBadSha, step: culprit, failing },
      {
        sha: parentSha,
        step: parent,
        failing: (parent.requires ?? []).filter((r) => failing.some((f) => f.symbol === r.symbol)),
      },
    );
    const symbols = new Set([
      ...failing.map((f) => f.symbol),
      ...explanation.after.flatMap((x) => treeSymbols(x.tree)),
      ...explanation.before.flatMap((x) => treeSymbols(x.tree)),
    ]);
    const changed =
      range.commits.find((c) => c.sha === firstBadSha)?.files.filter(range.relevant) ?? [];
    hunks = await culpritHunks(o.runner, req.repo, parentSha, firstBadSha, changed, symbols);
  }
  const c = o.common();
  const extra: LogEntry[] = parent.tested
    ? []
    : [
        {
          sha: parentSha,
          subject: parent.subject,
          verdict: parent.verdict,
          note: `inferred from ${lastGoodSha}: no ${inputs} input changed in between`,
        },
      ];
  return {
    ...c,
    kind: 'found',
    firstBad,
    parent: { info: await o.info(parentSha), step: publicStep(parent) },
    culprit: publicStep(culprit),
    hunks,
    explanation,
    log: logFor(c.steps, range.good, range.bad, extra, firstBad),
  };
}

/** The parent's step when it was not tested: the last good candidate's, no input changed since. */
function inferredStep(from: Evaluation, sha: string, info: CommitInfo, inputs: string): Evaluation {
  return {
    ...from,
    sha,
    subject: info.subject,
    tested: false,
    inferredFrom: from.sha,
    why: `${from.why} (inferred: no ${inputs} input changed since ${from.sha.slice(0, 12)})`,
  };
}

interface ExplainAt {
  sha: string;
  step: Evaluation;
  failing: readonly RequireResult[];
}

/**
 * The explanations at the first bad commit and at its parent. With two workers, one tree at
 * each (the last search round usually left them there), explained at the same time: the
 * commit in the explanation thread, the parent here.
 */
async function explainBoth(
  pool: WorkerPool,
  at: ExplainContext,
  commit: ExplainAt,
  parent: ExplainAt,
): Promise<Explanation> {
  const { workers, explainThread } = pool;
  const wAfter = workers.find((x) => x.clone.head === commit.sha) ?? workers[0]!;
  const wBefore =
    workers.find((x) => x !== wAfter && x.clone.head === parent.sha) ??
    workers.find((x) => x !== wAfter);
  await wAfter.clone.checkout(commit.sha);
  const afterJob = explainJob(wAfter.clone.dir, at, commit.step.configText, commit.failing);
  if (!wBefore) {
    const after = await explainAt(afterJob);
    await wAfter.clone.checkout(parent.sha);
    const before = await explainAt(
      explainJob(wAfter.clone.dir, at, parent.step.configText, parent.failing),
    );
    return { before, after };
  }
  await wBefore.clone.checkout(parent.sha);
  const beforeJob = explainJob(wBefore.clone.dir, at, parent.step.configText, parent.failing);
  const thread = explainThread ?? ExplainThread.spawn();
  try {
    const [after, before] = await Promise.all([thread.run(afterJob), explainAt(beforeJob)]);
    return { before, after };
  } finally {
    if (thread !== explainThread) await thread.close();
  }
}

/** The hunks of parent..commit in `paths` that name one of `symbols`. */
async function culpritHunks(
  runner: ProcessRunner,
  repo: string,
  parent: string,
  commit: string,
  paths: readonly string[],
  symbols: ReadonlySet<string>,
): Promise<CulpritHunk[]> {
  const diff = await diffText(runner, repo, parent, commit, paths);
  return hunksNaming(parseUnifiedDiff(diff), symbols).map(({ hunk, symbols: s }) => ({
    file: hunk.file,
    header: hunk.header,
    text: renderHunk(hunk),
    symbols: s,
  }));
}
