// kmatrix config-bisect: the smallest set of symbol changes that turns a good .config bad.
// Candidates are the symbols whose values differ between the two configs after olddefconfig;
// ddmin applies subsets of the bad values to the good config, lets olddefconfig close each
// one, and tests the predicate. Subsets that close to a config already tested are not tested
// again (for builds, that is most of the saving).
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import { mergePins, type ConfigValues } from '../config/dotconfig.js';
import type { Pin } from '../config/pin.js';
import type { ProcessRunner } from '../process/runner.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { RequireResult } from './configure.js';
import { ConfigJudge, type TestOutcome } from './config-judge.js';
import { ddmin, type DdVerdict } from './ddmin.js';
import { matchLabels, type Predicate } from './predicate.js';

export interface SymbolChange {
  symbol: string;
  good: string;
  bad: string;
}

export interface ConfigBisectRequest {
  tree: KernelTree;
  arch: Arch;
  toolchain: ToolchainName;
  goodText: string;
  badText: string;
  predicate: Predicate;
  cacheDir: string;
  signal?: AbortSignal;
  /**
   * Symbols to put first among the candidates (e.g. those the failing source file names).
   * ddmin splits the list in order, so related changes together are isolated in fewer tests;
   * the answer is 1-minimal either way.
   */
  prefer?: readonly string[];
  /**
   * Endpoints whose verdict is known from elsewhere (why): a matrix run built them, or a
   * culprit search built the same config at the same commit. Their configs are still closed
   * (the diff needs them) but not judged again. A known bad needs a given match.
   */
  known?: { good?: string; bad?: string };
  /** The tree's cached Kconfig tools (kconfigTools): conf is then not built again. */
  tools?: string;
}

export interface ConfigBisectDeps {
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  emit: (e: ConfigBisectEvent) => void;
}

export type ConfigBisectEvent =
  | { type: 'cbisect:endpoint'; which: 'good' | 'bad'; verdict: string; why: string }
  | { type: 'cbisect:diff'; symbols: number; excluded: string[] }
  | {
      type: 'cbisect:test';
      n: number;
      size: number;
      verdict: DdVerdict;
      why: string;
      cached: boolean;
    };

export type ConfigBisectResult = {
  schema: 'kmatrix.config-bisect/1';
  arch: string;
  source: string;
  predicate:
    | { kind: 'config'; requires: { symbol: string; value: string }[] }
    | { kind: 'build'; match: string[] };
  differing: number;
  tests: number;
  configRuns: number;
  durationMs: number;
} & (
  | {
      kind: 'found';
      minimal: SymbolChange[];
      /** Other symbols olddefconfig changed as a consequence of the minimal set. */
      consequences: SymbolChange[];
      outcome: { verdict: DdVerdict; why: string; requires?: RequireResult[] };
      /**
       * The good config plus the minimal set closes to the bad config's values (all that
       * differ from n): its verdict is the bad config's.
       */
      closesToBad: boolean;
    }
  | { kind: 'endpoints'; problems: string[] }
  | { kind: 'not-reproduced'; why: string }
);

/** Symbols whose values differ (absent = n); pure. */
function configDiff(good: ConfigValues, bad: ConfigValues): SymbolChange[] {
  const out: SymbolChange[] = [];
  const symbols = new Set([...good.keys(), ...bad.keys()]);
  for (const s of [...symbols].sort()) {
    const g = good.get(s) ?? 'n';
    const b = bad.get(s) ?? 'n';
    if (g !== b) out.push({ symbol: s, good: g, bad: b });
  }
  return out;
}

export async function configBisect(
  req: ConfigBisectRequest,
  deps: ConfigBisectDeps,
): Promise<ConfigBisectResult> {
  const started = Date.now();
  const tmp = join(
    req.cacheDir,
    'bisect',
    `config-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  await mkdir(tmp, { recursive: true });
  try {
    const judge = await ConfigJudge.create(req, deps, tmp);
    const pred = req.predicate;
    const common = (tests: number, differing: number) => ({
      schema: 'kmatrix.config-bisect/1' as const,
      arch: req.arch.name,
      source: req.tree.label,
      predicate:
        pred.kind === 'config'
          ? {
              kind: 'config' as const,
              requires: pred.requires.map((p) => ({ symbol: p.symbol, value: p.value })),
            }
          : { kind: 'build' as const, match: matchLabels(judge.match) },
      differing,
      tests,
      configRuns: judge.configRuns,
      durationMs: Date.now() - started,
    });

    const ends = await endpoints(judge, req, deps.emit);
    if (ends.kind === 'failed')
      return { ...common(0, 0), kind: 'endpoints', problems: [ends.problem] };
    const all = configDiff(ends.good.values, ends.bad.values);
    if (ends.problems.length)
      return { ...common(0, all.length), kind: 'endpoints', problems: ends.problems };

    // Setting a required symbol directly proves nothing: look for what drives it instead.
    const excluded =
      pred.kind === 'config' ? new Set(pred.requires.map((p) => p.symbol)) : new Set<string>();
    const prefer = new Set(req.prefer ?? []);
    const kept = all.filter((c) => !excluded.has(c.symbol));
    const changes = [
      ...kept.filter((c) => prefer.has(c.symbol)),
      ...kept.filter((c) => !prefer.has(c.symbol)),
    ];
    deps.emit({ type: 'cbisect:diff', symbols: changes.length, excluded: [...excluded] });

    const tests = new SubsetTests(judge, ends.good.text, deps.emit);
    const r = await ddmin(
      changes,
      (subset) => tests.run(subset),
      (c) => c.symbol,
    );
    if (!r.reproduced) {
      return {
        ...common(r.tests, changes.length),
        kind: 'not-reproduced',
        why: 'applying every differing value (except the required symbols) to the good config does not make it bad',
      };
    }
    const final = await tests.outcome(r.minimal);
    const minimalSet = new Set(r.minimal.map((c) => c.symbol));
    return {
      ...common(r.tests, changes.length),
      kind: 'found',
      minimal: r.minimal,
      consequences: configDiff(ends.good.values, final.values).filter(
        (c) => !minimalSet.has(c.symbol),
      ),
      outcome: {
        verdict: final.verdict,
        why: final.why,
        ...(final.requires ? { requires: final.requires } : {}),
      },
      closesToBad: configDiff(final.values, ends.bad.values).length === 0,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

interface Closed {
  text: string;
  values: ConfigValues;
}

/**
 * Both configs closed by olddefconfig and judged, the bad one first (a build bisect learns
 * its diagnostics there): the good one must pass and the bad one fail.
 */
async function endpoints(
  judge: ConfigJudge,
  req: ConfigBisectRequest,
  emit: (e: ConfigBisectEvent) => void,
): Promise<
  | { kind: 'failed'; problem: string }
  | { kind: 'closed'; good: Closed; bad: Closed; problems: string[] }
> {
  const bad = await judge.close(req.badText);
  const good = await judge.close(req.goodText);
  if (bad.kind === 'failed' || good.kind === 'failed') {
    const f = bad.kind === 'failed' ? bad : good.kind === 'failed' ? good : undefined;
    return { kind: 'failed', problem: `make olddefconfig failed: ${f?.output ?? ''}` };
  }
  const judged = async (c: Closed, known: string | undefined, verdict: 'pass' | 'fail') =>
    known !== undefined ? { verdict, why: known } : judge.judge(c.text, c.values);
  const badOutcome = await judged(bad, judge.match ? req.known?.bad : undefined, 'fail');
  emit({
    type: 'cbisect:endpoint',
    which: 'bad',
    verdict: badOutcome.verdict,
    why: badOutcome.why,
  });
  const goodOutcome = await judged(good, req.known?.good, 'pass');
  emit({
    type: 'cbisect:endpoint',
    which: 'good',
    verdict: goodOutcome.verdict,
    why: goodOutcome.why,
  });
  judge.remember(bad.values, badOutcome);
  judge.remember(good.values, goodOutcome);
  const problems: string[] = [];
  if (goodOutcome.verdict !== 'pass')
    problems.push(
      `--good config is ${goodOutcome.verdict === 'fail' ? 'bad' : 'unresolved'}: ${goodOutcome.why}`,
    );
  if (badOutcome.verdict !== 'fail')
    problems.push(
      `--bad config is ${badOutcome.verdict === 'pass' ? 'good' : 'unresolved'}: ${badOutcome.why}`,
    );
  return { kind: 'closed', good, bad, problems };
}

/** ddmin's test: a subset of the bad values applied to the good config, closed and judged. */
class SubsetTests {
  private n = 0;
  /** The outcome and closed values of each subset tried, by its sorted symbols. */
  private readonly bySubset = new Map<string, TestOutcome & { values: ConfigValues }>();

  constructor(
    private readonly judge: ConfigJudge,
    private readonly goodText: string,
    private readonly emit: (e: ConfigBisectEvent) => void,
  ) {}

  async run(subset: readonly SymbolChange[]): Promise<DdVerdict> {
    const pins: Pin[] = subset.map((c) => ({
      symbol: c.symbol,
      value: c.bad,
      origin: 'config-bisect',
    }));
    const closed = await this.judge.close(mergePins(this.goodText, pins));
    if (closed.kind === 'failed') return 'unresolved';
    let o = this.judge.known(closed.values);
    const cached = o !== undefined;
    if (!o) {
      o = await this.judge.judge(closed.text, closed.values);
      this.judge.remember(closed.values, o);
    }
    this.bySubset.set(subsetKey(subset), { ...o, values: closed.values });
    this.emit({
      type: 'cbisect:test',
      n: ++this.n,
      size: subset.length,
      verdict: o.verdict,
      why: o.why,
      cached,
    });
    return o.verdict;
  }

  /** The outcome of a subset, tested again if ddmin has its verdict but this has not. */
  async outcome(subset: readonly SymbolChange[]): Promise<TestOutcome & { values: ConfigValues }> {
    const key = subsetKey(subset);
    if (!this.bySubset.has(key)) await this.run(subset);
    return this.bySubset.get(key)!;
  }
}

function subsetKey(subset: readonly SymbolChange[]): string {
  return subset
    .map((c) => c.symbol)
    .sort()
    .join(',');
}
