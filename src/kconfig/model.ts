// The finished Kconfig model: the parsed tree with dependencies propagated the way
// menu.c's menu_finalize does, and lookups by symbol name.
import type { Diagnostic, Expr, KSymbol, Location, MenuNode } from './ast.js';
import { andExpr, exprHasOpaque, orExpr, symExpr } from './expr.js';
import type { ParseResult } from './parser.js';

/**
 * How choices work. `legacy`: up to 6.10, a choice is a bool/tristate symbol whose
 * value bounds its members (symbol.c sym_calc_choice with def[].val). `members`:
 * 6.11 onwards, choices are bool-only and pick from their members' own values.
 */
export type ChoiceDialect = 'legacy' | 'members';

export class KconfigModel {
  readonly root: MenuNode;
  readonly symbols: ReadonlyMap<string, KSymbol>;
  readonly constants: ParseResult['constants'];
  readonly diagnostics: readonly Diagnostic[];
  readonly files: readonly string[];
  readonly mainmenu: string | undefined;
  readonly dialect: ChoiceDialect;
  /** The symbol marked `modules` (MODULES), or the constant n. */
  readonly modulesSym: KSymbol;
  readonly choices: readonly KSymbol[];
  readonly envUsed: readonly string[];

  constructor(parsed: ParseResult, dialect: ChoiceDialect) {
    this.root = parsed.root;
    this.symbols = parsed.symbols;
    this.constants = parsed.constants;
    this.diagnostics = parsed.diagnostics;
    this.files = parsed.files;
    this.mainmenu = parsed.mainmenu;
    this.dialect = dialect;
    this.envUsed = parsed.envUsed;
    this.modulesSym = [...parsed.symbols.values()].find((s) => s.isModules) ?? parsed.constants.n;
    const choices: KSymbol[] = [];
    collectChoices(this.root, choices);
    this.choices = choices;
    finalize(this);
  }

  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error');
  }

  /** Defined by a `config`/`menuconfig` entry somewhere in this arch's Kconfig tree. */
  isDefined(name: string): boolean {
    const s = this.symbols.get(name);
    return s !== undefined && s.nodes.length > 0;
  }

  symbol(name: string): KSymbol | undefined {
    const s = this.symbols.get(name);
    return s && s.nodes.length > 0 ? s : undefined;
  }

  definitions(name: string): Location[] {
    return (this.symbols.get(name)?.nodes ?? []).map((n) => n.loc);
  }

  /** Symbols with a bool or tristate type (what a .config sets to y/m/n). */
  boolSymbols(): KSymbol[] {
    return [...this.symbols.values()].filter(
      (s) => s.nodes.length > 0 && (s.type === 'bool' || s.type === 'tristate'),
    );
  }
}

function collectChoices(node: MenuNode, out: KSymbol[]): void {
  for (const c of node.children) {
    if (c.kind === 'choice' && c.sym && !out.includes(c.sym)) out.push(c.sym);
    collectChoices(c, out);
  }
}

function finalize(model: KconfigModel): void {
  const m = model.constants.m;
  const modules = symExpr(model.modulesSym);
  const legacy = model.dialect === 'legacy';

  // menu.c rewrite_m: a literal m in a dependency means "m if modules are enabled"
  const rewriteM = (e: Expr | undefined): Expr | undefined => {
    if (!e) return e;
    switch (e.k) {
      case 'sym':
        return e.sym === m ? { k: 'and', l: e, r: modules } : e;
      case 'not':
        return { k: 'not', e: rewriteM(e.e)! };
      case 'and':
      case 'or':
        return { k: e.k, l: rewriteM(e.l)!, r: rewriteM(e.r)! };
      case 'cmp':
        return e;
    }
  };

  // choice types: the first typed member decides; untyped members inherit it
  for (const c of model.choices) {
    if (c.type === 'unknown')
      c.type = c.members.find((s) => s.type !== 'unknown')?.type ?? 'unknown';
    for (const s of c.members) if (s.type === 'unknown') s.type = c.type;
  }

  const visit = (parent: MenuNode, insideChoice: boolean): void => {
    const sym = parent.sym;
    if (parent.children.length > 0) {
      const parentDep = legacy && sym?.isChoice ? symExpr(sym) : parent.dep;
      for (const child of parent.children) {
        child.dep = andExpr(parentDep, rewriteM(child.dep));
        const props = child.sym ? child.sym.props : child.prompt ? [child.prompt] : [];
        for (const prop of props) {
          if (prop.node !== child) continue;
          prop.visible = andExpr(child.dep, rewriteM(prop.visible));
          if (
            (prop.kind === 'select' || prop.kind === 'imply') &&
            prop.expr?.k === 'sym' &&
            child.sym
          ) {
            const target = prop.expr.sym;
            const term = andExpr(symExpr(child.sym), prop.visible)!;
            if (prop.kind === 'select') target.revDep = orExpr(target.revDep, term);
            else target.implied = orExpr(target.implied, term);
          }
        }
      }
      for (const child of parent.children) visit(child, sym?.isChoice === true);
    } else if (sym && (legacy || !insideChoice)) {
      // expr_alloc_or(x, NULL) is x: a definition without dependencies does not widen dir_dep
      sym.dirDep = orExpr(sym.dirDep, parent.dep);
    }
    if (legacy && sym?.isChoice && !sym.optional && parent.prompt) {
      sym.revDep = orExpr(sym.revDep, andExpr(parent.prompt.visible, symExpr(m)) ?? symExpr(m));
    }
  };
  visit(model.root, false);

  for (const s of model.symbols.values()) {
    s.dependsOnOpaque =
      exprHasOpaque(s.dirDep) ||
      exprHasOpaque(s.revDep) ||
      exprHasOpaque(s.implied) ||
      s.props.some(
        (p) => exprHasOpaque(p.expr) || exprHasOpaque(p.expr2) || exprHasOpaque(p.visible),
      );
  }
  for (const c of model.choices) {
    c.dependsOnOpaque = c.dependsOnOpaque || c.members.some((s) => s.dependsOnOpaque);
  }
}
