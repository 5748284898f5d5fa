// Bisect bookkeeping: k-section probes, suspects, skips, and the claim the filtered bisect
// rests on: testing only commits that change an input finds the same first bad commit as
// testing every commit.
import { describe, expect, it } from 'vitest';
import { isKconfigInput } from '../../../src/bisect/inputs.js';
import {
  driveSearch,
  nextProbes,
  searchOutcome,
  suspectProbes,
  type StepVerdict,
} from '../../../src/bisect/search.js';

const ctx = { srcarch: 'x86', base: { kind: 'defconfig' as const }, sourced: new Set<string>() };

describe('searchOutcome / nextProbes', () => {
  it('bisects a plain range in the middle', () => {
    const s = { n: 9, verdicts: new Map<number, StepVerdict>([[8, 'bad']]) };
    expect(nextProbes(s, 1)).toEqual([3]);
    expect(nextProbes(s, 2)).toEqual([2, 5]);
  });
  it('is found when the last good and first bad are adjacent', () => {
    const v = new Map<number, StepVerdict>([
      [3, 'good'],
      [4, 'bad'],
      [8, 'bad'],
    ]);
    expect(searchOutcome({ n: 9, verdicts: v })).toEqual({ kind: 'found', index: 4, lastGood: 3 });
  });
  it('steps over skipped candidates and reports them when only skips are left', () => {
    const v = new Map<number, StepVerdict>([
      [1, 'good'],
      [2, 'skip'],
      [3, 'skip'],
      [4, 'bad'],
      [5, 'bad'],
    ]);
    expect(searchOutcome({ n: 6, verdicts: v })).toEqual({
      kind: 'inconclusive',
      candidates: [2, 3, 4],
      lastGood: 1,
      firstBad: 4,
    });
    const open = new Map<number, StepVerdict>([
      [2, 'skip'],
      [5, 'bad'],
    ]);
    expect(nextProbes({ n: 6, verdicts: open }, 1)).toEqual([1]);
  });
  it('tests a suspect together with the candidate before it', () => {
    const s = { n: 10, verdicts: new Map<number, StepVerdict>([[9, 'bad']]) };
    expect(suspectProbes(s, 6)).toEqual([5, 6]);
    expect(suspectProbes(s, 0)).toEqual([0]);
  });
});

// A tiny deterministic PRNG so failures reproduce.
function rng(seed: number) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

const PATHS = [
  'Documentation/a.txt',
  'drivers/misc/Makefile',
  'drivers/misc/foo.c',
  'arch/arm/Kconfig',
  'arch/x86/Kconfig',
  'init/Kconfig',
  'net/Kconfig',
  'arch/x86/configs/x86_64_defconfig',
];

describe('filtered bisect == exhaustive scan', () => {
  it('agrees on 300 random histories (monotone predicate, 1 or 2 workers, suspects or not)', async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = rng(seed);
      const n = 5 + Math.floor(rand() * 120);
      // Each commit changes one path; the predicate is a function of Kconfig-input content
      // only: bad once the x86 Kconfig or init/Kconfig has been changed by the culprit.
      const commits = Array.from({ length: n }, () => PATHS[Math.floor(rand() * PATHS.length)]!);
      const inputIdx = commits
        .map((p, i) => (isKconfigInput(p, ctx) ? i : -1))
        .filter((i) => i >= 0);
      if (inputIdx.length === 0) continue;
      const culprit = inputIdx[Math.floor(rand() * inputIdx.length)]!;
      // content version of the inputs at commit i = number of input changes so far
      const verdictAt = (i: number): StepVerdict => (i >= culprit ? 'bad' : 'good');

      // exhaustive linear scan over every commit
      let linear = -1;
      for (let i = 0; i < n; i++)
        if (verdictAt(i) === 'bad') {
          linear = i;
          break;
        }

      // filtered: candidates are input-changing commits, plus the bad endpoint last
      const cands = [...inputIdx];
      if (cands[cands.length - 1] !== n - 1) cands.push(n - 1);
      const workers = 1 + (seed % 2);
      const suspects = seed % 3 === 0 ? [Math.floor(rand() * (cands.length - 1))] : [];
      const { outcome } = await driveSearch(
        cands.length,
        new Map([[cands.length - 1, 'bad']]),
        workers,
        suspects,
        async (idx) => idx.map((k) => verdictAt(cands[k]!)),
      );
      expect(outcome.kind, `seed ${seed}`).toBe('found');
      if (outcome.kind === 'found') expect(cands[outcome.index], `seed ${seed}`).toBe(linear);
    }
  });

  it('with skips, the true first bad commit is the answer or among the candidates reported', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = rng(seed * 7);
      const n = 10 + Math.floor(rand() * 60);
      const culprit = 1 + Math.floor(rand() * (n - 1));
      const skips = new Set(Array.from({ length: n }, (_, i) => i).filter(() => rand() < 0.2));
      skips.delete(n - 1);
      const v = (i: number): StepVerdict => (skips.has(i) ? 'skip' : i >= culprit ? 'bad' : 'good');
      const { outcome } = await driveSearch(n, new Map([[n - 1, 'bad']]), 1, [], async (idx) =>
        idx.map(v),
      );
      if (outcome.kind === 'found') expect(outcome.index).toBe(culprit);
      else expect(outcome.candidates).toContain(culprit);
    }
  });

  it('needs about log2(n) probes with one worker and fewer rounds with two', async () => {
    const count = async (workers: number) => {
      let rounds = 0;
      await driveSearch(1000, new Map([[999, 'bad']]), workers, [], async (idx) => {
        rounds++;
        return idx.map((i) => (i >= 637 ? 'bad' : 'good'));
      });
      return rounds;
    };
    expect(await count(1)).toBeLessThanOrEqual(11);
    expect(await count(2)).toBeLessThanOrEqual(7);
  });

  it('with one worker, tests a right suspect, then the candidate before it, and stops', async () => {
    const tested: number[][] = [];
    const { outcome } = await driveSearch(19, new Map([[18, 'bad']]), 1, [12], async (idx) => {
      tested.push(idx);
      return idx.map((i) => (i >= 12 ? 'bad' : 'good'));
    });
    expect(outcome).toEqual({ kind: 'found', index: 12, lastGood: 11 });
    expect(tested).toEqual([[12], [11]]);
  });

  it('with one worker, a good suspect costs one step and the search goes on past it', async () => {
    const tested: number[][] = [];
    const { outcome } = await driveSearch(19, new Map([[18, 'bad']]), 1, [5], async (idx) => {
      tested.push(idx);
      return idx.map((i) => (i >= 12 ? 'bad' : 'good'));
    });
    expect(outcome).toMatchObject({ kind: 'found', index: 12 });
    expect(tested[0]).toEqual([5]);
    expect(tested.flat()).not.toContain(4);
    expect(tested.every((r) => r.length === 1)).toBe(true);
  });
});
