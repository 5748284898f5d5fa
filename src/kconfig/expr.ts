// Expression helpers: building (undefined means "y", as in expr.c), walking and printing.
import type { Expr, KSymbol } from './ast.js';

export function andExpr(a: Expr | undefined, b: Expr | undefined): Expr | undefined {
  if (!a) return b;
  if (!b) return a;
  return { k: 'and', l: a, r: b };
}

export function orExpr(a: Expr | undefined, b: Expr | undefined): Expr | undefined {
  if (!a) return b;
  if (!b) return a;
  return { k: 'or', l: a, r: b };
}

export function symExpr(sym: KSymbol): Expr {
  return { k: 'sym', sym };
}

/** Every symbol the expression mentions, in order, without duplicates. */
export function exprSymbols(e: Expr | undefined, out: KSymbol[] = []): KSymbol[] {
  if (!e) return out;
  switch (e.k) {
    case 'sym':
      if (!out.includes(e.sym)) out.push(e.sym);
      break;
    case 'not':
      exprSymbols(e.e, out);
      break;
    case 'and':
    case 'or':
      exprSymbols(e.l, out);
      exprSymbols(e.r, out);
      break;
    case 'cmp':
      if (!out.includes(e.l)) out.push(e.l);
      if (!out.includes(e.r)) out.push(e.r);
      break;
  }
  return out;
}

export function exprHasOpaque(e: Expr | undefined): boolean {
  if (!e) return false;
  switch (e.k) {
    case 'sym':
      return e.sym.opaque;
    case 'not':
      return exprHasOpaque(e.e);
    case 'and':
    case 'or':
      return exprHasOpaque(e.l) || exprHasOpaque(e.r);
    case 'cmp':
      return e.l.opaque || e.r.opaque;
  }
}

/** The `&&`-separated terms of an expression. */
export function andTerms(e: Expr | undefined): Expr[] {
  if (!e) return [];
  if (e.k === 'and') return [...andTerms(e.l), ...andTerms(e.r)];
  return [e];
}

export function orTerms(e: Expr | undefined): Expr[] {
  if (!e) return [];
  if (e.k === 'or') return [...orTerms(e.l), ...orTerms(e.r)];
  return [e];
}

function symbolText(sym: KSymbol): string {
  if (sym.opaque) return '<toolchain/env macro>';
  if (sym.isConst && !['y', 'm', 'n'].includes(sym.name)) return JSON.stringify(sym.name);
  return sym.name;
}

const PREC = { or: 1, and: 2, not: 3, cmp: 4, sym: 5 } as const;

/** Kconfig-syntax text for an expression, with only the parentheses it needs. */
export function exprToString(e: Expr | undefined, parentPrec = 0): string {
  if (!e) return 'y';
  let s: string;
  switch (e.k) {
    case 'sym':
      return symbolText(e.sym);
    case 'not':
      s = `!${exprToString(e.e, PREC.not)}`;
      break;
    case 'and':
      s = `${exprToString(e.l, PREC.and)} && ${exprToString(e.r, PREC.and)}`;
      break;
    case 'or':
      s = `${exprToString(e.l, PREC.or)} || ${exprToString(e.r, PREC.or)}`;
      break;
    case 'cmp':
      s = `${symbolText(e.l)} ${e.op} ${symbolText(e.r)}`;
      break;
  }
  return PREC[e.k] < parentPrec || (e.k === 'not' && parentPrec > PREC.not) ? `(${s})` : s;
}
