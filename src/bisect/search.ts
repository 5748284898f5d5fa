// Bisect bookkeeping, pure: a list of candidate commits (oldest first, the bad endpoint
// last), the verdicts seen so far, and which candidates to test next. The good endpoint
// sits just before index 0. Works for one worker (plain bisection) or k workers
// (k-section: k probes split the range into k+1 parts each round).

export type StepVerdict = 'good' | 'bad' | 'skip';

export interface SearchState {
  /** Number of candidates; index n-1 is the bad endpoint. */
  n: number;
  verdicts: ReadonlyMap<number, StepVerdict>;
}

export type SearchOutcome =
  | { kind: 'found'; index: number; lastGood: number }
  | { kind: 'inconclusive'; candidates: number[]; lastGood: number; firstBad: number }
  | { kind: 'continue'; lastGood: number; firstBad: number; untested: number[] };

/** Narrow [lastGood, firstBad] with what is known (-1 = the good endpoint). */
export function searchOutcome(s: SearchState): SearchOutcome {
  let firstBad = s.n - 1;
  for (const [i, v] of s.verdicts) if (v === 'bad' && i < firstBad) firstBad = i;
  let lastGood = -1;
  for (const [i, v] of s.verdicts) if (v === 'good' && i > lastGood && i < firstBad) lastGood = i;
  const between: number[] = [];
  for (let i = lastGood + 1; i < firstBad; i++) between.push(i);
  const untested = between.filter((i) => !s.verdicts.has(i));
  if (between.length === 0) return { kind: 'found', index: firstBad, lastGood };
  if (untested.length === 0) {
    return { kind: 'inconclusive', candidates: [...between, firstBad], lastGood, firstBad };
  }
  return { kind: 'continue', lastGood, firstBad, untested };
}

/**
 * Up to k untested candidates that split the open range evenly. Skipped candidates are
 * stepped over by taking the nearest untested one, as git bisect does.
 */
export function nextProbes(s: SearchState, k: number): number[] {
  const o = searchOutcome(s);
  if (o.kind !== 'continue') return [];
  const u = o.untested;
  if (u.length <= k) return [...u];
  const picks: number[] = [];
  // Ideal split points are in index space; snap each to the closest untested candidate.
  for (let j = 1; j <= k; j++) {
    const ideal = o.lastGood + ((o.firstBad - o.lastGood) * j) / (k + 1);
    let best: number | undefined;
    for (const i of u) {
      if (picks.includes(i)) continue;
      if (best === undefined || Math.abs(i - ideal) < Math.abs(best - ideal)) best = i;
    }
    if (best !== undefined) picks.push(best);
  }
  return picks.sort((a, b) => a - b);
}

/** Probes that confirm a suspected first-bad candidate: it and the candidate before it. */
export function suspectProbes(s: SearchState, suspect: number): number[] {
  const o = searchOutcome(s);
  if (o.kind !== 'continue' || suspect <= o.lastGood || suspect > o.firstBad) return [];
  const out: number[] = [];
  if (!s.verdicts.has(suspect)) out.push(suspect);
  const before = suspect - 1;
  if (before > o.lastGood && !s.verdicts.has(before)) out.push(before);
  return out.sort((a, b) => a - b);
}

/** About how many more rounds are needed (for progress "step n of ~m"). */
export function roundsLeft(s: SearchState, k: number): number {
  const o = searchOutcome(s);
  if (o.kind !== 'continue') return 0;
  return Math.ceil(Math.log(o.untested.length + 1) / Math.log(k + 1));
}

/**
 * Drive a search to its end: suspects first (each with the candidate before it), then
 * k-section with `workers` probes per round. `test` gets the indices of one round.
 */
export async function driveSearch(
  n: number,
  initial: ReadonlyMap<number, StepVerdict>,
  workers: number,
  suspects: readonly number[],
  test: (
    indices: number[],
    role: 'suspect' | 'probe',
    state: SearchState,
  ) => Promise<StepVerdict[]>,
): Promise<{
  outcome: Exclude<SearchOutcome, { kind: 'continue' }>;
  verdicts: Map<number, StepVerdict>;
}> {
  const verdicts = new Map(initial);
  const queue = [...suspects];
  for (;;) {
    const state = { n, verdicts };
    const o = searchOutcome(state);
    if (o.kind !== 'continue') return { outcome: o, verdicts };
    let probes: number[] = [];
    let role: 'suspect' | 'probe' = 'probe';
    let suspect: number | undefined;
    while (probes.length === 0 && queue.length > 0) {
      suspect = queue.shift()!;
      probes = suspectProbes(state, suspect);
      role = 'suspect';
    }
    if (suspect !== undefined && probes.length > workers) {
      // Fewer workers than probes (one): the suspect first, then (back in the queue) the
      // candidate before it, which is only worth a step when the suspect is bad.
      probes = [suspect, ...probes.filter((p) => p !== suspect)].slice(0, workers);
      queue.unshift(suspect);
    }
    if (probes.length < workers) {
      const pretend = new Map<number, StepVerdict>(verdicts);
      for (const p of probes) pretend.set(p, 'skip');
      const more = nextProbes({ n, verdicts: pretend }, workers - probes.length);
      if (probes.length === 0) role = 'probe';
      probes = [...probes, ...more.filter((p) => !probes.includes(p))];
    }
    if (probes.length === 0) throw new Error('unreachable: no probe in an open range');
    const vs = await test(probes, role, state);
    probes.forEach((p, k) => verdicts.set(p, vs[k]!));
  }
}
