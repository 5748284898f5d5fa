// Comparing a run with the previous completed run of the same matrix, cell by cell (by id)
// and problem by problem (by fingerprint, never by message text): what newly broke, what
// got fixed, what still fails, which warnings are new. Pure.
import { isBroken, type CellResult } from './result.js';

export type Change =
  'new-failure' | 'fixed' | 'still-failing' | 'new-warning' | 'ok' | 'infra' | 'not-run';

export interface CellComparison {
  change: Change;
  /** Problem fingerprints present now and not in the baseline cell. */
  newProblems: string[];
  /** Problem fingerprints of the baseline cell that are gone. */
  fixedProblems: string[];
  newWarnings: string[];
  /** Status of the same cell in the baseline run; null when it was not there. */
  baselineStatus: string | null;
}

/**
 * What is wrong with a cell, as fingerprints: error diagnostics (make's own "Error 2" lines
 * only when nothing more specific was found), pins that did not hold, timeouts.
 */
export function problemFingerprints(r: CellResult): string[] {
  if (!isBroken(r.status)) return [];
  const out = new Set<string>();
  for (const p of r.pins) if (p.status !== 'holds') out.add(`pin:${p.symbol}:${p.status}`);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  const specific = errors.filter((d) => d.kind !== 'make');
  for (const d of specific.length ? specific : errors) out.add(d.fingerprint);
  if (r.status === 'timeout') out.add(`status:timeout:${r.stage}`);
  if (out.size === 0) out.add(`status:${r.status}:${r.stage}`);
  return [...out].sort();
}

function warningFingerprints(r: CellResult): string[] {
  return [
    ...new Set(r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.fingerprint)),
  ].sort();
}

export function compareCell(
  now: CellResult | undefined,
  before: CellResult | undefined,
): CellComparison {
  const baselineStatus = before?.status ?? null;
  if (!now || now.status === 'cancelled')
    return {
      change: 'not-run',
      newProblems: [],
      fixedProblems: [],
      newWarnings: [],
      baselineStatus,
    };
  const nowP = problemFingerprints(now);
  const beforeP = before ? problemFingerprints(before) : [];
  const newProblems = nowP.filter((f) => !beforeP.includes(f));
  const fixedProblems =
    now.status === 'infra-error' ? [] : beforeP.filter((f) => !nowP.includes(f));
  const beforeW = before ? warningFingerprints(before) : [];
  // Without a baseline cell every warning would be "new"; only changes are news.
  const newWarnings =
    before && before.stage === now.stage
      ? warningFingerprints(now).filter((f) => !beforeW.includes(f))
      : [];
  let change: Change;
  if (now.status === 'infra-error') change = 'infra';
  else if (isBroken(now.status)) change = newProblems.length > 0 ? 'new-failure' : 'still-failing';
  else if (before && isBroken(before.status)) change = 'fixed';
  else change = newWarnings.length > 0 ? 'new-warning' : 'ok';
  return { change, newProblems, fixedProblems, newWarnings, baselineStatus };
}

export interface RunComparison {
  baselineRunId: string | null;
  cells: Map<string, CellComparison>;
  counts: Record<Change, number>;
}

export function compareRun(
  cellIds: readonly string[],
  now: ReadonlyMap<string, CellResult>,
  baseline: { runId: string; results: ReadonlyMap<string, CellResult> } | undefined,
): RunComparison {
  const counts: Record<Change, number> = {
    'new-failure': 0,
    fixed: 0,
    'still-failing': 0,
    'new-warning': 0,
    ok: 0,
    infra: 0,
    'not-run': 0,
  };
  const cells = new Map<string, CellComparison>();
  for (const id of cellIds) {
    const c = compareCell(now.get(id), baseline?.results.get(id));
    cells.set(id, c);
    counts[c.change]++;
  }
  return { baselineRunId: baseline?.runId ?? null, cells, counts };
}

/** 0: nothing newly broken; 1: something is; 2: the run was stopped or the machine failed it. */
export function exitCodeFor(c: RunComparison, interrupted: boolean): 0 | 1 | 2 {
  if (interrupted || c.counts['not-run'] > 0) return 2;
  if (c.counts['new-failure'] > 0) return 1;
  if (c.counts.infra > 0) return 2;
  return 0;
}
