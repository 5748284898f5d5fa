// Unsat cores over the guarded facts: PicoSAT's failed assumptions, shrunk by deletion to an
// irreducible set (drop any one fact and the rest is satisfiable), pins tried first so a core
// names as few pins as possible. Several disjoint cores when more than one conflict exists.
import type { Lit } from './cnf.js';
import type { Encoding, GuardedFact } from './encode.js';
import type { SatSolver } from './sat.js';

export interface Core {
  /** The facts, each necessary: relaxing any one of them makes the rest satisfiable. */
  facts: GuardedFact[];
}

/**
 * Shrink `failed` (an unsatisfiable set of guard literals) to an irreducible one. Every
 * solve only assumes the candidate facts; all other facts are relaxed.
 */
async function shrinkCore(enc: Encoding, sat: SatSolver, failed: readonly Lit[]): Promise<Lit[]> {
  const isPin = new Set(enc.facts.filter((f) => f.fact.kind === 'pin').map((f) => f.lit));
  let core = [...new Set(failed)];
  const necessary = new Set<Lit>();
  for (;;) {
    // pins first: a core should name as few of the user's pins as it can
    const next =
      core.find((l) => !necessary.has(l) && isPin.has(l)) ?? core.find((l) => !necessary.has(l));
    if (next === undefined) return core;
    const without = core.filter((l) => l !== next);
    const r = await sat.solve(enc.cnf, without, { core: true });
    if (r.kind === 'sat') necessary.add(next);
    else core = without.filter((l) => r.failed.includes(l) || necessary.has(l));
  }
}

/**
 * Up to `max` cores: after each, the pins it names are dropped (relaxed) and the rest is
 * solved again, so every core shows a different reason the pins cannot hold together.
 * `first` is the failed set of the solve with every fact.
 */
export async function findCores(
  enc: Encoding,
  sat: SatSolver,
  first: readonly Lit[],
  extra: readonly Lit[],
  max = 4,
): Promise<Core[]> {
  const byLit = new Map(enc.facts.map((f) => [f.lit, f]));
  const cores: Core[] = [];
  const dropped = new Set<Lit>();
  let failed: readonly Lit[] = first;
  while (cores.length < max) {
    const lits = await shrinkCore(enc, sat, failed);
    const facts = lits.map((l) => byLit.get(l)).filter((f): f is GuardedFact => f !== undefined);
    cores.push({ facts });
    const pins = facts.filter((f) => f.fact.kind === 'pin');
    if (pins.length === 0) break;
    for (const p of pins) dropped.add(p.lit);
    const assume = [...enc.facts.map((f) => f.lit).filter((l) => !dropped.has(l)), ...extra];
    const r = await sat.solve(enc.cnf, assume, { core: true });
    if (r.kind === 'sat') break;
    failed = r.failed;
  }
  return cores;
}
