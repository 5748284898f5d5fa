// The smallest config for a kismet report that came without one: allnoconfig plus the pins
// that turn SELECTOR on (with the select's own `if`) and SELECTEE's `depends on` off. kismet
// finds such a config with a SAT solver; here the Kconfig model is walked greedily (the
// cheapest alternative of each `||` or falsified `&&`) and conf, run by the caller, has the
// last word. Pure.
import type { Pin } from '../config/pin.js';
import type { Expr, KSymbol, Prop } from '../kconfig/ast.js';
import type { KconfigModel } from '../kconfig/model.js';

export interface KismetConfig {
  /** For allnoconfig through KCONFIG_ALLCONFIG. */
  pins: Pin[];
  /** What could not be arranged (the config is still tried: conf decides). */
  notes: string[];
}

const MAX_DEPTH = 12;
const ORIGIN = 'kismet smallest config';

export function kismetConfig(
  model: KconfigModel,
  selectee: string,
  selector: string,
): KismetConfig {
  const notes: string[] = [];
  const target = model.symbol(selectee);
  const by = model.symbol(selector);
  if (!target || !by) {
    for (const [name, s] of [
      [selectee, target],
      [selector, by],
    ] as const)
      if (!s) notes.push(`${name} is not defined in this arch's Kconfig`);
    return { pins: [], notes };
  }
  const c = new Chooser(model);
  const select = by.props.find(
    (p) => p.kind === 'select' && p.expr?.k === 'sym' && p.expr.sym === target,
  );
  if (!select) notes.push(`${selector} has no "select ${selectee}" in this tree`);
  if (!c.enable(by, 0)) notes.push(`found no way to turn ${selector} on from allnoconfig`);
  if (select?.cond && !c.satisfy(select.cond, 0))
    notes.push(`found no way to meet the select's condition`);
  if (target.dirDep && !c.falsify(target.dirDep, 0))
    notes.push(`found no way to leave ${selectee}'s dependencies unmet`);
  else if (!target.dirDep) notes.push(`${selectee} has no "depends on": conf cannot warn about it`);
  return { pins: c.pins(), notes };
}

/** Defaults that can give a value above n ("default y", "def_bool y if X", "default OTHER"). */
function onDefaults(sym: KSymbol): Prop[] {
  return sym.props.filter(
    (p) => p.kind === 'default' && p.expr && !(p.expr.k === 'sym' && p.expr.sym.name === 'n'),
  );
}

/** Chosen values, built up by enable/satisfy/falsify; alternatives are tried on copies. */
class Chooser {
  private want = new Map<string, 'y' | 'n'>();
  private readonly selectsOf = new Map<KSymbol, Prop[]>();

  constructor(private readonly model: KconfigModel) {
    for (const s of model.symbols.values())
      for (const p of s.props)
        if (p.kind === 'select' && p.expr?.k === 'sym') {
          const list = this.selectsOf.get(p.expr.sym) ?? [];
          list.push(p);
          this.selectsOf.set(p.expr.sym, list);
        }
  }

  pins(): Pin[] {
    return [...this.want].map(([symbol, value]) => ({ symbol, value, origin: ORIGIN }));
  }

  /** Run each alternative on a copy and keep the one that needs the fewest pins. */
  private cheapest(alternatives: (() => boolean)[]): boolean {
    const start = this.want;
    let best: Map<string, 'y' | 'n'> | undefined;
    for (const alt of alternatives) {
      this.want = new Map(start);
      if (alt() && (!best || this.want.size < best.size)) best = this.want;
    }
    this.want = best ?? start;
    return best !== undefined;
  }

  enable(sym: KSymbol, depth: number): boolean {
    if (sym.isConst) return sym.name !== 'n';
    if (sym.isChoice) return this.satisfy(sym.nodes[0]?.prompt?.visible, depth + 1);
    const now = this.want.get(sym.name);
    if (now) return now === 'y';
    if (depth > MAX_DEPTH || !this.model.isDefined(sym.name)) return false;
    const prompt = sym.props.find((p) => p.kind === 'prompt');
    const ways: (() => boolean)[] = [];
    if (prompt)
      ways.push(() => {
        this.want.set(sym.name, 'y');
        return this.satisfy(prompt.visible, depth + 1);
      });
    // allnoconfig answers n to every visible prompt: defaults count only without one
    if (!prompt)
      for (const d of onDefaults(sym))
        ways.push(
          () =>
            this.satisfy(d.expr, depth + 1) &&
            this.satisfy(d.visible, depth + 1) &&
            this.satisfy(sym.dirDep, depth + 1),
        );
    for (const s of this.selectsOf.get(sym) ?? [])
      ways.push(() => this.enable(s.node.sym!, depth + 1) && this.satisfy(s.visible, depth + 1));
    return this.cheapest(ways);
  }

  /** Off: a prompt is left at allnoconfig's n; a symbol without one needs its dependencies off. */
  private disable(sym: KSymbol, depth: number): boolean {
    if (sym.isConst) return sym.name === 'n';
    const now = this.want.get(sym.name);
    if (now) return now === 'n';
    if (!this.model.isDefined(sym.name)) return true;
    if ((this.selectsOf.get(sym) ?? []).some((p) => this.want.get(p.node.sym!.name) === 'y'))
      return false;
    if (sym.props.some((p) => p.kind === 'prompt')) {
      this.want.set(sym.name, 'n');
      return true;
    }
    // every default that could turn it on must be off (d.visible holds its `depends on` too)
    return onDefaults(sym).every((d) => this.falsify(d.visible, depth + 1));
  }

  satisfy(e: Expr | undefined, depth: number): boolean {
    if (!e) return true;
    switch (e.k) {
      case 'sym':
        return this.enable(e.sym, depth);
      case 'not':
        return this.falsify(e.e, depth);
      case 'and':
        return this.satisfy(e.l, depth) && this.satisfy(e.r, depth);
      case 'or':
        return this.cheapest([() => this.satisfy(e.l, depth), () => this.satisfy(e.r, depth)]);
      case 'cmp':
        return true; // numbers and strings: left to conf
    }
  }

  falsify(e: Expr | undefined, depth: number): boolean {
    if (!e) return false;
    switch (e.k) {
      case 'sym':
        return this.disable(e.sym, depth);
      case 'not':
        return this.satisfy(e.e, depth);
      case 'and':
        return this.cheapest([() => this.falsify(e.l, depth), () => this.falsify(e.r, depth)]);
      case 'or':
        return this.falsify(e.l, depth) && this.falsify(e.r, depth);
      case 'cmp':
        return false;
    }
  }
}
