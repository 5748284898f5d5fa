// The fewest extra pins: a sequential counter over the extra-pin literals, bounded from 0
// up; at the smallest bound that is satisfiable, a few alternatives are enumerated and
// ordered by how many symbols of the cone end up differing from the base.
import type { KSymbol } from '../kconfig/index.js';
import type { Lit, Tri } from './cnf.js';
import type { Encoding, ExtraVar } from './encode.js';
import type { SatSolver } from './sat.js';

export interface ExtraPin {
  sym: KSymbol;
  value: 'y' | 'm' | 'n';
}

export interface Candidate {
  extras: ExtraPin[];
  /** Symbols of the cone whose value the solver expects to differ from the base config. */
  distance: number;
}

export class Minimizer {
  private counter: Lit[] | undefined;
  private readonly blocks: Lit[] = [];
  private bySym: Map<KSymbol, ExtraVar> | undefined;

  constructor(
    private readonly enc: Encoding,
    private readonly sat: SatSolver,
    private readonly maxExtra: number,
    /** conf's values for the base alone (for the distance). */
    private readonly baseValue: (sym: KSymbol) => 0 | 1 | 2,
    /** Facts left relaxed (the encoding is unsure of them): answers are then only a search. */
    private readonly exclude: ReadonlySet<Lit> = new Set(),
  ) {}

  /**
   * Never propose exactly this set of extra pins again (conf refuted it). Supersets stay
   * possible: one of them may be the real answer.
   */
  block(c: Candidate): void {
    const cnf = this.enc.cnf;
    const chosen = new Set(c.extras.map((e) => e.sym));
    const b = cnf.newVar();
    cnf.add([
      -b,
      ...c.extras.map(
        (e) => -cnf.and(this.extraOf(e.sym).x, triIs(cnf, this.extraOf(e.sym).u, e.value)),
      ),
      ...this.enc.extras.filter((e) => !chosen.has(e.sym)).map((e) => e.x),
    ]);
    this.blocks.push(b);
  }

  /**
   * Candidates with the fewest extra pins (up to `alternatives` of them), or undefined when
   * none exists within maxExtra. `soft` keeps values the encoding cannot compute at their base.
   */
  async fewest(soft: boolean, alternatives: number): Promise<Candidate[] | undefined> {
    const cnf = this.enc.cnf;
    const counter = (this.counter ??= cnf.counter(
      this.enc.extras.map((e) => e.x),
      this.maxExtra + 1,
    ));
    const base = [
      ...this.enc.facts.map((f) => f.lit).filter((l) => !this.exclude.has(l)),
      ...(soft ? this.enc.soft : []),
      ...this.blocks,
    ];
    for (let k = 0; k <= this.maxExtra; k++) {
      const bound = counter[k]!;
      const r = await this.sat.solve(cnf, [...base, -bound]);
      if (r.kind === 'unsat') continue;
      const found = [this.candidate(r.value)];
      // more of the same size, each excluded in turn, to prefer the one closest to the base
      const local: Lit[] = [];
      while (found.length < alternatives) {
        const last = found[found.length - 1]!;
        const b = cnf.newVar();
        cnf.add([
          -b,
          ...last.extras.map((e) => {
            const x = this.extraOf(e.sym);
            return -cnf.and(x.x, triIs(cnf, x.u, e.value));
          }),
        ]);
        local.push(b);
        const again = await this.sat.solve(cnf, [...base, ...local, -bound]);
        if (again.kind === 'unsat') break;
        found.push(this.candidate(again.value));
      }
      return found.sort((a, b) => a.distance - b.distance);
    }
    return undefined;
  }

  private extraOf(sym: KSymbol): ExtraVar {
    this.bySym ??= new Map(this.enc.extras.map((e) => [e.sym, e]));
    return this.bySym.get(sym)!;
  }

  private candidate(value: (l: Lit) => boolean): Candidate {
    const tri = (t: Tri): 0 | 1 | 2 => (value(t.b) ? 2 : value(t.a) ? 1 : 0);
    const extras: ExtraPin[] = this.enc.extras
      .filter((e) => value(e.x))
      .map((e) => ({ sym: e.sym, value: (['n', 'm', 'y'] as const)[tri(e.u)] }));
    let distance = 0;
    for (const [sym, t] of this.enc.values) {
      if (!sym.isConst && tri(t) !== this.baseValue(sym)) distance++;
    }
    return { extras, distance };
  }
}

/** A literal for "t has value v". */
function triIs(cnf: Encoding['cnf'], t: Tri, v: 'y' | 'm' | 'n'): Lit {
  return v === 'y' ? t.b : v === 'm' ? cnf.and(t.a, -t.b) : -t.a;
}
