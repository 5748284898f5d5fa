// kmatrix config-bisect: the smallest set of symbol changes that turns a good .config bad.
// Candidates are the symbols whose values differ between the two configs after olddefconfig;
// ddmin applies subsets of the bad values to the good config, lets olddefconfig close each
// one, and tests the predicate. Subsets that close to a config already tested are not tested
// again (for builds, that is most of the saving).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import { mergePins, type ConfigValues } from '../config/dotconfig.js';
import type { Pin } from '../config/pin.js';
import type { ProcessRunner } from '../process/runner.js';
import type { KernelTree } from '../source/tree.js';
import { compilerCommand, type ToolchainName } from '../toolchain/toolchains.js';
import { checkRequires, closeConfig, type KconfigDeps, type RequireResult } from './configure.js';
import { ddmin, type DdVerdict } from './ddmin.js';
import { createProbeCache } from './probe-cache.js';
import { defaultMatch, evalBuild, matchLabels, type MatchSpec, type Predicate } from './run.js';

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

interface TestOutcome {
  verdict: DdVerdict;
  why: string;
  requires?: RequireResult[];
}

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
    }
  | { kind: 'endpoints'; problems: string[] }
  | { kind: 'not-reproduced'; why: string }
);

/** Symbols whose values differ (absent = n); pure. */
export function configDiff(good: ConfigValues, bad: ConfigValues): SymbolChange[] {
  const out: SymbolChange[] = [];
  const symbols = new Set([...good.keys(), ...bad.keys()]);
  for (const s of [...symbols].sort()) {
    const g = good.get(s) ?? 'n';
    const b = bad.get(s) ?? 'n';
    if (g !== b) out.push({ symbol: s, good: g, bad: b });
  }
  return out;
}

function valuesKey(values: ConfigValues): string {
  const h = createHash('sha256');
  for (const [k, v] of [...values].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    if (v !== 'n') h.update(`${k}=${v}\n`);
  return h.digest('hex');
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
  const pred = req.predicate;
  let configRuns = 0;
  let match: MatchSpec | undefined =
    pred.kind === 'build' && pred.match ? { kind: 'text', text: pred.match } : undefined;
  const common = (tests: number) => ({
    schema: 'kmatrix.config-bisect/1' as const,
    arch: req.arch.name,
    source: req.tree.label,
    predicate:
      pred.kind === 'config'
        ? {
            kind: 'config' as const,
            requires: pred.requires.map((p) => ({ symbol: p.symbol, value: p.value })),
          }
        : { kind: 'build' as const, match: matchLabels(match) },
    tests,
    configRuns,
    durationMs: Date.now() - started,
  });
  try {
    const pathPrefix = await createProbeCache(
      join(tmp, 'probes'),
      compilerCommand(req.arch, req.toolchain),
      deps.env,
    );
    const kdeps: KconfigDeps = {
      runner: deps.runner,
      env: deps.env,
      ...(pathPrefix ? { pathPrefix } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    };
    const place = {
      src: req.tree.path,
      out: join(tmp, 'config'),
      arch: req.arch,
      toolchain: req.toolchain,
    };
    const close = async (text: string) => {
      configRuns++;
      return closeConfig(place, text, kdeps);
    };
    const byConfig = new Map<string, TestOutcome>();
    const judge = async (text: string, values: ConfigValues): Promise<TestOutcome> => {
      if (pred.kind === 'config') {
        const requires = checkRequires(pred.requires, values);
        const broken = requires.filter((r) => !r.holds);
        return {
          verdict: broken.length ? 'fail' : 'pass',
          why: broken.length
            ? broken.map((b) => `${b.symbol}=${b.effective} (required ${b.required})`).join(', ')
            : requires.map((b) => `${b.symbol}=${b.effective}`).join(', '),
          requires,
        };
      }
      const v = await evalBuild(
        {
          src: req.tree.path,
          out: join(tmp, 'build'),
          label: `config-bisect-${req.arch.name}`,
          arch: req.arch,
          toolchain: req.toolchain,
          base: { kind: 'file', path: 'candidate.config' },
          pins: [],
          baseText: text,
          ...(req.signal ? { signal: req.signal } : {}),
        },
        pred,
        kdeps,
        match,
      );
      if (!match && v.verdict === 'bad') match = defaultMatch(v.diagnostics ?? []);
      return {
        verdict: v.verdict === 'bad' ? 'fail' : v.verdict === 'good' ? 'pass' : 'unresolved',
        why: v.why,
      };
    };

    // Endpoints, closed by olddefconfig: the bad one first (a build bisect learns its diagnostics).
    const bad = await close(req.badText);
    const good = await close(req.goodText);
    if (bad.kind === 'failed' || good.kind === 'failed') {
      const f = bad.kind === 'failed' ? bad : good.kind === 'failed' ? good : undefined;
      return {
        ...common(0),
        differing: 0,
        kind: 'endpoints',
        problems: [`make olddefconfig failed: ${f?.kind === 'failed' ? f.output : ''}`],
      };
    }
    const badOutcome = await judge(bad.text, bad.values);
    deps.emit({
      type: 'cbisect:endpoint',
      which: 'bad',
      verdict: badOutcome.verdict,
      why: badOutcome.why,
    });
    const goodOutcome = await judge(good.text, good.values);
    deps.emit({
      type: 'cbisect:endpoint',
      which: 'good',
      verdict: goodOutcome.verdict,
      why: goodOutcome.why,
    });
    byConfig.set(valuesKey(bad.values), badOutcome);
    byConfig.set(valuesKey(good.values), goodOutcome);
    const problems: string[] = [];
    if (goodOutcome.verdict !== 'pass')
      problems.push(
        `--good config is ${goodOutcome.verdict === 'fail' ? 'bad' : 'unresolved'}: ${goodOutcome.why}`,
      );
    if (badOutcome.verdict !== 'fail')
      problems.push(
        `--bad config is ${badOutcome.verdict === 'pass' ? 'good' : 'unresolved'}: ${badOutcome.why}`,
      );
    const all = configDiff(good.values, bad.values);
    if (problems.length)
      return { ...common(0), differing: all.length, kind: 'endpoints', problems };

    // Setting a required symbol directly proves nothing: look for what drives it instead.
    const excluded =
      pred.kind === 'config' ? new Set(pred.requires.map((p) => p.symbol)) : new Set<string>();
    const changes = all.filter((c) => !excluded.has(c.symbol));
    deps.emit({ type: 'cbisect:diff', symbols: changes.length, excluded: [...excluded] });

    let n = 0;
    const lastOutcome = new Map<string, TestOutcome & { values: ConfigValues }>();
    const test = async (subset: readonly SymbolChange[]): Promise<DdVerdict> => {
      const pins: Pin[] = subset.map((c) => ({
        symbol: c.symbol,
        value: c.bad,
        origin: 'config-bisect',
      }));
      const closed = await close(mergePins(good.text, pins));
      if (closed.kind === 'failed') return 'unresolved';
      const key = valuesKey(closed.values);
      let o = byConfig.get(key);
      const cached = o !== undefined;
      if (!o) {
        o = await judge(closed.text, closed.values);
        byConfig.set(key, o);
      }
      lastOutcome.set(
        subset
          .map((c) => c.symbol)
          .sort()
          .join(','),
        { ...o, values: closed.values },
      );
      deps.emit({
        type: 'cbisect:test',
        n: ++n,
        size: subset.length,
        verdict: o.verdict,
        why: o.why,
        cached,
      });
      return o.verdict;
    };
    const r = await ddmin(changes, test, (c) => c.symbol);
    if (!r.reproduced) {
      return {
        ...common(r.tests),
        differing: changes.length,
        kind: 'not-reproduced',
        why: 'applying every differing value (except the required symbols) to the good config does not make it bad',
      };
    }
    const key = r.minimal
      .map((c) => c.symbol)
      .sort()
      .join(',');
    let final = lastOutcome.get(key);
    if (!final) {
      await test(r.minimal);
      final = lastOutcome.get(key)!;
    }
    const minimalSet = new Set(r.minimal.map((c) => c.symbol));
    const consequences = configDiff(good.values, final.values).filter(
      (c) => !minimalSet.has(c.symbol),
    );
    return {
      ...common(r.tests),
      differing: changes.length,
      kind: 'found',
      minimal: r.minimal,
      consequences,
      outcome: {
        verdict: final.verdict,
        why: final.why,
        ...(final.requires ? { requires: final.requires } : {}),
      },
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
