// What kmatrix solve answers, per arch and in all: the result model (JSON as is) and the
// progress events. src/report/solve.ts renders both.
import type { Location } from '../kconfig/index.js';

export interface SolvePinRow {
  symbol: string;
  requested: string;
  /** What conf gave (for the answer's pins: with the extra pins). */
  effective: string;
  status: 'holds' | 'overridden' | 'dropped' | 'unavailable';
  origin: 'pin' | 'extra' | 'forbid';
}

export interface ChainStep {
  /** One Kconfig fact, as text. */
  text: string;
  kind: string;
  location: Location | null;
  /** For a symbol not defined for the arch: where it is defined (other arches). */
  definedElsewhere?: { file: string; line: number; arch: string | null }[];
}

export interface SolveCore {
  /** The user's pins (SYM=VAL) in this core. */
  pins: string[];
  chain: ChainStep[];
  /** conf on the base with just these pins: they do not all hold (the core is real). */
  confirmedByConf: boolean;
}

export type ArchVerdict =
  | { kind: 'holds' }
  | {
      kind: 'satisfiable';
      extra: { symbol: string; value: string }[];
      command: string;
      /**
       * 'solver': the fewest extra pins the model allows, checked by conf. 'search': the model
       * was unsure (a recursive dependency), so those facts were left out; still checked by conf.
       */
      found: 'solver' | 'search';
      /** Symbols whose value differs from the base config (conf's output). */
      changedFromBase: number;
    }
  | { kind: 'unsatisfiable'; cores: SolveCore[]; toolchainDependent: boolean }
  | { kind: 'undecided'; reason: string };

export interface ArchSolveResult {
  arch: string;
  verdict: ArchVerdict;
  /** The pins with what conf gave: with the extra pins when satisfiable, else base + pins. */
  pins: SolvePinRow[];
  stats: {
    symbols: number;
    variables: number;
    clauses: number;
    satCalls: number;
    confRuns: number;
    ms: number;
  };
}

export interface SolveReport {
  verdict: 'satisfiable' | 'unsatisfiable' | 'undecided';
  source: { spec: string; label: string; version: string };
  base: string;
  toolchain: string;
  pins: string[];
  forbid: string[];
  arches: ArchSolveResult[];
}

export type SolveEvent =
  | { type: 'solve:start'; arch: string; pins: number }
  | {
      type: 'solve:encoded';
      arch: string;
      symbols: number;
      variables: number;
      clauses: number;
      ms: number;
    }
  | { type: 'solve:proof'; arch: string; satisfiable: boolean; ms: number }
  | { type: 'solve:candidate'; arch: string; extra: string[] }
  | { type: 'solve:refuted'; arch: string; extra: string[]; why: string }
  | { type: 'solve:verdict'; arch: string; verdict: ArchVerdict['kind']; ms: number };
