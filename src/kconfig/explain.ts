// Why a pinned symbol did not come out as asked: a tree of causes (selects, implies,
// defaults, dependencies, missing arch capabilities), each with its Kconfig file:line.
import { unreachable } from '../core/errors.js';
import type { Expr, KSymbol, Location, Prop, Tristate } from './ast.js';
import { Evaluator, parseTri, triText, type ConfigValues } from './eval.js';
import { andTerms, exprToString, orTerms } from './expr.js';
import type { DefinitionSite } from './load.js';
import type { KconfigModel } from './model.js';

export type PinStatus = 'holds' | 'overridden' | 'dropped' | 'unavailable';

export interface PinQuery {
  symbol: string;
  requested: string;
  effective: string;
  status: PinStatus;
}

export type Reason =
  | { kind: 'holds'; requested: string }
  | { kind: 'overridden'; requested: string }
  | { kind: 'dropped'; requested: string }
  | { kind: 'unavailable'; requested: string }
  | { kind: 'pinned'; requested: string }
  | { kind: 'selects'; target: string; condition: string | undefined }
  | { kind: 'implies'; target: string; condition: string | undefined }
  | { kind: 'default'; expr: string; condition: string | undefined }
  | { kind: 'set-in-config' }
  | { kind: 'not-settable'; why: 'no-prompt' | 'prompt-hidden'; condition: string | undefined }
  | { kind: 'depends-on'; expr: string; terms: { text: string; value: string }[] }
  | { kind: 'nothing-selects'; capability: boolean; selectors: string[] }
  | { kind: 'undefined-here' }
  | { kind: 'comparison'; expr: string }
  | { kind: 'choice'; choice: string; selected: string | undefined }
  | { kind: 'toolchain-probe' }
  | { kind: 'modules-disabled' }
  | { kind: 'bool-type' }
  | { kind: 'defined-at'; arch: string | undefined }
  | { kind: 'defined-nowhere' }
  | { kind: 'seen-above' }
  | { kind: 'value' }
  /** conf's "unmet direct dependencies detected": a select forces a symbol its depends on forbids. */
  | { kind: 'unmet-select'; state: 'unmet' | 'met' | 'not-selected' };

export interface ExplanationNode {
  symbol: string;
  value: string;
  reason: Reason;
  location: Location | undefined;
  children: ExplanationNode[];
}

const MAX_DEPTH = 8;
const MAX_OR_TERMS = 6;

/**
 * Explain a pin's outcome. `elsewhere` lists definition sites from
 * findDefinitionsAllArches, for `unavailable` pins (explainPinInTree fills it in).
 */
export function explainPin(
  model: KconfigModel,
  values: ConfigValues,
  pin: PinQuery,
  pins: ReadonlyMap<string, string>,
  elsewhere: readonly DefinitionSite[] = [],
): ExplanationNode {
  return new Explainer(model, new Evaluator(model, values), pins).explain(pin, elsewhere);
}

/**
 * Why conf warns "unmet direct dependencies detected for SYMBOL": the active selects that force
 * it on (each followed to why its selector is on) and its `depends on`, each unmet term
 * followed to its root cause; `state` says whether the warning holds in `values` at all.
 */
export function explainUnmetSelect(
  model: KconfigModel,
  values: ConfigValues,
  symbol: string,
): ExplanationNode {
  return new Explainer(model, new Evaluator(model, values), new Map()).unmetSelect(symbol);
}

class Explainer {
  private readonly selectors = new Map<KSymbol, Prop[]>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly model: KconfigModel,
    private readonly ev: Evaluator,
    private readonly pins: ReadonlyMap<string, string>,
  ) {
    for (const s of model.symbols.values()) {
      for (const p of s.props) {
        if ((p.kind === 'select' || p.kind === 'imply') && p.expr?.k === 'sym') {
          const list = this.selectors.get(p.expr.sym) ?? [];
          list.push(p);
          this.selectors.set(p.expr.sym, list);
        }
      }
    }
  }

  explain(pin: PinQuery, elsewhere: readonly DefinitionSite[]): ExplanationNode {
    const sym = this.model.symbol(pin.symbol);
    const loc = sym?.nodes[0]?.loc;
    const value = sym ? this.ev.text(sym) : pin.effective;
    this.seen.add(pin.symbol);
    switch (pin.status) {
      case 'holds':
        return node(pin.symbol, value, { kind: 'holds', requested: pin.requested }, loc, []);
      case 'unavailable': {
        const children: ExplanationNode[] = elsewhere.map((d) =>
          node(
            pin.symbol,
            'n/a',
            { kind: 'defined-at', arch: d.arch },
            { file: d.file, line: d.line },
            [],
          ),
        );
        if (sym)
          children.unshift(
            ...sym.nodes.map((n) =>
              node(pin.symbol, value, { kind: 'defined-at', arch: undefined }, n.loc, []),
            ),
          );
        if (children.length === 0)
          children.push(node(pin.symbol, 'n/a', { kind: 'defined-nowhere' }, undefined, []));
        return node(
          pin.symbol,
          'n/a',
          { kind: 'unavailable', requested: pin.requested },
          loc,
          children,
        );
      }
      case 'overridden':
      case 'dropped': {
        const requested = parseTri(pin.requested);
        const root: Reason =
          pin.status === 'overridden'
            ? { kind: 'overridden', requested: pin.requested }
            : { kind: 'dropped', requested: pin.requested };
        if (!sym)
          return node(pin.symbol, value, root, loc, [
            this.leaf(pin.symbol, { kind: 'undefined-here' }),
          ]);
        const got = this.ev.value(sym);
        let children: ExplanationNode[];
        if (
          requested === undefined ||
          sym.type === 'int' ||
          sym.type === 'hex' ||
          sym.type === 'string'
        ) {
          children = this.whyValue(sym, 0);
        } else if (got > requested) {
          children = this.whyAbove(sym, requested, 0);
        } else {
          children = this.whyBelow(sym, requested === 0 ? 1 : requested, 0);
        }
        return node(pin.symbol, value, root, loc, children);
      }
      default:
        return unreachable(pin.status);
    }
  }

  unmetSelect(name: string): ExplanationNode {
    const sym = this.model.symbol(name);
    if (!sym) return node(name, 'n', { kind: 'undefined-here' }, undefined, []);
    this.seen.add(name);
    const st = this.ev.state(sym);
    const selects = this.whyAbove(sym, 0, 0).filter((n) => n.reason.kind === 'selects');
    // what the symbol's dependencies would have to reach: its value, at least m
    const need = Math.max(1, this.ev.value(sym)) as Tristate;
    const depends = sym.dirDep ? [this.dependsNode(sym, sym.dirDep, need, 0)] : [];
    const state = !selects.length ? 'not-selected' : st.dirDep >= need ? 'met' : 'unmet';
    return node(name, this.ev.text(sym), { kind: 'unmet-select', state }, sym.nodes[0]?.loc, [
      ...selects,
      ...depends,
    ]);
  }

  private leaf(symbol: string, reason: Reason, location?: Location): ExplanationNode {
    const sym = this.model.symbol(symbol);
    return node(symbol, sym ? this.ev.text(sym) : 'n', reason, location ?? sym?.nodes[0]?.loc, []);
  }

  /** A symbol node explaining why it is at least `need`... (it is on). */
  private onNode(
    sym: KSymbol,
    reason: Reason,
    location: Location | undefined,
    depth: number,
  ): ExplanationNode {
    return node(
      sym.name,
      this.ev.text(sym),
      reason,
      location,
      this.stopOr(sym, depth, () => this.whyAbove(sym, 0, depth + 1)),
    );
  }

  private stopOr(sym: KSymbol, depth: number, more: () => ExplanationNode[]): ExplanationNode[] {
    // a pin that held is a root cause; one that did not is explained like any symbol
    const pinned = this.pins.get(sym.name);
    if (pinned !== undefined && pinned === this.ev.text(sym))
      return [this.leaf(sym.name, { kind: 'pinned', requested: pinned })];
    if (depth >= MAX_DEPTH) return [];
    if (this.seen.has(sym.name)) return [this.leaf(sym.name, { kind: 'seen-above' })];
    this.seen.add(sym.name);
    return more();
  }

  /** Why sym's value is above `floor`: selects, implies, defaults, or the .config. */
  private whyAbove(sym: KSymbol, floor: Tristate, depth: number): ExplanationNode[] {
    const st = this.ev.state(sym);
    const out: ExplanationNode[] = [];
    if (st.source === 'opaque') return [this.leaf(sym.name, { kind: 'toolchain-probe' })];
    if (st.source === 'choice' && sym.choice) {
      return [this.choiceNode(sym)];
    }
    for (const p of this.selectors.get(sym) ?? []) {
      const by = p.node.sym!;
      const term = Math.min(this.ev.value(by), this.ev.expr(p.visible));
      if (term <= floor) continue;
      if (p.kind === 'imply' && (st.visible !== 0 || st.dirDep === 0)) continue;
      const cond = p.cond ? exprToString(p.cond) : undefined;
      const reason: Reason =
        p.kind === 'select'
          ? { kind: 'selects', target: sym.name, condition: cond }
          : { kind: 'implies', target: sym.name, condition: cond };
      out.push(this.onNode(by, reason, p.loc, depth));
    }
    if (st.visible === 0) {
      const prompt = sym.props.find((p) => p.kind === 'prompt');
      out.push(
        this.leaf(
          sym.name,
          prompt
            ? {
                kind: 'not-settable',
                why: 'prompt-hidden',
                condition: exprToString(prompt.visible),
              }
            : { kind: 'not-settable', why: 'no-prompt', condition: undefined },
          prompt?.loc ?? sym.nodes[0]?.loc,
        ),
      );
    } else if (st.source === 'user' && this.ev.userTri(sym) !== undefined && st.revDep <= floor) {
      out.push(this.leaf(sym.name, { kind: 'set-in-config' }));
    }
    if (st.visible === 0 || st.source === 'default') {
      const d = this.ev.defaultProp(sym);
      if (d && this.ev.expr(d.expr) > floor) {
        const dn = node(
          sym.name,
          this.ev.text(sym),
          {
            kind: 'default',
            expr: exprToString(d.expr),
            condition: d.cond ? exprToString(d.cond) : undefined,
          },
          d.loc,
          [],
        );
        if (d.expr?.k === 'sym' && !d.expr.sym.isConst && this.model.isDefined(d.expr.sym.name)) {
          const target = d.expr.sym;
          dn.children = [
            this.onNode(target, this.sourceReason(target), target.nodes[0]?.loc, depth),
          ];
        }
        out.push(dn);
      }
    }
    if (sym.type === 'tristate' && st.tri === 2 && floor === 1) {
      if (this.ev.modules === 0)
        out.push(this.leaf(this.model.modulesSym.name, { kind: 'modules-disabled' }));
    }
    if (sym.type === 'bool' && floor === 1) out.push(this.leaf(sym.name, { kind: 'bool-type' }));
    return out;
  }

  private sourceReason(sym: KSymbol): Reason {
    const st = this.ev.state(sym);
    if (st.source === 'user') return { kind: 'set-in-config' };
    if (st.defaultProp?.expr)
      return { kind: 'default', expr: exprToString(st.defaultProp.expr), condition: undefined };
    return { kind: 'set-in-config' };
  }

  /** Why sym is below `need`: unmet dependencies, no way to enable it, a choice, a pin. */
  private whyBelow(sym: KSymbol, need: Tristate, depth: number): ExplanationNode[] {
    const st = this.ev.state(sym);
    if (st.source === 'opaque') return [this.leaf(sym.name, { kind: 'toolchain-probe' })];
    const out: ExplanationNode[] = [];
    const dirDep = sym.choice ? st.visible : st.dirDep;
    if (!sym.choice && sym.dirDep && dirDep < need) {
      out.push(this.dependsNode(sym, sym.dirDep, need, depth));
      return out;
    }
    if (sym.choice) {
      const sel = this.ev.choiceSelection(sym.choice);
      if (st.visible >= need && sel !== sym) return [this.choiceNode(sym)];
    }
    if (st.visible < need) {
      const prompt = sym.props.find((p) => p.kind === 'prompt');
      if (prompt) {
        const n = this.leaf(
          sym.name,
          { kind: 'not-settable', why: 'prompt-hidden', condition: exprToString(prompt.visible) },
          prompt.loc,
        );
        n.children = this.falseTerms(prompt.visible, need, depth);
        out.push(n);
      }
      if (st.revDep < need) out.push(this.nothingSelects(sym, need, prompt === undefined, depth));
      return out;
    }
    if (this.ev.userTri(sym) !== undefined)
      out.push(this.leaf(sym.name, { kind: 'set-in-config' }));
    return out;
  }

  private nothingSelects(
    sym: KSymbol,
    need: Tristate,
    noPrompt: boolean,
    depth: number,
  ): ExplanationNode {
    const selectors = (this.selectors.get(sym) ?? []).filter((p) => p.kind === 'select');
    const capability = noPrompt && selectors.length === 0 && /^(ARCH_|HAVE_)/.test(sym.name);
    const shown = selectors.slice(0, MAX_OR_TERMS);
    const listed = shown.map(
      (p) => `${p.node.sym!.name}=${this.ev.text(p.node.sym!)} (${p.loc.file}:${p.loc.line})`,
    );
    if (selectors.length > MAX_OR_TERMS) listed.push(`... ${selectors.length - MAX_OR_TERMS} more`);
    const n = this.leaf(sym.name, { kind: 'nothing-selects', capability, selectors: listed });
    // follow each inactive selector down to why it is off
    n.children = shown.flatMap((p) => {
      const by = p.node.sym!;
      return this.ev.value(by) < need
        ? this.falseTerms({ k: 'sym', sym: by }, need, depth)
        : this.falseTerms(p.visible, need, depth);
    });
    return n;
  }

  private dependsNode(sym: KSymbol, dep: Expr, need: Tristate, depth: number): ExplanationNode {
    const terms = andTerms(dep).map((t) => ({
      text: exprToString(t),
      value: triText(this.ev.expr(t)),
    }));
    return node(
      sym.name,
      this.ev.text(sym),
      { kind: 'depends-on', expr: exprToString(dep), terms },
      sym.nodes[0]?.loc,
      this.falseTerms(dep, need, depth),
    );
  }

  /** The parts of an expression that keep it below `need`, followed to their root cause. */
  private falseTerms(e: Expr | undefined, need: Tristate, depth: number): ExplanationNode[] {
    if (!e || this.ev.expr(e) >= need) return [];
    switch (e.k) {
      case 'and':
        return [...this.falseTerms(e.l, need, depth), ...this.falseTerms(e.r, need, depth)];
      case 'or':
        return orTerms(e)
          .slice(0, MAX_OR_TERMS)
          .flatMap((t) => this.falseTerms(t, need, depth));
      case 'not': {
        // !X is too low because X is too high
        const inner = e.e;
        if (inner.k === 'sym' && !inner.sym.isConst) {
          const s = inner.sym;
          return [
            node(
              s.name,
              this.ev.text(s),
              this.sourceReason(s),
              s.nodes[0]?.loc,
              this.stopOr(s, depth, () => this.whyAbove(s, 0, depth + 1)),
            ),
          ];
        }
        return [
          node(exprToString(e), 'n', { kind: 'comparison', expr: exprToString(e) }, undefined, []),
        ];
      }
      case 'cmp':
        return [
          node(
            exprToString(e),
            'n',
            {
              kind: 'comparison',
              expr: `${e.l.name}=${this.ev.text(e.l)}, ${e.r.name}=${this.ev.text(e.r)}`,
            },
            undefined,
            [],
          ),
        ];
      case 'sym': {
        const s = e.sym;
        if (s.isConst) return [];
        if (!this.model.isDefined(s.name)) {
          const capability = /^(ARCH_|HAVE_)/.test(s.name);
          return [
            node(
              s.name,
              'n',
              capability
                ? { kind: 'nothing-selects', capability: true, selectors: [] }
                : { kind: 'undefined-here' },
              undefined,
              [],
            ),
          ];
        }
        const kids = this.stopOr(s, depth, () => this.whyBelow(s, need, depth + 1));
        if (kids.length === 1 && kids[0]!.symbol === s.name) return kids;
        return [node(s.name, this.ev.text(s), { kind: 'value' }, s.nodes[0]?.loc, kids)];
      }
    }
  }

  private choiceNode(sym: KSymbol): ExplanationNode {
    const choice = sym.choice!;
    const sel = this.ev.choiceSelection(choice);
    return node(
      sym.name,
      this.ev.text(sym),
      { kind: 'choice', choice: choice.name, selected: sel?.name },
      choice.nodes[0]?.loc,
      [],
    );
  }

  private whyValue(sym: KSymbol, depth: number): ExplanationNode[] {
    const st = this.ev.state(sym);
    if (st.source === 'opaque') return [this.leaf(sym.name, { kind: 'toolchain-probe' })];
    if (st.visible === 0) return this.whyAbove(sym, -1 as Tristate, depth);
    if (st.source === 'user') return [this.leaf(sym.name, { kind: 'set-in-config' })];
    return [];
  }
}

function node(
  symbol: string,
  value: string,
  reason: Reason,
  location: Location | undefined,
  children: ExplanationNode[],
): ExplanationNode {
  return { symbol, value, reason, location, children };
}

/** explainPin plus, for unavailable pins, the all-arch scan of the tree's Kconfig files. */
export async function explainPinInTree(
  srcTree: string,
  model: KconfigModel,
  values: ConfigValues,
  pin: PinQuery,
  pins: ReadonlyMap<string, string>,
  scan: (srcTree: string, symbol: string) => Promise<DefinitionSite[]>,
): Promise<ExplanationNode> {
  const elsewhere = pin.status === 'unavailable' ? await scan(srcTree, pin.symbol) : [];
  return explainPin(model, values, pin, pins, elsewhere);
}
