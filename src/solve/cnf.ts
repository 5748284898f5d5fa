// A CNF under construction: variables, clauses, Tseitin gates with constant folding and
// structural hashing, and tristate values as pairs of threshold literals (see Tri).
// Literals are DIMACS numbers: variable v is v, its negation -v.

export type Lit = number;

/**
 * A Kconfig tristate as two literals: `a` is "value >= m", `b` is "value >= y", with b -> a.
 * n = (F, F), m = (T, F), y = (T, T). !x, x && y and x || y become (¬b, ¬a), pairwise
 * and/or: expr.c's 2 - x, min and max.
 */
export interface Tri {
  readonly a: Lit;
  readonly b: Lit;
}

export class Cnf {
  nVars = 1;
  /** Flat clause store: literals with 0 after each clause (DIMACS order). */
  private store: Int32Array = new Int32Array(1 << 16);
  private used = 0;
  nClauses = 0;
  private readonly gates = new Map<string, Lit>();
  /** Variable 1 is forced true. */
  readonly T: Lit = 1;
  readonly F: Lit = -1;

  constructor() {
    this.add([1]);
  }

  newVar(): Lit {
    return ++this.nVars;
  }

  add(lits: readonly Lit[]): void {
    if (lits.some((l) => l === this.T)) return;
    const kept = lits.filter((l) => l !== this.F);
    if (this.used + kept.length + 1 > this.store.length) {
      const bigger = new Int32Array(Math.max(this.store.length * 2, this.used + kept.length + 1));
      bigger.set(this.store.subarray(0, this.used));
      this.store = bigger;
    }
    for (const l of kept) this.store[this.used++] = l;
    this.store[this.used++] = 0;
    this.nClauses++;
  }

  /** Every clause, each terminated by 0, as one array (shared; do not modify). */
  clauses(): Int32Array {
    return this.store.subarray(0, this.used);
  }

  and(x: Lit, y: Lit): Lit {
    if (x === this.F || y === this.F || x === -y) return this.F;
    if (x === this.T || x === y) return y;
    if (y === this.T) return x;
    const key = x < y ? `&${x},${y}` : `&${y},${x}`;
    let g = this.gates.get(key);
    if (g === undefined) {
      g = this.newVar();
      this.add([-g, x]);
      this.add([-g, y]);
      this.add([g, -x, -y]);
      this.gates.set(key, g);
    }
    return g;
  }

  or(x: Lit, y: Lit): Lit {
    return -this.and(-x, -y);
  }

  andAll(lits: readonly Lit[]): Lit {
    return lits.reduce((acc, l) => this.and(acc, l), this.T);
  }

  orAll(lits: readonly Lit[]): Lit {
    return lits.reduce((acc, l) => this.or(acc, l), this.F);
  }

  /** c ? x : y */
  ite(c: Lit, x: Lit, y: Lit): Lit {
    if (c === this.T || x === y) return x;
    if (c === this.F) return y;
    if (x === this.T) return this.or(c, y);
    if (x === this.F) return this.and(-c, y);
    if (y === this.T) return this.or(-c, x);
    if (y === this.F) return this.and(c, x);
    const key = `?${c},${x},${y}`;
    let g = this.gates.get(key);
    if (g === undefined) {
      g = this.newVar();
      this.add([-c, -x, g]);
      this.add([-c, x, -g]);
      this.add([c, -y, g]);
      this.add([c, y, -g]);
      this.add([-x, -y, g]);
      this.add([x, y, -g]);
      this.gates.set(key, g);
    }
    return g;
  }

  /** A fresh literal equal to x while g holds, free otherwise: g -> (v <-> x). */
  guarded(g: Lit, x: Lit): Lit {
    if (g === this.T) return x;
    const v = this.newVar();
    this.add([-g, -x, v]);
    this.add([-g, x, -v]);
    return v;
  }

  /** A tristate equal to t while g holds, free otherwise. */
  triGuarded(g: Lit, t: Tri, bool: boolean): Tri {
    if (g === this.T) return t;
    if (bool && t.a === t.b) {
      const v = this.guarded(g, t.a);
      return { a: v, b: v };
    }
    const r = { a: this.guarded(g, t.a), b: this.guarded(g, t.b) };
    this.add([-r.b, r.a]);
    return r;
  }

  /** x <-> y as clauses. */
  equal(x: Lit, y: Lit): void {
    this.add([-x, y]);
    this.add([x, -y]);
  }

  // ---- tristates

  readonly n: Tri = { a: -1, b: -1 };
  readonly m: Tri = { a: 1, b: -1 };
  readonly y: Tri = { a: 1, b: 1 };

  /** A free tristate (bool: only n or y). */
  triVar(bool: boolean): Tri {
    const a = this.newVar();
    if (bool) return { a, b: a };
    const b = this.newVar();
    this.add([-b, a]);
    return { a, b };
  }

  triNot(x: Tri): Tri {
    return { a: -x.b, b: -x.a };
  }

  triAnd(x: Tri, y: Tri): Tri {
    return { a: this.and(x.a, y.a), b: this.and(x.b, y.b) };
  }

  triOr(x: Tri, y: Tri): Tri {
    return { a: this.or(x.a, y.a), b: this.or(x.b, y.b) };
  }

  triIte(c: Lit, x: Tri, y: Tri): Tri {
    return { a: this.ite(c, x.a, y.a), b: this.ite(c, x.b, y.b) };
  }

  /** x == y */
  triEq(x: Tri, y: Tri): Lit {
    return this.and(-this.xor(x.a, y.a), -this.xor(x.b, y.b));
  }

  /** x < y */
  triLess(x: Tri, y: Tri): Lit {
    // (x = n and y >= m) or (x <= m and y = y)
    return this.or(this.and(-x.a, y.a), this.and(-x.b, y.b));
  }

  xor(x: Lit, y: Lit): Lit {
    return this.ite(x, -y, y);
  }

  /** Constrain x == y. */
  triEqual(x: Tri, y: Tri): void {
    this.equal(x.a, y.a);
    this.equal(x.b, y.b);
  }

  // ---- cardinality

  /**
   * Sinz's sequential counter over `lits`: returns outputs c[1..k], where c[j] is true
   * whenever at least j of the literals are true (one direction, enough to bound the
   * count from above with a unit ¬c[j]).
   */
  counter(lits: readonly Lit[], k: number): Lit[] {
    let prev: Lit[] = [];
    for (const x of lits) {
      const cur: Lit[] = [];
      for (let j = 1; j <= k; j++) {
        const r = this.newVar();
        // r_j >= prev_j ; r_j >= x && prev_{j-1}
        const pj = prev[j - 1];
        if (pj !== undefined) this.add([-pj, r]);
        if (j === 1) this.add([-x, r]);
        else {
          const pj1 = prev[j - 2];
          if (pj1 !== undefined) this.add([-x, -pj1, r]);
        }
        cur.push(r);
      }
      prev = cur;
    }
    return prev.length > 0 ? prev : Array.from({ length: k }, () => this.F);
  }
}
