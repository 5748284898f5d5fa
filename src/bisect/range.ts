// Which commits a bisect tests: --good and --bad resolved and checked (good an ancestor of
// bad), the first-parent chain between them, and of it only the commits that change an
// input of the predicate (src/bisect/inputs.ts), the bad endpoint last.
import { KmatrixError } from '../core/errors.js';
import type { ProcessRunner } from '../process/runner.js';
import { resolveCommit } from '../source/git.js';
import { firstParentRange, grepTrees, isAncestor, type RangeCommit } from './git.js';
import {
  inputContext,
  isBuildInput,
  isKconfigInput,
  SOURCE_GREP,
  SOURCE_GREP_PATHS,
  sourcedFromOutside,
} from './inputs.js';
import type { BisectDeps, BisectRequest } from './request.js';

export interface BisectRange {
  good: string;
  bad: string;
  /** The first-parent chain from good (exclusive) to bad, oldest first. */
  commits: RangeCommit[];
  /** The commits that can change the predicate's answer, oldest first; bad is last. */
  candidates: string[];
  /** Whether a path is an input of the predicate. */
  relevant: (path: string) => boolean;
}

export async function bisectRange(req: BisectRequest, deps: BisectDeps): Promise<BisectRange> {
  const { runner } = deps;
  const { good, bad } = await resolveEndpoints(req, runner);
  const commits = await firstParentRange(runner, req.repo, good, bad);
  const sourced = sourcedFromOutside(
    await sourceLines(runner, req.repo, good, bad, commits),
    req.arch.srcarch,
  );
  const ctx = inputContext(req.arch, req.base, sourced);
  const config = req.predicate.kind === 'config';
  const relevant = config
    ? (f: string) => isKconfigInput(f, ctx)
    : (f: string) => isBuildInput(f, ctx);
  const candidates = commits.filter((c) => c.files.some(relevant)).map((c) => c.sha);
  if (candidates[candidates.length - 1] !== bad) candidates.push(bad);
  deps.emit({
    type: 'bisect:range',
    commits: commits.length,
    candidates: candidates.length,
    filter: `commits changing ${config ? 'Kconfig' : 'build'} inputs for ${req.arch.name}`,
  });
  return { good, bad, commits, candidates, relevant };
}

async function resolveEndpoints(
  req: BisectRequest,
  runner: ProcessRunner,
): Promise<{ good: string; bad: string }> {
  const [good, bad] = await Promise.all([
    resolveCommit(runner, req.repo, req.good),
    resolveCommit(runner, req.repo, req.bad),
  ]);
  if (good === bad)
    throw new KmatrixError('usage', `--good and --bad name the same commit ${good.slice(0, 12)}`);
  if (!(await isAncestor(runner, req.repo, good, bad))) {
    throw new KmatrixError(
      'bad-ref',
      `--good ${req.good} (${good.slice(0, 12)}) is not an ancestor of --bad ${req.bad} (${bad.slice(0, 12)}); bisect needs good to be older than bad on one history`,
    );
  }
  return { good, bad };
}

/**
 * `source "arch/..."` lines at both endpoints. At good, only the Kconfig files the range
 * changes can differ from bad, so only those are read there.
 */
async function sourceLines(
  runner: ProcessRunner,
  repo: string,
  good: string,
  bad: string,
  commits: readonly RangeCommit[],
): Promise<string> {
  const changedKconfig = [
    ...new Set(commits.flatMap((c) => c.files.filter((f) => /(^|\/)Kconfig[^/]*$/.test(f)))),
  ];
  const [atBad, atGood] = await Promise.all([
    grepTrees(runner, repo, [bad], SOURCE_GREP, SOURCE_GREP_PATHS),
    changedKconfig.length === 0
      ? ''
      : grepTrees(
          runner,
          repo,
          [good],
          SOURCE_GREP,
          // A pathspec per file, unless that would make the command line too long.
          changedKconfig.length < 5000 ? ['--', ...changedKconfig] : SOURCE_GREP_PATHS,
        ),
  ]);
  return atBad + atGood;
}
