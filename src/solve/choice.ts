// Which member a choice picks, as literals: conf's rules for the user's pick, the
// default and the fallbacks (symbol.c sym_calc_choice; 6.1 and 6.11+ differ).
import type { KSymbol } from '../kconfig/index.js';
import type { Cnf, Lit, Tri } from './cnf.js';

export interface ChoiceMember {
  sym: KSymbol;
  /** Position among the choice's members (definition order). */
  index: number;
  vis: Tri;
  user: { set: Lit; u: Tri };
  /** The solver pins this member (an extra pin, read after every other line). */
  x: Lit;
  /** Position of the member's line in the merged .config (pins after the base); -1: none. */
  rank: number;
}

/**
 * Is `j` read after `i` (its user value takes priority)? Extra pins come last, in member
 * order (the solver prints them that way); otherwise the merged file's line order.
 */
function later(c: Cnf, j: ChoiceMember, i: ChoiceMember): Lit {
  const k = (b: boolean) => (b ? c.T : c.F);
  return c.ite(j.x, c.ite(i.x, k(j.index > i.index), c.T), c.ite(i.x, c.F, k(j.rank > i.rank)));
}

/**
 * pick[i]: member i is the choice's selection. `dflt[i]`: member i is the choice default
 * (the first default whose target is visible, else the first visible member).
 * legacy (<= 6.10): the last member set to y in the file if it is visible, else the default.
 * members (6.11+): the last visible member set to y; else the default unless it is set to n;
 * else the first visible member without a value; else the visible member read first.
 */
export function choicePick(
  c: Cnf,
  ms: readonly ChoiceMember[],
  dflt: readonly Lit[],
  dialect: 'legacy' | 'members',
): Lit[] {
  const uy = ms.map((m) => c.and(m.user.set, m.user.u.b));
  const vis = ms.map((m) => m.vis.a);
  if (dialect === 'legacy') {
    const top = ms.map((m, i) =>
      c.andAll([uy[i]!, ...ms.map((o, j) => (j === i ? c.T : -c.and(uy[j]!, later(c, o, m))))]),
    );
    const topVisible = c.orAll(top.map((t, i) => c.and(t, vis[i]!)));
    return ms.map((_, i) => c.or(c.and(top[i]!, vis[i]!), c.and(-topVisible, dflt[i]!)));
  }
  const s1 = ms.map((m, i) =>
    c.andAll([
      vis[i]!,
      uy[i]!,
      ...ms.map((o, j) => (j === i ? c.T : -c.andAll([vis[j]!, uy[j]!, later(c, o, m)]))),
    ]),
  );
  const r1 = c.orAll(s1);
  const s2 = ms.map((m, i) => c.andAll([-r1, dflt[i]!, -c.and(m.user.set, -m.user.u.a)]));
  const r2 = c.orAll(s2);
  const unset = ms.map((m, i) => c.and(vis[i]!, -m.user.set));
  const s3 = ms.map((_, i) => c.andAll([-r1, -r2, unset[i]!, ...unset.slice(0, i).map((u) => -u)]));
  const r3 = c.orAll(s3);
  const s4 = ms.map((m, i) =>
    c.andAll([
      -r1,
      -r2,
      -r3,
      vis[i]!,
      ...ms.map((o, j) => (j === i ? c.T : c.or(-vis[j]!, -later(c, m, o)))),
    ]),
  );
  return ms.map((_, i) => c.orAll([s1[i]!, s2[i]!, s3[i]!, s4[i]!]));
}
