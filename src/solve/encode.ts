// Kconfig -> CNF. Each symbol reached from the pins gets a tristate (Cnf.Tri) defined the way
// eval.ts (and scripts/kconfig/symbol.c) computes it from visibility, the user value, defaults,
// implies and selects; choices pick one member. The user values are the base .config's,
// except where an "extra pin" variable x_s lets the solver choose one. Every Kconfig fact
// (a depends-on term, a select, a missing definition...) is guarded by a literal: assumed
// true it holds, false it is relaxed to a free value, which is how unsat cores are found.
import type { Expr, KSymbol, MenuNode, Prop } from '../kconfig/index.js';
import type { KconfigModel } from '../kconfig/index.js';
import { andTerms, exprToString } from '../kconfig/expr.js';
import { Cnf, type Lit, type Tri } from './cnf.js';
import type { Fact } from './facts.js';
import { choicePick, type ChoiceMember } from './choice.js';

export interface PinLike {
  symbol: string;
  value: string;
}

export interface EncodeRequest {
  model: KconfigModel;
  /** Arch name, for "not defined for ARCH" facts. */
  arch: string;
  pins: readonly PinLike[];
  forbid?: readonly PinLike[];
  /**
   * --keep-base: symbols of the cone (only those: the cone is not widened for them) that
   * must stay at least at this value (y or m).
   */
  keep?: ReadonlyMap<string, string>;
  /**
   * conf's values for the base alone (default: `base`): toolchain probes and what the
   * encoding only approximates are read from here.
   */
  baseValues?: ReadonlyMap<string, string>;
  /** The base .config conf wrote: user values of the merge, toolchain probe values. */
  base: ReadonlyMap<string, string>;
  /** Symbol names in the base file's line order (a later choice member line wins). */
  baseOrder: readonly string[];
  /** More symbols to encode, without constraints (to read their values). */
  roots?: readonly string[];
}

/** A symbol the solver may pin: x says it is pinned, u is the pinned value. */
export interface ExtraVar {
  sym: KSymbol;
  x: Lit;
  u: Tri;
}

export interface GuardedFact {
  fact: Fact;
  lit: Lit;
}

export interface Encoding {
  cnf: Cnf;
  facts: GuardedFact[];
  extras: ExtraVar[];
  /**
   * Assumptions that keep values the encoding cannot compute (comparisons of int/hex/string
   * symbols, symbols that mix toolchain probes with real dependencies) at their base values.
   * Used while minimising, dropped for proofs.
   */
  soft: Lit[];
  /** The tristate of every bool/tristate symbol in the cone. */
  values: ReadonlyMap<KSymbol, Tri>;
  /**
   * Symbols on a recursive dependency (a cycle through their definitions; a choice's members
   * count as one). conf cuts such a cycle where its evaluation order happens to enter it,
   * which the formula does not model: a proof resting on them is not claimed.
   */
  unsure: ReadonlySet<string>;
}

interface UserValue {
  set: Lit;
  u: Tri;
}

const isTri = (s: KSymbol) => s.type === 'bool' || s.type === 'tristate';

export function parseTriValue(v: string | undefined): 0 | 1 | 2 | undefined {
  return v === 'y' ? 2 : v === 'm' ? 1 : v === 'n' ? 0 : undefined;
}

export function encode(req: EncodeRequest): Encoding {
  return new Encoder(req).run();
}

class Encoder {
  readonly cnf = new Cnf();
  private readonly model: KconfigModel;
  private readonly legacy: boolean;
  private readonly values = new Map<KSymbol, Tri>();
  private readonly users = new Map<KSymbol, UserValue>();
  private readonly queue: KSymbol[] = [];
  private readonly exprMemo = new Map<Expr, Tri>();
  private readonly nodeDeps = new Map<MenuNode, Tri>();
  private readonly depOwner = new Map<Expr, MenuNode>();
  private readonly selectors = new Map<KSymbol, Prop[]>();
  private readonly impliers = new Map<KSymbol, Prop[]>();
  private readonly pure = new Map<KSymbol, boolean>();
  private readonly pins: Map<string, string>;
  private readonly pinGuards = new Map<string, Lit>();
  private readonly facts: GuardedFact[] = [];
  private readonly extras: ExtraVar[] = [];
  private readonly soft: Lit[] = [];
  private readonly undefinedFacts = new Map<KSymbol, Tri>();
  private readonly choicesDone = new Set<KSymbol>();
  private readonly choiceGuards = new Map<KSymbol, Lit>();
  private readonly extraOf = new Map<KSymbol, ExtraVar>();
  private mod: Lit = -1;
  private defining: KSymbol | undefined;
  private readonly edges = new Map<KSymbol, Set<KSymbol>>();
  private readonly computedBase: ReadonlyMap<string, string>;

  constructor(private readonly req: EncodeRequest) {
    this.model = req.model;
    this.legacy = req.model.dialect === 'legacy';
    this.pins = new Map(req.pins.map((p) => [p.symbol, p.value]));
    this.computedBase = req.baseValues ?? req.base;
    indexDeps(this.model.root, this.depOwner);
    for (const s of this.model.symbols.values()) {
      for (const p of s.props) {
        if ((p.kind === 'select' || p.kind === 'imply') && p.expr?.k === 'sym') {
          const map = p.kind === 'select' ? this.selectors : this.impliers;
          const list = map.get(p.expr.sym) ?? [];
          list.push(p);
          map.set(p.expr.sym, list);
        }
      }
    }
  }

  run(): Encoding {
    const ms = this.model.modulesSym;
    this.mod = ms.isConst ? this.cnf.F : this.value(ms).b;
    for (const p of this.req.pins) this.constrain(p, 'pin');
    for (const p of this.req.forbid ?? []) this.constrain(p, 'forbid');
    for (const name of this.req.roots ?? []) {
      const sym = this.model.symbols.get(name);
      if (sym && isTri(sym)) this.value(sym);
    }
    while (this.queue.length > 0) this.define(this.queue.pop()!);
    const keep = this.req.keep;
    if (keep) {
      for (const sym of [...this.values.keys()]) {
        const v = keep.get(sym.name);
        if (v !== undefined && !this.pins.has(sym.name))
          this.constrain({ symbol: sym.name, value: v }, 'keep');
      }
    }
    this.defining = undefined;
    return {
      cnf: this.cnf,
      facts: this.facts,
      extras: this.extras,
      soft: this.soft,
      values: this.values,
      unsure: recursive(this.edges),
    };
  }

  // ---- facts

  /** A fresh guard literal for a fact. */
  private guard(fact: Fact): Lit {
    const lit = this.cnf.newVar();
    this.facts.push({ fact, lit });
    return lit;
  }

  /** `t` while the fact holds, a free value when it is relaxed. */
  private relax(fact: Fact, t: Tri, bool = false): Tri {
    return this.cnf.triGuarded(this.guard(fact), t, bool);
  }

  private constrain(p: PinLike, kind: 'pin' | 'forbid' | 'keep'): void {
    const sym = this.model.symbols.get(p.symbol);
    const lit = this.guard({ kind, symbol: p.symbol, value: p.value });
    if (kind === 'pin') this.pinGuards.set(p.symbol, lit);
    if (!sym || !isTri(sym)) {
      // int/hex/string pins are checked by conf only; undefined ones are caught before encoding
      if (sym && sym.type !== 'unknown') this.value(sym);
      return;
    }
    const v = this.value(sym);
    const want = parseTriValue(p.value);
    if (want === undefined) return;
    const c = this.cnf;
    let holds: Lit;
    if (kind === 'keep') holds = want === 2 ? v.b : v.a;
    else holds = want === 2 ? v.b : want === 1 ? c.and(v.a, -v.b) : -v.a;
    c.add([-lit, kind === 'forbid' ? -holds : holds]);
  }

  // ---- symbols

  /** The symbol's tristate variable, queued for definition on first use. */
  private value(sym: KSymbol): Tri {
    if (this.defining) this.edges.get(this.defining)?.add(sym);
    let v = this.values.get(sym);
    if (v) return v;
    v = this.cnf.triVar(sym.type === 'bool');
    this.values.set(sym, v);
    this.queue.push(sym);
    return v;
  }

  private define(sym: KSymbol): void {
    // what each symbol's definition reads, for recursive dependencies (see unsure)
    const owner = sym.choice ?? sym;
    this.defining = owner;
    if (!this.edges.has(owner)) this.edges.set(owner, new Set());
    if (sym.choice) return this.defineChoice(sym.choice);
    const v = this.values.get(sym)!;
    if (sym.isChoice) {
      // 6.11+ choice symbols have no value of their own that anything reads
      if (this.legacy) this.cnf.triEqual(v, this.legacyChoiceSymbol(sym));
      return this.defineChoice(sym);
    }
    let computed = this.computed(sym);
    if (this.isPureProbe(sym)) {
      const base = parseTriValue(this.computedBase.get(sym.name)) ?? 0;
      const fixed = base === 2 ? this.cnf.y : base === 1 ? this.cnf.m : this.cnf.n;
      const fact: Fact = {
        kind: 'probe',
        symbol: sym.name,
        value: ['n', 'm', 'y'][base]!,
        loc: sym.nodes[0]?.loc,
      };
      const g = this.guard(fact);
      computed = this.cnf.triIte(g, fixed, computed);
    } else if (sym.dependsOnOpaque) {
      this.softKeep(sym, v);
    }
    this.cnf.triEqual(v, computed);
  }

  /** sym_calc_value for a symbol outside a choice (and 6.1 choice symbols). */
  private computed(sym: KSymbol): Tri {
    const c = this.cnf;
    const typeBool = this.typeBool(sym);
    const vis = this.visibility(sym);
    const user = this.user(sym);
    const useUser = c.and(vis.a, user.set);
    const fromUser = c.triAnd(user.u, vis);
    let dflt = this.defaults(sym);
    const implied = this.reverse(sym, 'imply');
    if (implied.a !== c.F) {
      const dep = this.boolish(this.expr(sym.dirDep), typeBool);
      dflt = c.triIte(implied.a, c.triAnd(c.triOr(dflt, implied), dep), dflt);
    }
    let v = c.triOr(c.triIte(useUser, fromUser, dflt), this.reverse(sym, 'select'));
    v = this.boolish(v, typeBool);
    return v;
  }

  /** m becomes y for bool symbols, and for tristates while MODULES=n. */
  private boolish(t: Tri, typeBool: Lit): Tri {
    return { a: t.a, b: this.cnf.or(t.b, this.cnf.and(t.a, typeBool)) };
  }

  private typeBool(sym: KSymbol): Lit {
    return sym.type === 'tristate' ? -this.mod : this.cnf.T;
  }

  private visibility(sym: KSymbol, hideM?: Lit): Tri {
    const c = this.cnf;
    if (sym.transitional) return c.y;
    const prompts = sym.props.filter((p) => p.kind === 'prompt');
    let vis: Tri = c.n;
    for (const p of prompts) {
      let v = this.promptVisible(sym, p);
      // 6.1: a tristate choice value with visibility m is hidden while its choice is y
      if (hideM !== undefined) v = { a: c.and(v.a, -c.and(-v.b, hideM)), b: v.b };
      vis = c.triOr(vis, v);
    }
    if (prompts.length === 0) {
      // relaxed: as if it had a prompt on each definition, visible within its dependencies
      const g = this.guard({ kind: 'no-prompt', symbol: sym.name, loc: sym.nodes[0]?.loc });
      const asIf = sym.nodes.reduce<Tri>((acc, n) => c.triOr(acc, this.nodeDep(n)), c.n);
      vis = c.triAnd({ a: -g, b: -g }, asIf);
    }
    return this.boolish(vis, this.typeBool(sym));
  }

  private promptVisible(sym: KSymbol, p: Prop): Tri {
    const node = p.node;
    const dep = this.nodeDep(node);
    const own = ownPart(p.visible, node.dep);
    if (!own) return dep;
    const cond = this.relax(
      { kind: 'prompt-if', symbol: sym.name, expr: exprToString(own), loc: p.loc },
      this.expr(own),
    );
    return this.cnf.triAnd(dep, cond);
  }

  /**
   * The first default whose condition holds, as eval.ts's defaultProp. Relaxing a default
   * frees its value and `if`, not the entry's dependencies (those are facts of their own).
   */
  private defaults(sym: KSymbol): Tri {
    const c = this.cnf;
    let acc: Tri = c.n;
    const props = sym.props.filter((p) => p.kind === 'default');
    for (const p of props.reverse()) {
      const own = ownPart(p.visible, p.node.dep);
      const fact: Fact = {
        kind: 'default',
        symbol: sym.name,
        expr: exprToString(p.expr),
        cond: own ? exprToString(own) : undefined,
        loc: p.loc,
      };
      const g = this.guard(fact);
      const ownCond = own ? this.expr(own) : c.y;
      const cond = c.triAnd(this.nodeDep(p.node), c.triGuarded(g, ownCond, false));
      const val = c.triAnd(c.triGuarded(g, this.expr(p.expr), false), cond);
      acc = c.triIte(cond.a, val, acc);
    }
    return acc;
  }

  /** rev_dep (selects) or implied (implies): OR of selector && condition. */
  private reverse(sym: KSymbol, kind: 'select' | 'imply'): Tri {
    const c = this.cnf;
    let acc: Tri = c.n;
    for (const p of (kind === 'select' ? this.selectors : this.impliers).get(sym) ?? []) {
      const from = p.node.sym!;
      const own = ownPart(p.visible, p.node.dep);
      const term = c.triAnd(this.value(from), this.expr(p.visible));
      const fact: Fact = {
        kind,
        from: from.name,
        symbol: sym.name,
        cond: own ? exprToString(own) : undefined,
        loc: p.loc,
      };
      acc = c.triOr(acc, this.relax(fact, term));
    }
    return this.boolish(acc, this.typeBool(sym));
  }

  /** The user value conf reads for a symbol: a pin, the base, or an extra pin (x). */
  private user(sym: KSymbol): UserValue {
    let uv = this.users.get(sym);
    if (uv) return uv;
    const c = this.cnf;
    const bool = sym.type !== 'tristate';
    const pinned = this.pins.get(sym.name);
    const fixed = (t: 0 | 1 | 2 | undefined): UserValue => {
      // conf_set_sym_val refuses m for a bool: no user value at all
      if (t === undefined || (t === 1 && bool)) return { set: c.F, u: c.n };
      return { set: c.T, u: t === 2 ? c.y : t === 1 ? c.m : c.n };
    };
    if (pinned !== undefined) {
      // a relaxed pin is a value the user did not ask for: anything
      const g = this.pinGuards.get(sym.name) ?? c.T;
      const p = fixed(parseTriValue(pinned));
      uv = { set: c.guarded(g, p.set), u: c.triGuarded(g, p.u, bool) };
    } else if (!sym.props.some((p) => p.kind === 'prompt')) {
      uv = { set: c.newVar(), u: c.triVar(bool) };
    } else {
      const base = fixed(parseTriValue(this.req.base.get(sym.name)));
      const x = c.newVar();
      const free = c.triVar(bool);
      // an extra pin sets a value, and a different one from the base
      c.add([-x, -c.and(base.set, c.triEq(free, base.u))]);
      uv = { set: c.or(x, base.set), u: c.triIte(x, free, base.u) };
      const extra = { sym, x, u: free };
      this.extras.push(extra);
      this.extraOf.set(sym, extra);
    }
    this.users.set(sym, uv);
    return uv;
  }

  /** While minimising, keep a value the encoding only approximates at its base value. */
  private softKeep(sym: KSymbol, v: Tri): void {
    const base = parseTriValue(this.computedBase.get(sym.name)) ?? 0;
    const s = this.cnf.newVar();
    const eq = this.cnf.triEq(v, base === 2 ? this.cnf.y : base === 1 ? this.cnf.m : this.cnf.n);
    this.cnf.add([-s, eq]);
    this.soft.push(s);
  }

  /** Promptless, not in a choice, and decided only by toolchain macros and other such symbols. */
  private isPureProbe(sym: KSymbol): boolean {
    const known = this.pure.get(sym);
    if (known !== undefined) return known;
    this.pure.set(sym, false);
    let ok =
      sym.dependsOnOpaque &&
      !sym.choice &&
      !sym.isChoice &&
      !sym.props.some((p) => p.kind === 'prompt') &&
      (this.selectors.get(sym) ?? []).length === 0 &&
      (this.impliers.get(sym) ?? []).length === 0;
    if (ok) {
      const refs = new Set<KSymbol>();
      collect(sym.dirDep, refs);
      for (const p of sym.props) {
        collect(p.expr, refs);
        collect(p.expr2, refs);
        collect(p.visible, refs);
      }
      for (const r of refs) if (!r.isConst && !this.isPureProbe(r)) ok = false;
    }
    this.pure.set(sym, ok);
    return ok;
  }

  // ---- choices

  private defineChoice(choice: KSymbol): void {
    if (this.choicesDone.has(choice)) return;
    this.choicesDone.add(choice);
    if (this.legacy) {
      // the choice symbol is a symbol of its own, defined through define()
      this.value(choice);
      this.legacyMembers(choice);
    } else {
      this.membersDialect(choice);
    }
  }

  private choiceGuard(choice: KSymbol): Lit {
    let g = this.choiceGuards.get(choice);
    if (g === undefined) {
      g = this.choiceFact(choice);
      this.choiceGuards.set(choice, g);
    }
    return g;
  }

  private choiceFact(choice: KSymbol): Lit {
    return this.guard({
      kind: 'choice',
      symbol: choice.name === '<choice>' ? `choice at ${locText(choice)}` : choice.name,
      members: choice.members.map((m) => m.name),
      loc: choice.nodes[0]?.loc,
    });
  }

  private members(choice: KSymbol, vis: (m: KSymbol) => Tri): ChoiceMember[] {
    const order = new Map<string, number>();
    this.req.baseOrder.forEach((n, i) => order.set(n, i));
    const pinOrder = new Map(this.req.pins.map((p, i) => [p.symbol, i]));
    return choice.members.map((m, i) => {
      const user = this.user(m);
      const extra = this.extraOf.get(m);
      const p = pinOrder.get(m.name);
      const rank = p !== undefined ? 1e9 + p : (order.get(m.name) ?? -1);
      return { sym: m, index: i, vis: vis(m), user, x: extra?.x ?? this.cnf.F, rank };
    });
  }

  /** 6.11+: the members pick one of themselves (symbol.c sym_calc_choice). */
  private membersDialect(choice: KSymbol): void {
    const c = this.cnf;
    const members = this.members(choice, (m) => this.visibility(m));
    const dflt = this.choiceDefaultTarget(choice, members);
    const picked = choicePick(c, members, dflt, 'members');
    const g = this.choiceGuard(choice);
    members.forEach((m, i) => {
      const v: Tri = { a: c.and(m.vis.a, picked[i]!), b: c.and(m.vis.a, picked[i]!) };
      c.triEqual(this.value(m.sym), c.triGuarded(g, v, m.sym.type === 'bool'));
    });
  }

  /** 6.1: members are visible below their choice symbol; one is y while the choice is y. */
  private legacyMembers(choice: KSymbol): void {
    const c = this.cnf;
    const cv = this.value(choice);
    const members = this.members(choice, (m) =>
      this.visibility(m, m.type === 'tristate' ? cv.b : undefined),
    );
    const dflt = this.choiceDefaultTarget(choice, members);
    const picked = choicePick(c, members, dflt, 'legacy');
    const g = this.choiceGuard(choice);
    for (const [i, m] of members.entries()) {
      const visY = m.vis.b;
      const sel = c.and(cv.b, picked[i]!);
      const chosen: Tri = { a: sel, b: sel };
      // below y visibility: the ordinary path (user value, defaults; no selects for members)
      const typeBool = this.typeBool(m.sym);
      const useUser = c.and(m.vis.a, m.user.set);
      const other = this.boolish(
        c.triIte(useUser, c.triAnd(m.user.u, m.vis), this.defaults(m.sym)),
        typeBool,
      );
      const v = c.triIte(visY, chosen, other);
      c.triEqual(this.value(m.sym), c.triGuarded(g, v, m.sym.type === 'bool'));
    }
  }

  /** The 6.1 choice symbol: its user value is the OR of its members', and the m select. */
  private legacyChoiceSymbol(choice: KSymbol): Tri {
    const c = this.cnf;
    let user: Tri = c.n;
    for (const m of choice.members) {
      const u = this.user(m);
      user = c.triOr(user, c.triAnd(u.u, { a: u.set, b: u.set }));
    }
    const vis = this.visibility(choice);
    let v = c.triOr(c.triIte(vis.a, c.triAnd(user, vis), c.n), this.reverse(choice, 'select'));
    if (!choice.optional) {
      for (const n of choice.nodes)
        if (n.prompt) v = c.triOr(v, c.triAnd(this.expr(n.prompt.visible), c.m));
    }
    const g = this.choiceGuard(choice);
    return c.triGuarded(g, this.boolish(v, this.typeBool(choice)), choice.type === 'bool');
  }

  /** eval.ts choiceDefault: the first default whose target is visible, else the first visible. */
  private choiceDefaultTarget(choice: KSymbol, members: ChoiceMember[]): Lit[] {
    const c = this.cnf;
    const out = members.map(() => c.F);
    let taken: Lit = c.F;
    for (const p of choice.props) {
      const target = p.kind === 'default' && p.expr?.k === 'sym' ? p.expr.sym : undefined;
      const i = members.findIndex((m) => m.sym === target);
      if (i < 0) continue;
      const here = c.and(c.and(this.expr(p.visible).a, members[i]!.vis.a), -taken);
      out[i] = c.or(out[i]!, here);
      taken = c.or(taken, here);
    }
    for (const [i, m] of members.entries()) {
      const here = c.and(m.vis.a, -taken);
      out[i] = c.or(out[i]!, here);
      taken = c.or(taken, here);
    }
    return out;
  }

  // ---- expressions

  private expr(e: Expr | undefined): Tri {
    if (!e) return this.cnf.y;
    const memo = this.exprMemo.get(e);
    if (memo) return memo;
    const owner = this.depOwner.get(e);
    const t = owner ? this.nodeDep(owner) : this.exprRaw(e);
    this.exprMemo.set(e, t);
    return t;
  }

  private exprRaw(e: Expr): Tri {
    const c = this.cnf;
    switch (e.k) {
      case 'sym':
        return this.symTri(e.sym);
      case 'not':
        return c.triNot(this.expr(e.e));
      case 'and':
        return c.triAnd(this.expr(e.l), this.expr(e.r));
      case 'or':
        return c.triOr(this.expr(e.l), this.expr(e.r));
      case 'cmp':
        return this.compare(e);
    }
  }

  private symTri(s: KSymbol): Tri {
    const c = this.cnf;
    if (s.isConst) {
      if (s.opaque) return this.atom(s);
      return s.name === 'y' ? c.y : s.name === 'm' ? c.m : c.n;
    }
    if (s.type === 'unknown') return this.undefinedSym(s);
    if (!isTri(s)) return c.n;
    return this.value(s);
  }

  /** An opaque macro value: free (the toolchain decides it). */
  private atom(s: KSymbol): Tri {
    let t = this.values.get(s);
    if (!t) {
      t = this.cnf.triVar(false);
      this.values.set(s, t);
    }
    return t;
  }

  private undefinedSym(s: KSymbol): Tri {
    let t = this.undefinedFacts.get(s);
    if (!t) {
      t = this.relax({ kind: 'undefined', symbol: s.name, arch: this.req.arch }, this.cnf.n);
      this.undefinedFacts.set(s, t);
    }
    return t;
  }

  private compare(e: Extract<Expr, { k: 'cmp' }>): Tri {
    const c = this.cnf;
    const triSide = (s: KSymbol) =>
      (s.isConst && !s.opaque && ['y', 'm', 'n'].includes(s.name)) ||
      (!s.isConst && isTri(s) && s.type !== 'unknown');
    if (triSide(e.l) && triSide(e.r)) {
      const l = this.symTri(e.l);
      const r = this.symTri(e.r);
      let lit: Lit;
      switch (e.op) {
        case '=':
          lit = c.triEq(l, r);
          break;
        case '!=':
          lit = -c.triEq(l, r);
          break;
        case '<':
          lit = c.triLess(l, r);
          break;
        case '>':
          lit = c.triLess(r, l);
          break;
        case '<=':
          lit = -c.triLess(r, l);
          break;
        case '>=':
          lit = -c.triLess(l, r);
          break;
      }
      return { a: lit, b: lit };
    }
    // two constants ("$(ARCH)" = "x86" once expanded, 64 > 32): known
    const fixed = (x: KSymbol) => (x.isConst && !x.opaque) || (!x.isConst && x.type === 'unknown');
    if (fixed(e.l) && fixed(e.r)) {
      const v = compareTexts(e.op, e.l.name, e.r.name) ? c.T : c.F;
      return { a: v, b: v };
    }
    // int/hex/string comparisons: free in proofs, their base value while minimising
    const lit = c.newVar();
    const base = this.baseCompare(e);
    if (base !== undefined) {
      const s = c.newVar();
      c.add([-s, base ? lit : -lit]);
      this.soft.push(s);
    }
    return { a: lit, b: lit };
  }

  /** A comparison's value in the base .config, when both sides are known there. */
  private baseCompare(e: Extract<Expr, { k: 'cmp' }>): boolean | undefined {
    const text = (s: KSymbol): string | undefined => {
      if (s.opaque) return undefined;
      // numbers are parsed as (undefined) symbols: their text is their name
      if (s.isConst || s.type === 'unknown') return s.name;
      const v = this.computedBase.get(s.name);
      if (v === undefined) return isTri(s) ? 'n' : undefined;
      return v.startsWith('"') ? v.slice(1, -1) : v;
    };
    const l = text(e.l);
    const r = text(e.r);
    if (l === undefined || r === undefined) return undefined;
    return compareTexts(e.op, l, r);
  }

  /**
   * A menu node's full dependency: its parent's (shared) and the `&&` terms of its own, each
   * a relaxable fact with the file:line of the `depends on`/`if` that wrote it.
   */
  private nodeDep(node: MenuNode): Tri {
    const memo = this.nodeDeps.get(node);
    if (memo) return memo;
    const c = this.cnf;
    const parent = node.parent;
    let inherited: Tri = c.y;
    let own: Expr | undefined = node.dep;
    const pdep = parent?.dep;
    if (node.dep && this.legacy && parent?.kind === 'choice' && parent.sym) {
      const cs = parent.sym;
      const isChoiceSym = (e: Expr) => e.k === 'sym' && e.sym === cs;
      if (isChoiceSym(node.dep)) {
        inherited = this.value(cs);
        own = undefined;
      } else if (node.dep.k === 'and' && isChoiceSym(node.dep.l)) {
        inherited = this.value(cs);
        own = node.dep.r;
      }
    } else if (parent && pdep && node.dep === pdep) {
      inherited = this.nodeDep(parent);
      own = undefined;
    } else if (parent && pdep && node.dep?.k === 'and' && node.dep.l === pdep) {
      inherited = this.nodeDep(parent);
      own = node.dep.r;
    }
    let t = inherited;
    const via = nodeVia(node);
    const owner =
      node.sym && node.sym.name !== '<choice>'
        ? node.sym.name
        : node.kind === 'menu'
          ? (node.prompt?.text ?? '')
          : `at ${node.loc.file}:${node.loc.line}`;
    for (const term of andTerms(own)) {
      const site = node.depSites.find((d) => andTerms(d.expr).some((x) => sameModM(x, term)));
      const refs = new Set<KSymbol>();
      collect(term, refs);
      const fact: Fact = {
        kind: 'depends',
        symbol: owner,
        expr: exprToString(term),
        refs: [...refs].filter((r) => !r.isConst).map((r) => r.name),
        via,
        loc: site?.loc ?? node.loc,
      };
      t = c.triAnd(t, this.relax(fact, this.exprRaw(term)));
    }
    this.nodeDeps.set(node, t);
    return t;
  }
}

/** expr.c's comparison of two values: as numbers when both are, else as strings. */
function compareTexts(op: Extract<Expr, { k: 'cmp' }>['op'], l: string, r: string): boolean {
  const num = (x: string) => {
    const m = /^(-?)(0x[0-9a-f]+|\d+)$/i.exec(x);
    return m ? (m[1] ? -1n : 1n) * BigInt(m[2]!) : undefined;
  };
  const nl = num(l);
  const nr = num(r);
  const both = nl !== undefined && nr !== undefined;
  const cmp = both ? (nl < nr ? -1 : nl > nr ? 1 : 0) : l < r ? -1 : l > r ? 1 : 0;
  switch (op) {
    case '=':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
  }
}

/** Members of non-trivial strongly connected components (Tarjan, iterative). */
function recursive(edges: ReadonlyMap<KSymbol, ReadonlySet<KSymbol>>): Set<string> {
  const index = new Map<KSymbol, number>();
  const low = new Map<KSymbol, number>();
  const onStack = new Set<KSymbol>();
  const stack: KSymbol[] = [];
  const out = new Set<string>();
  const node = (s: KSymbol) => s.choice ?? s;
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    const work: { v: KSymbol; it: Iterator<KSymbol> }[] = [];
    const open = (v: KSymbol) => {
      index.set(v, index.size);
      low.set(v, index.get(v)!);
      stack.push(v);
      onStack.add(v);
      work.push({ v, it: (edges.get(v) ?? new Set()).values() });
    };
    open(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const next = top.it.next();
      if (!next.done) {
        const w = node(next.value);
        if (!edges.has(w)) continue;
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(top.v)!));
      if (low.get(top.v) !== index.get(top.v)) continue;
      const scc: KSymbol[] = [];
      for (;;) {
        const w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
        if (w === top.v) break;
      }
      // a choice reading its own value (6.1: members below the choice symbol) is no cycle
      const selfLoop = !top.v.isChoice && (edges.get(top.v)?.has(top.v) ?? false);
      if (scc.length > 1 || selfLoop)
        for (const w of scc) {
          out.add(w.name);
          for (const m of w.members) out.add(m.name);
        }
    }
  }
  return out;
}

function nodeVia(node: MenuNode): 'depends' | 'if' | 'menu' | 'choice' {
  switch (node.kind) {
    case 'if':
      return 'if';
    case 'menu':
      return 'menu';
    case 'choice':
      return 'choice';
    default:
      return 'depends';
  }
}

function locText(sym: KSymbol): string {
  const l = sym.nodes[0]?.loc;
  return l ? `${l.file}:${l.line}` : '?';
}

/** The part of `full` that `inherited` does not cover (`full` is andExpr(inherited, own)). */
function ownPart(full: Expr | undefined, inherited: Expr | undefined): Expr | undefined {
  if (!full || full === inherited) return undefined;
  if (inherited && full.k === 'and' && full.l === inherited) return full.r;
  return full;
}

/** Map each node's dependency expression to the node (top-down: shared ones to the parent). */
function indexDeps(node: MenuNode, out: Map<Expr, MenuNode>): void {
  if (node.dep && !out.has(node.dep)) out.set(node.dep, node);
  for (const c of node.children) indexDeps(c, out);
}

function collect(e: Expr | undefined, out: Set<KSymbol>): void {
  if (!e) return;
  switch (e.k) {
    case 'sym':
      out.add(e.sym);
      return;
    case 'not':
      return collect(e.e, out);
    case 'and':
    case 'or':
      collect(e.l, out);
      collect(e.r, out);
      return;
    case 'cmp':
      out.add(e.l);
      out.add(e.r);
  }
}

/** Structural equality, where finalize's `m && MODULES` equals the parsed `m`. */
function sameModM(a: Expr, b: Expr): boolean {
  const strip = (e: Expr): Expr =>
    e.k === 'and' && e.l.k === 'sym' && e.l.sym.name === 'm' && e.l.sym.isConst ? e.l : e;
  a = strip(a);
  b = strip(b);
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'sym':
      return a.sym === (b as typeof a).sym;
    case 'not':
      return sameModM(a.e, (b as typeof a).e);
    case 'and':
    case 'or':
      return sameModM(a.l, (b as typeof a).l) && sameModM(a.r, (b as typeof a).r);
    case 'cmp': {
      const o = b as typeof a;
      return a.op === o.op && a.l === o.l && a.r === o.r;
    }
  }
}
