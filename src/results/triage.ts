// Triage of a run's new failures as data: for each failure the culprit commit (and how it was
// verified), the smallest config that breaks, the report mail; and for every broken cell its
// "why" (the pins that did not hold with their explanations, the first errors). Stored by
// src/store, rendered by src/report, produced by src/triage. Pure.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { PinStatus } from '../config/verify.js';

/**
 * done: every step that applies ran (their own outcomes say what they found); skipped: not
 * triaged (budget, nothing to triage); incomplete: stopped (Ctrl-C, crash, time budget) and
 * `kmatrix triage RUN_ID` continues it; infra-error: the machine failed a step, no blame.
 */
export type TriageStatus = 'done' | 'skipped' | 'incomplete' | 'infra-error';
export const TRIAGE_STATUSES: readonly TriageStatus[] = [
  'done',
  'skipped',
  'incomplete',
  'infra-error',
];

/**
 * confirmed: the culprit rebuilt bad and its parent good; revert-fixes: also the revert of the
 * culprit on tonight's commit builds good; unconfirmed: a rebuild disagreed; not-run: no
 * verification (no culprit, triage.verify false, or it could not run: see `verify`).
 */
export type Verification = 'confirmed' | 'revert-fixes' | 'unconfirmed' | 'not-run';

export interface CommitRef {
  commit: string;
  subject: string;
  author: string;
  date: string;
}

/** How the culprit was looked for, or why it was not. */
export interface CulpritSearch {
  method: 'require' | 'build' | 'none';
  /** The equivalent kmatrix bisect command line. */
  command: string | null;
  good: string | null;
  bad: string | null;
  /** Where the good commit came from: the baseline run, or its merge base with tonight's. */
  goodFrom: 'baseline' | 'merge-base' | null;
  /** Object files each step built instead of the kernel image (compiler errors only). */
  objects: string[] | null;
  outcome: 'found' | 'inconclusive' | 'endpoints' | 'not-run' | 'error';
  /** Why not run, the merge-base note, the candidates left, the endpoints' problem. */
  note: string | null;
  steps: number;
  /** The Kconfig hunks of the culprit that name symbols of the explanation (config causes). */
  hunks: { file: string; header: string; text: string }[];
  /** `git diff --stat` of the culprit (build causes). */
  diffstat: string | null;
  /** Required symbols explained at the culprit's parent and at the culprit (config causes). */
  explanation: {
    before: { symbol: string; text: string }[];
    after: { symbol: string; text: string }[];
  } | null;
  durationMs: number;
}

export interface VerifyStep {
  what: 'culprit' | 'parent' | 'revert';
  /** The commit built; for the revert, tonight's commit (the revert is applied on top). */
  commit: string;
  expected: 'bad' | 'good';
  got: 'bad' | 'good' | 'skip' | 'does-not-apply' | 'not-run';
  why: string;
  ms: number;
}

export interface MinimalSymbol {
  symbol: string;
  /** Value in the failing config (and in the minimal set). */
  value: string;
  /** Value in the passing config it was applied to. */
  from: string;
  /** The Kconfig model's explanation of the value in the failing config. */
  why: string | null;
}

export interface Minimization {
  outcome: 'found' | 'not-reproduced' | 'endpoints' | 'not-run' | 'error';
  note: string | null;
  /** The passing config the minimal set is applied to. */
  good: string | null;
  symbols: MinimalSymbol[];
  /** What olddefconfig derives from the minimal set (with the model's explanation). */
  derived: MinimalSymbol[];
  tests: number;
  durationMs: number;
}

export interface TriageRecord {
  status: TriageStatus;
  /** One line: why skipped, incomplete or infra-error; what was not possible otherwise. */
  reason: string | null;
  /** Only a verified culprit (confirmed or revert-fixes) is the cause. */
  culprit: CommitRef | null;
  verification: Verification;
  minimalConfig: { symbol: string; value: string }[] | null;
  /** reports/<n>.txt, relative to the run directory. */
  report: string | null;
  /** The first bad commit when it could not be verified: a suspect, not the cause. */
  suspect: CommitRef | null;
  /** The new problem fingerprints this triage is about. */
  fingerprints: string[];
  /** The cell that was triaged; cells with the same failure share its record. */
  cell: string;
  sharedWith: string[];
  search: CulpritSearch;
  verify: VerifyStep[];
  minimization: Minimization | null;
  durationMs: number;
  finishedAt: string;
}

/** A pin that did not hold, with the Kconfig model's chain as `kmatrix config` prints it. */
export interface PinWhy {
  symbol: string;
  requested: string;
  effective: string;
  status: PinStatus;
  explanation: string | null;
}

/** Why a broken cell is broken, shown inline in every report. */
export interface CellWhy {
  pins: PinWhy[];
  /** The first error diagnostics of the build (at most FIRST_ERRORS). */
  errors: Diagnostic[];
  /** Something that could not be explained, and why. */
  note: string | null;
}

export const FIRST_ERRORS = 5;

/** Errors first: compiler, assembler, linker, modpost before make's own "Error 2" lines. */
export function firstErrors(ds: readonly Diagnostic[], max = FIRST_ERRORS): Diagnostic[] {
  const errors = ds.filter((d) => d.severity === 'error');
  const specific = errors.filter((d) => d.kind !== 'make');
  return (specific.length ? specific : errors).slice(0, max);
}

export function emptySearch(note: string | null): CulpritSearch {
  return {
    method: 'none',
    command: null,
    good: null,
    bad: null,
    goodFrom: null,
    objects: null,
    outcome: 'not-run',
    note,
    steps: 0,
    hunks: [],
    diffstat: null,
    explanation: null,
    durationMs: 0,
  };
}

/** A record for a failure that was not (or not yet) triaged. */
export function placeholderRecord(o: {
  status: Extract<TriageStatus, 'skipped' | 'incomplete'>;
  reason: string;
  cell: string;
  sharedWith: string[];
  fingerprints: string[];
}): TriageRecord {
  return {
    status: o.status,
    reason: o.reason,
    culprit: null,
    verification: 'not-run',
    minimalConfig: null,
    report: null,
    suspect: null,
    fingerprints: o.fingerprints,
    cell: o.cell,
    sharedWith: o.sharedWith,
    search: emptySearch(null),
    verify: [],
    minimization: null,
    durationMs: 0,
    finishedAt: new Date().toISOString(),
  };
}
