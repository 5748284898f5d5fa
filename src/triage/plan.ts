// What the triage of a run will do, decided purely from the run's cells, results and
// comparison: which new failures are the same failure (same fingerprints, source and
// toolchain: triaged once), which fit the budget, how each one's culprit can be looked for
// (a pin that stopped holding: bisect --require; a build error: bisect --build --match), from
// which good commit, and whether its config can be minimized.
import type { Pin } from '../config/pin.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Cell } from '../matrix/cell.js';
import type { CellComparison } from '../results/compare.js';
import type { CellResult } from '../results/result.js';
import type { TriageRecord } from '../results/triage.js';

export interface FailureGroup {
  /** Same source, toolchain and new fingerprints: one failure. */
  key: string;
  /** 1-based, in the run's display order: also the report's number (reports/<n>.txt). */
  n: number;
  /** The cell that is triaged. */
  cell: Cell;
  result: CellResult;
  /** Every cell with this failure (the triaged one first). */
  members: Cell[];
  fingerprints: string[];
}

export function failureKey(
  cell: Pick<Cell, 'source' | 'toolchain'>,
  fps: readonly string[],
): string {
  return JSON.stringify([cell.source, cell.toolchain, [...fps].sort()]);
}

/**
 * New failures grouped by failure, in display order. The cell triaged for a group is a
 * config-only one when there is one (a pin bisect needs no build), else the first.
 */
export function groupFailures(
  cells: readonly Cell[],
  results: ReadonlyMap<string, CellResult>,
  comparison: ReadonlyMap<string, CellComparison>,
): FailureGroup[] {
  const groups = new Map<string, { members: Cell[]; fps: string[] }>();
  for (const c of cells) {
    const cmp = comparison.get(c.id);
    if (cmp?.change !== 'new-failure' || !results.has(c.id)) continue;
    const key = failureKey(c, cmp.newProblems);
    const g = groups.get(key) ?? { members: [], fps: [...cmp.newProblems].sort() };
    g.members.push(c);
    groups.set(key, g);
  }
  return [...groups].map(([key, g], i) => {
    const cell = g.members.find((c) => !c.build) ?? g.members[0]!;
    return {
      key,
      n: i + 1,
      cell,
      result: results.get(cell.id)!,
      members: [cell, ...g.members.filter((c) => c !== cell)],
      fingerprints: g.fps,
    };
  });
}

export type Selection =
  | { group: FailureGroup; action: 'triage' }
  | { group: FailureGroup; action: 'keep'; record: TriageRecord }
  | { group: FailureGroup; action: 'skip'; reason: string };

/**
 * Which groups to triage now. Without `only`: groups already triaged (done, skipped,
 * infra-error) keep their record, incomplete or missing ones are triaged, and groups past
 * `maxFailures` are skipped. With `only` (cell ids): exactly the groups of those cells are
 * triaged again, whatever the budget says; the others keep what they have.
 */
export function selectGroups(
  groups: readonly FailureGroup[],
  existing: ReadonlyMap<string, TriageRecord>,
  maxFailures: number,
  only?: ReadonlySet<string>,
): Selection[] {
  return groups.map((group, i): Selection => {
    const record = existing.get(group.cell.id);
    if (only) {
      if (group.members.some((c) => only.has(c.id))) return { group, action: 'triage' };
      return record
        ? { group, action: 'keep', record }
        : { group, action: 'skip', reason: 'not selected by --cell' };
    }
    if (record && record.status !== 'incomplete') return { group, action: 'keep', record };
    if (i >= maxFailures)
      return {
        group,
        action: 'skip',
        reason: `over the budget: triage.max_failures is ${maxFailures} (run kmatrix triage RUN_ID --cell ${group.cell.id} for this one)`,
      };
    return { group, action: 'triage' };
  });
}

export type CulpritPredicate =
  | { kind: 'require'; requires: Pin[] }
  | { kind: 'build'; match: string[]; objects: string[] | null }
  | { kind: 'none'; reason: string };

/**
 * The bisect predicate that looks for a failure's culprit: the pins that stopped holding are
 * required (bisect --require), else the new error fingerprints must appear (bisect --build
 * --match). Timeouts and Kconfig failures are not bisected.
 */
export function culpritPredicate(
  fps: readonly string[],
  cell: Pick<Cell, 'pins'>,
  result: Pick<CellResult, 'diagnostics'>,
): CulpritPredicate {
  const pinSyms = new Set(
    fps.flatMap((f) => {
      const m = /^pin:([A-Za-z0-9_]+):/.exec(f);
      return m ? [m[1]!] : [];
    }),
  );
  if (pinSyms.size) {
    const requires = cell.pins.filter((p) => pinSyms.has(p.symbol));
    if (requires.length) return { kind: 'require', requires };
  }
  const match = fps.filter((f) => !f.startsWith('pin:') && !f.startsWith('status:'));
  if (match.length)
    return { kind: 'build', match, objects: objectGoals(match, result.diagnostics) };
  if (fps.some((f) => f.startsWith('status:timeout')))
    return { kind: 'none', reason: 'a timeout is not bisected (it says nothing about one commit)' };
  return {
    kind: 'none',
    reason: `nothing to bisect on: ${fps.join(', ')} (no pin, no error diagnostic)`,
  };
}

const TRANSLATION_UNIT = /^[A-Za-z0-9_][A-Za-z0-9_.+/-]*\.(c|S)$/;

/**
 * The object files whose compilation gives the matched errors, when every one of them is a
 * compiler or assembler error in a .c or .S file; null when one is not (a header, the
 * linker, modpost, make itself): then only the full targets can show it.
 */
export function objectGoals(match: readonly string[], ds: readonly Diagnostic[]): string[] | null {
  const out = new Set<string>();
  for (const fp of match) {
    const hits = ds.filter((d) => d.fingerprint === fp && d.severity === 'error');
    if (hits.length === 0) return null;
    for (const d of hits) {
      if (d.kind !== 'compiler' && d.kind !== 'assembler') return null;
      if (!TRANSLATION_UNIT.test(d.file) || d.file.split('/').includes('..')) return null;
      out.add(d.file.replace(/\.[cS]$/, '.o'));
    }
  }
  return [...out].sort();
}

/**
 * Whether the build that gave these diagnostics failed compiling exactly `objects`: make
 * names each failing target, and when the only files it failed to make are these objects
 * (the rest of its failing targets are the directories and top-level goals above them),
 * every error came from compiling them, so `make <objects>` with the same config at the same
 * commit fails with the same errors. A bisect then knows that end without building it. Not
 * when another file target failed too (an error in F.c may come from a G.c that #includes
 * it), or when an object did not fail on its own (the log was cut, or make named another).
 */
export function objectsFailedInBuild(
  objects: readonly string[],
  ds: readonly Diagnostic[],
): boolean {
  const targets = new Set(
    ds.filter((d) => d.kind === 'make' && d.severity === 'error' && d.file).map((d) => d.file),
  );
  const fileTarget = (t: string) => /\.[A-Za-z0-9_]+$/.test(t.slice(t.lastIndexOf('/') + 1));
  return (
    objects.length > 0 &&
    objects.every((o) => targets.has(o)) &&
    [...targets].filter(fileTarget).every((t) => objects.includes(t))
  );
}

export type History =
  | {
      ok: true;
      repo: string;
      good: string;
      bad: string;
      baselineRunId: string;
      /** The cell passed in the baseline run (not just lacked this failure). */
      baselinePassed: boolean;
    }
  | { ok: false; reason: string };

/**
 * Where to bisect from: the same cell passed (or lacked these problems) in the baseline run,
 * at another commit of the same git source.
 */
export function historyFor(o: {
  cell: Pick<Cell, 'source' | 'id'>;
  now: { repo: string; commit: string } | undefined;
  baseline:
    | {
        runId: string;
        result: Pick<CellResult, 'status'> | undefined;
        commit: string | undefined;
      }
    | undefined;
}): History {
  const { cell, now, baseline } = o;
  if (!cell.source.startsWith('git:'))
    return {
      ok: false,
      reason: `source ${cell.source} has no history to bisect (only git: sources do); the config is minimized only`,
    };
  if (!now) return { ok: false, reason: `the run did not record the commit of ${cell.source}` };
  if (!baseline)
    return { ok: false, reason: 'no earlier completed run of this matrix to bisect from' };
  if (!baseline.result)
    return {
      ok: false,
      reason: `the cell is new since run ${baseline.runId}: no good commit to bisect from`,
    };
  if (baseline.result.status === 'infra-error' || baseline.result.status === 'cancelled')
    return {
      ok: false,
      reason: `the cell did not run in run ${baseline.runId} (${baseline.result.status}): no good commit`,
    };
  if (!baseline.commit)
    return {
      ok: false,
      reason: `run ${baseline.runId} did not record its commit of ${cell.source} (it was recorded before kmatrix stored commits)`,
    };
  if (baseline.commit === now.commit)
    return {
      ok: false,
      reason: `run ${baseline.runId} built the same commit ${now.commit.slice(0, 12)}: the failure did not come with a commit (a toolchain, image or matrix change?)`,
    };
  return {
    ok: true,
    repo: now.repo,
    good: baseline.commit,
    bad: now.commit,
    baselineRunId: baseline.runId,
    baselinePassed: baseline.result.status === 'pass',
  };
}

/** Build failures of generated configs are minimized; pins and timeouts are not. */
export function minimizable(
  result: Pick<CellResult, 'status' | 'stage'>,
  pred: CulpritPredicate,
): string | null {
  if (result.status !== 'fail' || result.stage !== 'build')
    return result.status === 'config-unsatisfied'
      ? 'a pin that did not hold is explained by the Kconfig model (see the why); there is no build to minimize'
      : `a ${result.status} in the ${result.stage} stage is not minimized`;
  if (pred.kind !== 'build') return 'no error diagnostic to look for';
  return null;
}
