// `kmatrix solve`: can these pins hold together on this tree and arch? The pins' cone of the
// Kconfig model is encoded (encode.ts) and solved; satisfiable -> the fewest extra pins,
// each answer checked by the tree's own conf before it is reported; unsatisfiable -> minimal
// cores as chains of Kconfig facts, each confirmed by conf failing on the core's pins.
import type { Arch } from '../arch/arches.js';
import { baseLabel, type Base } from '../config/base.js';
import { effectiveValue, parseConfigLines, parseDotConfig } from '../config/dotconfig.js';
import type { ConfigValues } from '../config/dotconfig.js';
import type { Pin } from '../config/pin.js';
import { pinStatus, sameValue } from '../config/verify.js';
import type { ConfigEvent, Emit } from '../core/events.js';
import type { DefinitionSite, KconfigModel, KSymbol } from '../kconfig/index.js';
import type { ProcessRunner } from '../process/runner.js';
import { shellQuote } from '../process/shell-quote.js';
import type {
  ArchSolveResult,
  ArchVerdict,
  SolveCore,
  SolveEvent,
  SolvePinRow,
  SolveReport,
} from './result.js';
import { formatSourceSpec } from '../source/spec.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { Lit } from './cnf.js';
import { chainSteps } from './chain.js';
import { openConfChecker, type ConfChecker } from './conf.js';
import { findCores, type Core } from './core.js';
import { encode, parseTriValue, type Encoding } from './encode.js';
import { factSymbols } from './facts.js';
import { Minimizer } from './minimize.js';
import type { SatSolver } from './sat.js';

export interface SolveRequest {
  tree: KernelTree;
  arches: readonly Arch[];
  toolchain: ToolchainName;
  /** defconfig, tinyconfig or a file: the pins are merged into it, then olddefconfig. */
  base: Base;
  pins: readonly Pin[];
  forbid: readonly Pin[];
  /** Extra pins may not switch off anything base + pins has on. */
  keepBase: boolean;
  maxExtra: number;
}

export interface SolveDeps {
  runner: ProcessRunner;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  emit: Emit<SolveEvent | ConfigEvent>;
  sat: SatSolver;
  /** Where conf's O= dirs go. */
  scratch: string;
  /** Runs conf processes (a queue as wide as the CPUs). */
  limit: <T>(task: () => Promise<T>) => Promise<T>;
  model: (tree: KernelTree, arch: Arch) => Promise<KconfigModel>;
  /** Definition sites in every arch (for "not defined for ARCH" facts). */
  definitions: (srcTree: string, symbol: string) => Promise<DefinitionSite[]>;
  /**
   * A conf checker kept by the caller across many solves (benchmarks, agreement checks);
   * without it each arch opens its own and closes it when done.
   */
  sharedConf?: (
    tree: KernelTree,
    arch: Arch,
    toolchain: ToolchainName,
    base: Base,
  ) => Promise<ConfChecker>;
  signal?: AbortSignal;
}

/** conf runs spent on refuted candidates before giving up on an answer. */
const REFUTATION_BUDGET = 6;
/** Alternatives of the fewest size compared for closeness to the base. */
const ALTERNATIVES = 3;

export async function solvePins(req: SolveRequest, deps: SolveDeps): Promise<SolveReport> {
  const arches = await Promise.all(req.arches.map((arch) => solveArch(req, arch, deps)));
  const kinds = arches.map((a) => a.verdict.kind);
  return {
    verdict: kinds.includes('undecided')
      ? 'undecided'
      : kinds.includes('unsatisfiable')
        ? 'unsatisfiable'
        : 'satisfiable',
    source: {
      spec: formatSourceSpec(req.tree.spec),
      label: req.tree.label,
      version: req.tree.version,
    },
    base: baseLabel(req.base),
    toolchain: req.toolchain,
    pins: req.pins.map((p) => `${p.symbol}=${p.value}`),
    forbid: req.forbid.map((p) => `${p.symbol}=${p.value}`),
    arches,
  };
}

/** One arch's question, with everything it needs injected (unit tests pass an in-memory conf). */
export interface ArchRun {
  arch: string;
  pins: readonly Pin[];
  forbid: readonly Pin[];
  keepBase: boolean;
  maxExtra: number;
  model: KconfigModel;
  conf: ConfChecker;
  sat: SatSolver;
  emit: Emit<SolveEvent>;
  /** Definition sites in other arches, for "not defined for ARCH" facts. */
  definitions: (symbol: string) => Promise<DefinitionSite[]>;
  /** The `kmatrix config` command line for the pins plus these extra pins. */
  command: (extra: readonly Pin[]) => string;
  stats: ArchSolveResult['stats'];
}

async function solveArch(req: SolveRequest, arch: Arch, deps: SolveDeps): Promise<ArchSolveResult> {
  const started = Date.now();
  deps.emit({ type: 'solve:start', arch: arch.name, pins: req.pins.length });
  const model = await deps.model(req.tree, arch);
  const shared = await deps.sharedConf?.(req.tree, arch, req.toolchain, req.base);
  const conf = shared ?? (await openConfChecker(req.tree, arch, req.toolchain, req.base, deps));
  const confRuns0 = conf.runs();
  const stats = { symbols: 0, variables: 0, clauses: 0, satCalls: 0, confRuns: 0, ms: 0 };
  const sat: SatSolver = {
    solve: (cnf, assumptions, opts) => {
      stats.satCalls++;
      return deps.sat.solve(cnf, assumptions, opts);
    },
  };
  try {
    const { verdict, pins } = await decideArch({
      arch: arch.name,
      pins: req.pins,
      forbid: req.forbid,
      keepBase: req.keepBase,
      maxExtra: req.maxExtra,
      model,
      conf,
      sat,
      emit: deps.emit,
      definitions: (s) => deps.definitions(req.tree.path, s),
      command: (extra) => configCommand(req, arch, extra),
      stats,
    });
    stats.confRuns = conf.runs() - confRuns0;
    stats.ms = Date.now() - started;
    deps.emit({ type: 'solve:verdict', arch: arch.name, verdict: verdict.kind, ms: stats.ms });
    return { arch: arch.name, verdict, pins, stats };
  } finally {
    if (!shared) await conf.close();
  }
}

/** How often an answer refuted outside the cone widens the cone before giving up. */
const MAX_WIDEN = 4;

export async function decideArch(
  run: ArchRun,
): Promise<{ verdict: ArchVerdict; pins: SolvePinRow[] }> {
  const { model, conf } = run;
  // conf on base + pins, run once when needed: --keep-base starts from it, verdicts without
  // an answer show it. Otherwise the first answer checked (no extra pins) doubles as it.
  let first: Promise<ConfigValues> | undefined;
  const firstValues = () => (first ??= conf.resolve(run.pins));
  const firstRows = async () => pinRows(run, await firstValues(), []);
  const wanted: Wanted = { pins: run.pins, forbid: run.forbid, keep: new Map() };
  let keep = new Map<string, string>();
  if (run.keepBase) {
    const values = await firstValues();
    if (checkValues(run, values, wanted).ok)
      return { verdict: { kind: 'holds' }, pins: await firstRows() };
    keep = keepMap(model, values, run.pins);
  }
  const unavailable = run.pins.filter((p) => !model.isDefined(p.symbol));
  const roots: string[] = [];
  for (let widen = 0; ; widen++) {
    const enc = encodeFor(
      run,
      run.pins.filter((p) => model.isDefined(p.symbol)),
      keep,
      roots,
    );
    const t = Date.now();
    const proof = await run.sat.solve(
      enc.cnf,
      enc.facts.map((f) => f.lit),
      { core: true },
    );
    run.emit({
      type: 'solve:proof',
      arch: run.arch,
      satisfiable: proof.kind === 'sat' && unavailable.length === 0,
      ms: Date.now() - t,
    });
    let exclude = new Set<Lit>();
    if (proof.kind === 'unsat' || unavailable.length > 0) {
      const cores = proof.kind === 'unsat' ? await findCores(enc, run.sat, proof.failed, []) : [];
      const unsure = enc.facts.filter((f) => factSymbols(f.fact).some((s) => enc.unsure.has(s)));
      if (!cores.some((c) => c.facts.some((f) => unsure.includes(f))))
        return {
          verdict: await unsatVerdict(run, unavailable, cores, firstValues),
          pins: await firstRows(),
        };
      // the proof rests on a recursive dependency: search (checked by conf) without it instead
      exclude = new Set(unsure.map((f) => f.lit));
    }
    const found = await minimise(run, enc, { ...wanted, keep }, exclude);
    if (found.kind === 'satisfiable') return { verdict: found.verdict, pins: found.rows };
    // conf saw a forbidden or kept symbol change outside the cone: take it in and solve again
    const outside = found.outside.filter((s) => !roots.includes(s));
    if (exclude.size > 0) {
      const cyc = [...enc.unsure].slice(0, 6).join(', ');
      const reason = `no proof claimed: the conflict runs through a recursive dependency (${cyc}), and a search checked by conf found no answer (${found.reason})`;
      return { verdict: { kind: 'undecided', reason }, pins: await firstRows() };
    }
    if (outside.length === 0 || widen >= MAX_WIDEN)
      return { verdict: { kind: 'undecided', reason: found.reason }, pins: await firstRows() };
    roots.push(...outside);
  }
}

function encodeFor(
  run: ArchRun,
  pins: readonly Pin[],
  keep: ReadonlyMap<string, string>,
  roots: readonly string[],
): Encoding {
  const t = Date.now();
  const enc = encode({
    model: run.model,
    arch: run.arch,
    pins,
    forbid: run.forbid,
    keep,
    roots,
    base: parseDotConfig(run.conf.baseText),
    baseOrder: parseConfigLines(run.conf.baseText).map((l) => l.symbol),
    baseValues: run.conf.baseValues,
  });
  Object.assign(run.stats, {
    symbols: [...enc.values.keys()].filter((s) => !s.isConst).length,
    variables: enc.cnf.nVars,
    clauses: enc.cnf.nClauses,
  });
  run.emit({
    type: 'solve:encoded',
    arch: run.arch,
    symbols: run.stats.symbols,
    variables: enc.cnf.nVars,
    clauses: enc.cnf.nClauses,
    ms: Date.now() - t,
  });
  return enc;
}

/** --keep-base: every bool/tristate symbol on in base + pins stays at least as on. */
function keepMap(
  model: KconfigModel,
  values: ConfigValues,
  pins: readonly Pin[],
): Map<string, string> {
  const out = new Map<string, string>();
  const pinned = new Set(pins.map((p) => p.symbol));
  for (const s of model.boolSymbols()) {
    const v = values.get(s.name);
    if ((v === 'y' || v === 'm') && !pinned.has(s.name)) out.set(s.name, v);
  }
  return out;
}

type Minimised =
  | { kind: 'satisfiable'; verdict: ArchVerdict; rows: SolvePinRow[] }
  /** No answer; `outside`: symbols outside the cone whose change made conf refuse one. */
  | { kind: 'none'; reason: string; outside: string[] };

/** The fewest extra pins that conf confirms, trying alternatives when conf refutes one. */
async function minimise(
  run: ArchRun,
  enc: Encoding,
  want: Wanted,
  exclude: ReadonlySet<Lit> = new Set(),
): Promise<Minimised> {
  const order = menuOrder(run.model);
  const baseValue = (s: KSymbol) => parseTriValue(run.conf.baseValues.get(s.name)) ?? 0;
  const min = new Minimizer(enc, run.sat, run.maxExtra, baseValue, exclude);
  let refuted = 0;
  let lastWhy = '';
  const outside = new Set<string>();
  for (const soft of [true, false]) {
    while (refuted < REFUTATION_BUDGET) {
      const cands = await min.fewest(soft, ALTERNATIVES);
      if (!cands) break;
      for (const c of cands) {
        const extra = c.extras
          .sort((a, b) => (order.get(a.sym) ?? 0) - (order.get(b.sym) ?? 0))
          .map((e) => ({ symbol: e.sym.name, value: e.value, origin: 'solve' }));
        const names = extra.map((e) => `${e.symbol}=${e.value}`);
        run.emit({ type: 'solve:candidate', arch: run.arch, extra: names });
        const values = await run.conf.resolve([...run.pins, ...extra]);
        const check = checkValues(run, values, want);
        if (check.ok && extra.length === 0)
          return {
            kind: 'satisfiable',
            verdict: { kind: 'holds' },
            rows: pinRows(run, values, []),
          };
        if (check.ok) {
          const verdict: ArchVerdict = {
            kind: 'satisfiable',
            extra: extra.map(({ symbol, value }) => ({ symbol, value })),
            command: run.command(extra),
            found: exclude.size === 0 ? 'solver' : 'search',
            changedFromBase: changed(run.conf.baseValues, values),
          };
          return { kind: 'satisfiable', verdict, rows: pinRows(run, values, extra) };
        }
        lastWhy = check.why;
        const culprit = model(run, check.symbol);
        if (culprit && !enc.values.has(culprit)) outside.add(check.symbol);
        run.emit({ type: 'solve:refuted', arch: run.arch, extra: names, why: check.why });
        min.block(c);
        if (++refuted >= REFUTATION_BUDGET) break;
      }
    }
  }
  return {
    kind: 'none',
    outside: [...outside],
    reason: refuted
      ? `conf refuted every answer the solver found (${refuted} tried; last: ${lastWhy})`
      : `no answer with at most ${run.maxExtra} extra pin(s) (raise --max-extra)`,
  };
}

async function unsatVerdict(
  run: ArchRun,
  unavailable: readonly Pin[],
  cores: readonly Core[],
  firstValues: () => Promise<ConfigValues>,
): Promise<ArchVerdict> {
  const out: SolveCore[] = [];
  const where = new Map<string, DefinitionSite[]>();
  const undef = new Set([
    ...unavailable.map((p) => p.symbol),
    ...cores
      .flatMap((c) => c.facts.map((f) => f.fact))
      .flatMap((f) => (f.kind === 'undefined' ? [f.symbol] : [])),
  ]);
  await Promise.all([...undef].map(async (s) => where.set(s, await run.definitions(s))));
  for (const p of unavailable) {
    out.push({
      pins: [`${p.symbol}=${p.value}`],
      chain: chainSteps(
        [
          { kind: 'pin', symbol: p.symbol, value: p.value },
          { kind: 'undefined', symbol: p.symbol, arch: run.arch },
        ],
        where,
      ),
      confirmedByConf: true,
    });
  }
  for (const c of cores) {
    const facts = c.facts.map((f) => f.fact);
    const named = (kind: string) => (p: Pin) =>
      facts.some((f) => f.kind === kind && 'symbol' in f && f.symbol === p.symbol);
    const pins = run.pins.filter(named('pin'));
    const forbid = run.forbid.filter(named('forbid'));
    const keep = new Map(
      facts.flatMap((f) => (f.kind === 'keep' ? [[f.symbol, f.value] as const] : [])),
    );
    const values =
      pins.length === run.pins.length ? await firstValues() : await run.conf.resolve(pins);
    out.push({
      pins: pins.map((p) => `${p.symbol}=${p.value}`),
      chain: chainSteps(facts, where),
      confirmedByConf: !checkValues(run, values, { pins, forbid, keep }).ok,
    });
  }
  return {
    kind: 'unsatisfiable',
    cores: out,
    toolchainDependent: cores.some((c) => c.facts.some((f) => f.fact.kind === 'probe')),
  };
}

interface Wanted {
  pins: readonly Pin[];
  forbid: readonly Pin[];
  keep: ReadonlyMap<string, string>;
}

/** Do the pins hold, the forbidden values stay away, and kept symbols stay on? */
function checkValues(
  run: ArchRun,
  values: ConfigValues,
  want: Wanted,
): { ok: true } | { ok: false; why: string; symbol: string } {
  for (const p of want.pins) {
    const r = pinStatus(p, values, run.model);
    if (r.status !== 'holds')
      return { ok: false, why: `${p.symbol}=${r.effective} (${r.status})`, symbol: p.symbol };
  }
  for (const f of want.forbid) {
    if (sameValue(f.value, effectiveValue(values, f.symbol)))
      return { ok: false, why: `${f.symbol}=${f.value} (forbidden)`, symbol: f.symbol };
  }
  for (const [sym, v] of want.keep) {
    const now = effectiveValue(values, sym);
    if ((parseTriValue(now) ?? 0) < (parseTriValue(v) ?? 0))
      return { ok: false, why: `${sym} went from ${v} to ${now} (--keep-base)`, symbol: sym };
  }
  return { ok: true };
}

function pinRows(run: ArchRun, values: ConfigValues, extra: readonly Pin[]): SolvePinRow[] {
  const rows: SolvePinRow[] = [];
  for (const [origin, list] of [
    ['pin', run.pins],
    ['extra', extra],
  ] as const) {
    for (const p of list) {
      const r = pinStatus(p, values, run.model);
      rows.push({
        symbol: p.symbol,
        requested: p.value,
        effective: r.effective,
        status: r.status,
        origin,
      });
    }
  }
  for (const f of run.forbid) {
    const eff = effectiveValue(values, f.symbol);
    rows.push({
      symbol: f.symbol,
      requested: f.value,
      effective: eff,
      status: sameValue(f.value, eff) ? 'overridden' : 'holds',
      origin: 'forbid',
    });
  }
  return rows;
}

function changed(base: ConfigValues, now: ConfigValues): number {
  let n = 0;
  for (const k of new Set([...base.keys(), ...now.keys()])) {
    if (effectiveValue(base, k) !== effectiveValue(now, k)) n++;
  }
  return n;
}

function configCommand(req: SolveRequest, arch: Arch, extra: readonly Pin[]): string {
  const b = req.base;
  const words = [
    'kmatrix',
    'config',
    '--source',
    formatSourceSpec(req.tree.spec),
    '--arch',
    arch.name,
    '--base',
    b.kind === 'file' ? b.path : b.kind,
    ...(req.toolchain !== 'gcc' ? ['--toolchain', req.toolchain] : []),
    ...[...req.pins, ...extra].flatMap((p) => ['--set', `${p.symbol}=${p.value}`]),
  ];
  return words.map(shellQuote).join(' ');
}

function model(run: ArchRun, name: string): KSymbol | undefined {
  return run.model.symbol(name);
}

/** Symbols in the order their first definition appears in the menu tree. */
function menuOrder(model: KconfigModel): Map<KSymbol, number> {
  const out = new Map<KSymbol, number>();
  const walk = (n: KconfigModel['root']) => {
    if (n.sym && !out.has(n.sym)) out.set(n.sym, out.size);
    for (const c of n.children) walk(c);
  };
  walk(model.root);
  return out;
}
