// The smallest config of a build failure: config-bisect's ddmin between a passing config of
// the same source, arch and toolchain and the failing cell's .config, on tonight's tree. The
// answer is a 1-minimal set of symbol values, with what olddefconfig derives from it and the
// Kconfig model's explanation of each value. Object-only steps (objects.ts) find the set; one
// full build then confirms it (a set that fails only as objects is searched again with full
// builds), so the answer holds for the full build too. docs/triage.md has the argument.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import { configBisect, type ConfigBisectResult } from '../bisect/config-bisect.js';
import { resolveConfig, type KconfigDeps } from '../bisect/configure.js';
import { evalBuild, matchSpecOf, type Predicate } from '../bisect/predicate.js';
import { kconfigTools } from '../config/tools.js';
import { withProbeCache } from '../bisect/probe-cache.js';
import { mergePins, parseDotConfig, type ConfigValues } from '../config/dotconfig.js';
import { modelFor } from '../config/kconfig-bridge.js';
import type { Pin } from '../config/pin.js';
import { errorMessage } from '../core/errors.js';
import { explainPin, renderExplanation, type KconfigModel } from '../kconfig/index.js';
import type { Cell } from '../matrix/cell.js';
import type { TriageSettings } from '../matrix/load.js';
import type { CellResult } from '../results/result.js';
import type { Minimization, MinimalSymbol } from '../results/triage.js';
import type { KernelTree } from '../source/tree.js';
import type { TriageEnv } from './env.js';
import { ObjectGoalRuntime } from './objects.js';
import type { FailureGroup } from './plan.js';

export interface MinimizeInput {
  g: FailureGroup;
  arch: Arch;
  match: string[];
  objects: string[] | null;
  settings: TriageSettings;
  runDir: string;
  /** The cell's .config from the run (undefined when the run kept none, or it is gone). */
  badText: string | undefined;
  /** Every cell and result of the run (a passing cell of the same kind is a good config). */
  cells: readonly Cell[];
  results: ReadonlyMap<string, CellResult>;
  dir: string;
  /**
   * Why the objects fail at tonight's commit with the cell's config: the run's build failed
   * compiling them, or the culprit search built them there (its first step); undefined when
   * neither showed that.
   */
  tonightBad?: Promise<string | undefined>;
}

interface GoodCandidate {
  label: string;
  text: () => Promise<string>;
  /** Why its build is known to pass (the run built it), when it is. */
  passed?: string;
}

/** Passing configs to minimize against, best first (see docs/triage.md). */
function goodCandidates(
  m: MinimizeInput,
  tree: KernelTree,
  deps: () => Promise<KconfigDeps>,
): GoodCandidate[] {
  const c = m.g.cell;
  const out: GoodCandidate[] = [];
  const generated = (base: Cell['base'], pins: readonly Pin[], label: string): GoodCandidate => ({
    label,
    text: async () => {
      const dir = join(m.dir, `good-${base.kind}-${pins.length}`);
      const kdeps = await deps();
      const place = { src: tree.path, out: dir, arch: m.arch, toolchain: c.toolchain };
      const r = await resolveConfig(place, base, pins, kdeps);
      if (r.kind === 'failed') throw new Error(`make ${r.step} failed for ${label}`);
      return r.text;
    },
  });
  const g = m.settings.goodConfig;
  if (g?.kind === 'file')
    out.push({ label: `triage.good_config ${g.path}`, text: () => readFile(g.path, 'utf8') });
  else if (g?.kind === 'base')
    out.push(
      generated(
        g.base === 'randconfig'
          ? { kind: 'randconfig', seed: '1' }
          : ({ kind: g.base } as Cell['base']),
        c.pins,
        `triage.good_config ${g.base} with the cell's pins`,
      ),
    );
  // A cell of this run that passed: a build cell first (its .config is known to build), else
  // a config-only one (config-bisect builds the good end before it trusts it).
  const passing = m.cells.filter((o) => {
    const r = m.results.get(o.id);
    return (
      o.id !== c.id &&
      o.sourceResolved === c.sourceResolved &&
      o.arch === c.arch &&
      o.toolchain === c.toolchain &&
      r?.status === 'pass' &&
      r.files.config !== undefined
    );
  });
  const other = passing.find((o) => o.build) ?? passing[0];
  const otherConfig = other ? m.results.get(other.id)?.files.config : undefined;
  if (other && otherConfig)
    out.push({
      label: `the passing cell ${other.id} (${other.variant}) of this run`,
      text: () => readFile(join(m.runDir, otherConfig), 'utf8'),
      // Its full build passed in the run, so its objects build too.
      ...(other.build ? { passed: `its build passed in this run` } : {}),
    });
  const b = c.base;
  if (b.kind === 'defconfig' || b.kind === 'tinyconfig' || b.kind === 'allnoconfig')
    out.push(generated(b, [], `${b.kind} without the cell's pins`));
  else out.push(generated({ kind: 'tinyconfig' }, c.pins, "tinyconfig with the cell's pins"));
  return out;
}

/** Config steps' deps with conf's compiler probes memoized (one cache per minimization). */
function probedDeps(m: MinimizeInput, env: TriageEnv): Promise<KconfigDeps> {
  const kdeps: KconfigDeps = { runner: env.runner, env: env.env, signal: env.signal };
  return withProbeCache(kdeps, join(m.dir, 'probes'), m.arch, m.g.cell.toolchain);
}

export async function minimizeConfig(m: MinimizeInput, env: TriageEnv): Promise<Minimization> {
  const started = Date.now();
  const done = (o: Partial<Minimization> & Pick<Minimization, 'outcome'>): Minimization => ({
    note: null,
    good: null,
    symbols: [],
    derived: [],
    tests: 0,
    ...o,
    durationMs: Date.now() - started,
  });
  const badText = m.badText;
  if (badText === undefined)
    return done({ outcome: 'not-run', note: 'the cell has no .config in the run directory' });
  await mkdir(m.dir, { recursive: true });
  const tree = await env.tree(m.g.cell.sourceResolved);
  const notes: string[] = [];
  let tests = 0;
  let objects = m.objects;
  // Conf's compiler probes memoized for this minimization's own conf runs, made on first use.
  let probed: Promise<KconfigDeps> | undefined;
  const deps = () => (probed ??= probedDeps(m, env));
  for (const cand of goodCandidates(m, tree, deps)) {
    let goodText: string;
    try {
      goodText = await cand.text();
    } catch (e) {
      notes.push(`${cand.label}: ${errorMessage(e)}`);
      continue;
    }
    env.note(`minimizing against ${cand.label}`);
    // The failing end is known from the run's full build; built as objects, from the culprit
    // search's first step (the same objects of the same config at the same commit).
    const known = async (objs: string[] | null) => ({
      ...(cand.passed ? { good: cand.passed } : {}),
      ...(await failingEnd(m, objs)),
    });
    let r = await search(m, tree, goodText, badText, objects, env, await known(objects));
    tests += r.tests;
    if (objects && r.kind === 'endpoints' && r.problems.some((p) => p.startsWith('--bad'))) {
      notes.push(
        `building ${objects.join(' ')} alone does not fail with the cell's config: full builds`,
      );
      objects = null;
      r = await search(m, tree, goodText, badText, null, env, await known(null));
      tests += r.tests;
    }
    if (r.kind === 'endpoints') {
      notes.push(`${cand.label}: ${r.problems.join('; ')}`);
      continue;
    }
    if (r.kind === 'found' && objects) {
      const confirmed = await confirmFull(m, tree, goodText, r, env, deps);
      if (confirmed.ok) notes.push(confirmed.why);
      if (!confirmed.ok) {
        notes.push(
          `the set found with object-only builds does not fail in a full build (${confirmed.why}); searched again with full builds`,
        );
        r = await search(m, tree, goodText, badText, null, env, await known(null));
        tests += r.tests;
      }
    }
    if (r.kind === 'found')
      return done({
        outcome: 'found',
        good: cand.label,
        tests,
        note: notes.join('; ') || null,
        ...(await explained(m, tree, goodText, badText, r)),
      });
    if (r.kind === 'not-reproduced')
      return done({
        outcome: 'not-reproduced',
        good: cand.label,
        tests,
        note: [...notes, r.why].join('; '),
      });
  }
  return done({
    outcome: 'endpoints',
    tests,
    note: notes.join('; ') || 'no passing config of this source, arch and toolchain was found',
  });
}

/** What is known of the failing end: the run's full build, or the search's object build. */
async function failingEnd(m: MinimizeInput, objects: string[] | null): Promise<{ bad?: string }> {
  if (!objects) return { bad: `the cell's build failed with it in this run` };
  const why = await m.tonightBad;
  return why ? { bad: why } : {};
}

async function search(
  m: MinimizeInput,
  tree: KernelTree,
  goodText: string,
  badText: string,
  objects: string[] | null,
  env: TriageEnv,
  known: { good?: string; bad?: string },
): Promise<ConfigBisectResult> {
  const inner = await env.runtime(m.g.cell.toolchain);
  const predicate: Predicate = {
    kind: 'build',
    targets: objects ? ['kernel'] : m.g.cell.targets,
    match: m.match,
    jobs: env.jobs,
    runtime: objects ? new ObjectGoalRuntime(inner, m.arch.imageTarget, objects) : inner,
    ...(env.stepTimeoutMs ? { timeoutMs: env.stepTimeoutMs } : {}),
    ...(env.ccacheDir ? { ccacheDir: env.ccacheDir } : {}),
  };
  return configBisect(
    {
      tree,
      arch: m.arch,
      toolchain: m.g.cell.toolchain,
      goodText,
      badText,
      predicate,
      cacheDir: env.scratch,
      signal: env.signal,
      prefer: await namedSymbols(m, tree),
      known,
      // the run built them for this tree (its cells' configs): conf is not built again
      tools: await kconfigTools(tree, {
        runner: env.runner,
        cacheDir: env.cacheDir,
        emit: () => {},
        env: env.env,
      }),
    },
    {
      runner: env.runner,
      env: env.env,
      emit: (e) => {
        if (e.type === 'cbisect:test')
          env.note(`config test ${e.n}: ${e.size} symbol(s) -> ${e.verdict}`);
      },
    },
  );
}

/**
 * The CONFIG_ symbols the files with the errors name (#ifdef CONFIG_X around the broken code):
 * ddmin tries them first, which isolates them in a few tests when they are the cause.
 */
async function namedSymbols(m: MinimizeInput, tree: KernelTree): Promise<string[]> {
  const files = new Set(
    m.g.result.diagnostics
      .filter((d) => m.match.includes(d.fingerprint) && d.file && !d.file.includes('..'))
      .map((d) => d.file),
  );
  const out = new Set<string>();
  for (const f of files) {
    const text = await readFile(join(tree.path, f), 'utf8').catch(() => '');
    for (const x of text.matchAll(/\bCONFIG_([A-Za-z0-9_]+)/g)) out.add(x[1]!);
  }
  return [...out];
}

/** One full build of the good config plus the minimal set: it must fail with the error. */
async function confirmFull(
  m: MinimizeInput,
  tree: KernelTree,
  goodText: string,
  r: Extract<ConfigBisectResult, { kind: 'found' }>,
  env: TriageEnv,
  deps: () => Promise<KconfigDeps>,
): Promise<{ ok: boolean; why: string }> {
  const text = mergePins(
    goodText,
    r.minimal.map((c) => ({ symbol: c.symbol, value: c.bad, origin: 'triage' })),
  );
  // The minimal set may close to the failing cell's own config (the search closed it): the
  // run's full build of it already failed with the error.
  if (r.closesToBad)
    return {
      ok: true,
      why: "the minimal set closes to the failing cell's config, whose full build in the run failed with the error",
    };
  const kdeps = await deps();
  env.note(`confirming the minimal set with a full build`);
  const v = await evalBuild(
    {
      src: tree.path,
      out: join(m.dir, 'confirm'),
      label: `triage-minimal-${m.g.cell.id}`,
      arch: m.arch,
      toolchain: m.g.cell.toolchain,
      base: { kind: 'file', path: 'minimal.config' },
      pins: [],
      baseText: text,
      signal: env.signal,
    },
    {
      kind: 'build',
      targets: m.g.cell.targets,
      match: m.match,
      jobs: env.jobs,
      runtime: await env.runtime(m.g.cell.toolchain),
      ...(env.stepTimeoutMs ? { timeoutMs: env.stepTimeoutMs } : {}),
      ...(env.ccacheDir ? { ccacheDir: env.ccacheDir } : {}),
    },
    kdeps,
    matchSpecOf(m.match),
  );
  return v.verdict === 'bad'
    ? { ok: true, why: 'a full build of the minimal config fails with the error too' }
    : { ok: false, why: v.why };
}

/** The minimal set and what it derives, each value explained by the Kconfig model. */
async function explained(
  m: MinimizeInput,
  tree: KernelTree,
  goodText: string,
  badText: string,
  r: Extract<ConfigBisectResult, { kind: 'found' }>,
): Promise<Pick<Minimization, 'symbols' | 'derived'>> {
  let model: KconfigModel | undefined;
  try {
    model = await modelFor(tree, m.arch);
  } catch {
    model = undefined;
  }
  const bad = parseDotConfig(badText);
  const minimal = parseDotConfig(
    mergePins(
      goodText,
      r.minimal.map((c) => ({ symbol: c.symbol, value: c.bad, origin: 'triage' })),
    ),
  );
  // The consequences' values come from olddefconfig over the minimal set: explained there.
  for (const c of r.consequences) minimal.set(c.symbol, c.bad);
  const why = (values: ConfigValues, symbol: string, value: string) =>
    model ? whySet(model, values, symbol, value) : null;
  return {
    symbols: r.minimal.map((c): MinimalSymbol => ({
      symbol: c.symbol,
      value: c.bad,
      from: c.good,
      why: why(bad, c.symbol, c.bad),
    })),
    derived: r.consequences.map((c): MinimalSymbol => ({
      symbol: c.symbol,
      value: c.bad,
      from: c.good,
      why: why(minimal, c.symbol, c.bad),
    })),
  };
}

/**
 * Why a symbol has its value in a config: the causes under the model's explanation of
 * "asked the other value" (selects, defaults, the .config for y/m; unmet dependencies for n).
 */
export function whySet(
  model: KconfigModel,
  values: ConfigValues,
  symbol: string,
  value: string,
): string | null {
  if (!model.isDefined(symbol)) return null;
  const off = value === 'n';
  const node = explainPin(
    model,
    values,
    {
      symbol,
      requested: off ? 'y' : 'n',
      effective: value,
      status: off ? 'dropped' : 'overridden',
    },
    new Map(),
  );
  const text = node.children
    .map((c) => renderExplanation(c))
    .join('')
    .trimEnd();
  return text || null;
}
