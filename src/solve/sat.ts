// SAT solving through Debian's solvers on DIMACS: CaDiCaL for plain solving (fastest on our
// formulas), PicoSAT when the failed assumptions (an unsat core over the guard literals) are
// wanted. Both run as processes; the formula text is kept and extended, not rebuilt.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KmatrixError } from '../core/errors.js';
import { which, type ProcessRunner } from '../process/runner.js';
import type { Cnf, Lit } from './cnf.js';

export type SatResult =
  | { kind: 'sat'; value: (lit: Lit) => boolean }
  /** `failed`: assumptions that suffice for unsatisfiability (PicoSAT's -A), when asked. */
  | { kind: 'unsat'; failed: Lit[] };

export interface SatSolver {
  /** Solve under assumptions; with `core`, an unsat answer lists the failed assumptions. */
  solve(cnf: Cnf, assumptions: readonly Lit[], opts?: { core?: boolean }): Promise<SatResult>;
}

const SOLVER_PACKAGES = ['cadical', 'picosat'];

/** Throws a usage-level error naming the Debian packages when a solver is missing. */
export async function checkSolvers(env: NodeJS.ProcessEnv): Promise<void> {
  const missing: string[] = [];
  for (const p of SOLVER_PACKAGES) if (!(await which(p, env))) missing.push(p);
  if (missing.length > 0) {
    throw new KmatrixError(
      'missing-solver',
      `SAT solver(s) not found on PATH: ${missing.join(', ')}; install Debian package(s) ${missing.join(' ')} (scripts/setup.sh does)`,
    );
  }
}

/** Incremental DIMACS text of a growing Cnf (clauses are only ever appended). */
class DimacsText {
  private readonly chunks: string[] = [];
  private done = 0;
  private clauses = 0;

  constructor(private readonly cnf: Cnf) {}

  /** Header and every clause, plus `units` as unit clauses. */
  text(units: readonly Lit[]): string {
    const all = this.cnf.clauses();
    if (this.done < all.length) {
      const parts: string[] = [];
      let cur: number[] = [];
      for (let i = this.done; i < all.length; i++) {
        const l = all[i]!;
        cur.push(l);
        if (l === 0) {
          parts.push(cur.join(' '));
          cur = [];
          this.clauses++;
        }
      }
      this.chunks.push(parts.join('\n') + '\n');
      this.done = all.length;
    }
    const head = `p cnf ${this.cnf.nVars} ${this.clauses + units.length}\n`;
    return head + this.chunks.join('') + units.map((u) => `${u} 0\n`).join('');
  }
}

function parseModel(stdout: string, nVars: number): (lit: Lit) => boolean {
  const val = new Uint8Array(nVars + 1);
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('v ')) continue;
    for (const tok of line.slice(2).trim().split(/\s+/)) {
      const l = Number(tok);
      if (l > 0 && l <= nVars) val[l] = 1;
    }
  }
  return (lit) => (lit > 0 ? val[lit] === 1 : val[-lit] !== 1);
}

/** `dir`: where PicoSAT writes its failed assumptions (a pipe is refused). */
export function dimacsSolver(runner: ProcessRunner, dir = tmpdir()): SatSolver {
  const texts = new WeakMap<Cnf, DimacsText>();
  const textOf = (cnf: Cnf) => {
    let t = texts.get(cnf);
    if (!t) {
      t = new DimacsText(cnf);
      texts.set(cnf, t);
    }
    return t;
  };
  return {
    async solve(cnf, assumptions, opts = {}) {
      const text = textOf(cnf);
      // PicoSAT takes assumptions as -a and writes the failed ones with -A; CaDiCaL gets units.
      const coreFile = join(dir, `kmatrix-core-${process.pid}-${randomBytes(6).toString('hex')}`);
      const [prog, args, input] = opts.core
        ? [
            'picosat',
            [...assumptions.flatMap((a) => ['-a', String(a)]), '-A', coreFile],
            text.text([]),
          ]
        : ['cadical', ['-q'], text.text(assumptions)];
      try {
        const r = await runner.run(prog, args, { input });
        if (r.exitCode === 10) return { kind: 'sat', value: parseModel(r.stdout, cnf.nVars) };
        if (r.exitCode === 20) {
          const failed = opts.core
            ? (await readFile(coreFile, 'utf8'))
                .split(/\s+/)
                .filter((t) => /^-?\d+$/.test(t))
                .map(Number)
                .filter((l) => l !== 0)
            : [...assumptions];
          return { kind: 'unsat', failed };
        }
        throw new KmatrixError(
          'command-failed',
          `${prog} failed (exit ${r.exitCode ?? r.signal}) on a ${cnf.nVars}-variable formula`,
          (r.stderr || r.stdout).slice(-2000),
        );
      } finally {
        if (opts.core) await rm(coreFile, { force: true });
      }
    },
  };
}
