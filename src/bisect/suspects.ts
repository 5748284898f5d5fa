// Suspects of a config bisect: the candidates whose Kconfig hunks change a line naming a
// required symbol or, when none does, a symbol of the explanation at the bad endpoint (the
// Kconfig model is only loaded then). Suspects of a build bisect: the candidates that change
// a file the errors are in (request.suspectFiles). Testing a suspect and the candidate
// before it often ends the search in one round; if not, their verdicts still narrow the range.
import type { ProcessRunner } from '../process/runner.js';
import type { BisectEvent } from './events.js';
import { explainAt, explainJob, treeSymbols } from './explain-at.js';
import { rangePatches } from './git.js';
import { parseUnifiedDiff, symbolsChanged } from './hunks.js';
import type { BisectRange } from './range.js';
import type { BisectRequest } from './request.js';
import type { Evaluation } from './steps.js';
import type { WorkerPool } from './workers.js';

/** How many suspects are tested, each with the candidate before it. */
const SUSPECTS = 2;

/**
 * Each candidate's patch (Kconfig inputs only), read while the endpoints are tested;
 * undefined when suspects are not ranked (builds, short ranges, huge patch sets).
 */
export function readPatches(
  req: BisectRequest,
  runner: ProcessRunner,
  range: BisectRange,
): Promise<Map<string, string>> | undefined {
  if (req.predicate.kind !== 'config' || range.candidates.length <= 2) return undefined;
  const files = [...new Set(range.commits.flatMap((c) => c.files.filter(range.relevant)))];
  if (files.length > 4000) return undefined;
  const patches = rangePatches(runner, req.repo, range.good, range.bad, files);
  // Awaited by findSuspects; also here, so a failure is never an unhandled rejection.
  patches.catch(() => undefined);
  return patches;
}

/** Candidate indices to test first, best first. */
export async function findSuspects(
  req: BisectRequest,
  range: Pick<BisectRange, 'commits' | 'candidates'>,
  patches: Promise<Map<string, string>> | undefined,
  badStep: Evaluation,
  pool: WorkerPool,
  emit: (e: BisectEvent) => void,
): Promise<number[]> {
  const { candidates } = range;
  const pred = req.predicate;
  if (pred.kind === 'build' && req.suspectFiles?.length) {
    const files = new Set(req.suspectFiles);
    const changed = new Map(range.commits.map((c) => [c.sha, c.files]));
    const found = suspectsByFile(candidates, changed, files);
    emit({
      type: 'bisect:suspects',
      symbols: [],
      files: [...files].sort(),
      commits: found.map((i) => candidates[i]!),
    });
    return found;
  }
  if (pred.kind !== 'config' || !patches) return [];
  const byCommit = await patches;
  const required = new Set(pred.requires.map((p) => p.symbol));
  let symbols: Set<string> = required;
  let found = rankSuspects(candidates, byCommit, required, symbols);
  if (found.length === 0) {
    const bad = candidates[candidates.length - 1]!;
    const w = pool.workers.find((x) => x.clone.head === bad) ?? pool.workers[0]!;
    await w.clone.checkout(bad);
    const failing = (badStep.requires ?? []).filter((r) => !r.holds);
    const at = { arch: req.arch, pins: req.pins, requires: pred.requires };
    const after = await explainAt(explainJob(w.clone.dir, at, badStep.configText, failing));
    symbols = new Set([...required, ...after.flatMap((x) => treeSymbols(x.tree))]);
    found = rankSuspects(candidates, byCommit, required, symbols);
  }
  emit({
    type: 'bisect:suspects',
    symbols: [...symbols].sort(),
    commits: found.map((i) => candidates[i]!),
  });
  return found;
}

/**
 * Pure: the candidates (not the bad endpoint) whose patches change lines naming `symbols`,
 * scored 3 per required symbol and 1 per other symbol, best first, later first on a tie.
 */
export function rankSuspects(
  candidates: readonly string[],
  patches: ReadonlyMap<string, string>,
  required: ReadonlySet<string>,
  symbols: ReadonlySet<string>,
): number[] {
  const scored: { index: number; score: number }[] = [];
  candidates.forEach((sha, index) => {
    const patch = patches.get(sha);
    if (!patch || index === candidates.length - 1) return;
    let score = 0;
    for (const h of parseUnifiedDiff(patch))
      for (const s of symbolsChanged(h, symbols)) score += required.has(s) ? 3 : 1;
    if (score > 0) scored.push({ index, score });
  });
  scored.sort((a, b) => b.score - a.score || b.index - a.index);
  return scored.slice(0, SUSPECTS).map((x) => x.index);
}

/** Pure: the candidates (not the bad endpoint) that change one of `files`, later first. */
export function suspectsByFile(
  candidates: readonly string[],
  changed: ReadonlyMap<string, readonly string[]>,
  files: ReadonlySet<string>,
): number[] {
  const out: number[] = [];
  for (let i = candidates.length - 2; i >= 0 && out.length < SUSPECTS; i--)
    if ((changed.get(candidates[i]!) ?? []).some((f) => files.has(f))) out.push(i);
  return out;
}
