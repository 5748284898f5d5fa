// The triage stage of a run: after every cell is recorded and compared, each distinct new
// failure within the budget is triaged in turn (each build failure uses the whole machine;
// failures of config-only cells run beside them, they only run conf), and its
// record is stored for every cell that shares it as soon as it is known. Failures waiting
// their turn are stored as `incomplete` first, so a stop or a crash leaves them so and
// `kmatrix triage RUN_ID` continues with them. The work is injected (TriageWork) so the
// stage's bookkeeping is tested without builds.
import { formatDuration } from '../report/run-progress.js';
import { cellLabel } from '../matrix/cell.js';
import type { RunEvent } from '../results/events.js';
import { placeholderRecord, type TriageRecord } from '../results/triage.js';
import type { Cell } from '../matrix/cell.js';
import type { CellResult } from '../results/result.js';
import type { CellWhy } from '../results/triage.js';
import type { RunFacts } from './failure.js';
import { selectGroups, type FailureGroup } from './plan.js';

export interface TriageWork {
  /** The why of every broken cell (whyOfBroken, with or without pin explanations). */
  why(
    cells: readonly Cell[],
    results: ReadonlyMap<string, CellResult>,
    runDir: string,
  ): Promise<Map<string, CellWhy>>;
  triage(
    g: FailureGroup,
    run: RunFacts,
    ctx: { signal: AbortSignal; note: (message: string) => void },
  ): Promise<TriageRecord>;
}

export interface StageOptions {
  run: RunFacts;
  groups: readonly FailureGroup[];
  /** Records from an earlier triage of this run. */
  existing: ReadonlyMap<string, TriageRecord>;
  /** `kmatrix triage --cell`: triage exactly these cells' failures again. */
  only?: ReadonlySet<string>;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  /** Store one failure's record for all its cells (called before anything else happens). */
  record: (cellIds: string[], rec: TriageRecord) => void;
  work: TriageWork;
}

export interface StageOutcome {
  /** Every selected failure got a final record (none is left incomplete). */
  complete: boolean;
  /** By cell id, every new-failure cell's record (kept, new, skipped or incomplete). */
  records: Map<string, TriageRecord>;
}

export async function runTriageStage(o: StageOptions): Promise<StageOutcome> {
  const started = Date.now();
  const { settings } = o.run;
  const selections = selectGroups(o.groups, o.existing, settings.maxFailures, o.only);
  const records = new Map<string, TriageRecord>();
  const put = (g: FailureGroup, rec: TriageRecord) => {
    const ids = g.members.map((c) => c.id);
    o.record(ids, rec);
    for (const id of ids) records.set(id, rec);
  };
  const todo = selections.filter((s) => s.action === 'triage').map((s) => s.group);
  o.emit({
    type: 'triage:start',
    runId: o.run.runId,
    failures: o.groups.reduce((n, g) => n + g.members.length, 0),
    distinct: o.groups.length,
    todo: todo.length,
  });
  const placeholder = (g: FailureGroup, status: 'skipped' | 'incomplete', reason: string) =>
    placeholderRecord({
      status,
      reason,
      cell: g.cell.id,
      sharedWith: g.members.slice(1).map((c) => c.id),
      fingerprints: g.fingerprints,
    });
  for (const s of selections) {
    if (s.action === 'keep') for (const c of s.group.members) records.set(c.id, s.record);
    else if (s.action === 'skip') put(s.group, placeholder(s.group, 'skipped', s.reason));
    else put(s.group, placeholder(s.group, 'incomplete', 'waiting: not triaged yet'));
  }
  const budget = AbortSignal.any([o.signal, AbortSignal.timeout(Math.max(1, settings.timeoutMs))]);
  let complete = true;
  const triageOne = async (g: FailureGroup) => {
    if (budget.aborted) {
      complete = false;
      const why = o.signal.aborted
        ? `the triage was stopped before this failure; kmatrix triage ${o.run.runId} continues it`
        : `the triage time budget (triage.timeout, ${formatDuration(settings.timeoutMs)}) ran out before this failure; kmatrix triage ${o.run.runId} continues it`;
      put(g, placeholder(g, 'incomplete', why));
      return;
    }
    const ref = { id: g.cell.id, label: cellLabel(g.cell) };
    const t0 = Date.now();
    const rec = await o.work.triage(g, o.run, {
      signal: budget,
      note: (message) => o.emit({ type: 'triage:step', cell: ref, message }),
    });
    put(g, rec);
    if (rec.status === 'incomplete') complete = false;
    o.emit({
      type: 'triage:done',
      cell: ref,
      status: rec.status,
      culprit: rec.culprit?.commit ?? null,
      verification: rec.verification,
      ms: Date.now() - t0,
      ...(rec.reason ? { reason: rec.reason } : {}),
    });
  };
  // Two lanes, each one failure at a time: failures of config-only cells (pins: conf runs,
  // no build) go beside those that build, which leave a core idle between their builds.
  const lane = async (gs: readonly FailureGroup[]) => {
    for (const g of gs) await triageOne(g);
  };
  const lanes = await Promise.allSettled([
    lane(todo.filter((g) => g.cell.build)),
    lane(todo.filter((g) => !g.cell.build)),
  ]);
  for (const l of lanes) if (l.status === 'rejected') throw l.reason;
  o.emit({ type: 'triage:end', runId: o.run.runId, ms: Date.now() - started, complete });
  return { complete, records };
}
