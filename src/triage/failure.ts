// The triage of one failure, in stages: the culprit search, its verification, the smallest
// config, the report. Each stage's outcome is kept as it completes; a stage that fails on the
// machine (a daemon gone, git failing) ends the triage as infra-error with what was found
// before it, and a commit is never blamed on such a failure. A stop (Ctrl-C, the time
// budget) ends it as incomplete.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findArch, type Arch } from '../arch/arches.js';
import type { StepVerdict } from '../bisect/search.js';
import { errorMessage, isKmatrixError } from '../core/errors.js';
import type { Cell } from '../matrix/cell.js';
import { lowPriority } from '../process/priority.js';
import type { TriageSettings } from '../matrix/load.js';
import type { CellResult } from '../results/result.js';
import {
  emptySearch,
  type CellWhy,
  type TriageRecord,
  type TriageStatus,
} from '../results/triage.js';
import type { SourceCommit } from '../store/store.js';
import { findCulprit } from './culprit.js';
import type { TriageEnv } from './env.js';
import { writeTriageMail } from './mail.js';
import { minimizeConfig } from './minimize.js';
import {
  culpritPredicate,
  historyFor,
  minimizable,
  objectsFailedInBuild,
  type CulpritPredicate,
  type FailureGroup,
} from './plan.js';
import { verificationOf, verifyCulprit } from './verify.js';

/** What the triage of a failure knows about the run and its baseline. */
export interface RunFacts {
  runId: string;
  runDir: string;
  cells: readonly Cell[];
  results: ReadonlyMap<string, CellResult>;
  sources: Readonly<Record<string, SourceCommit>>;
  baseline:
    | {
        runId: string;
        results: ReadonlyMap<string, CellResult>;
        sources: Readonly<Record<string, SourceCommit>>;
      }
    | undefined;
  why: ReadonlyMap<string, CellWhy>;
  settings: TriageSettings;
}

export async function triageFailure(
  g: FailureGroup,
  run: RunFacts,
  env: TriageEnv,
): Promise<TriageRecord> {
  const started = Date.now();
  const rec: TriageRecord = {
    status: 'done',
    reason: null,
    culprit: null,
    verification: 'not-run',
    minimalConfig: null,
    report: null,
    suspect: null,
    fingerprints: g.fingerprints,
    cell: g.cell.id,
    sharedWith: g.members.slice(1).map((c) => c.id),
    search: emptySearch(null),
    verify: [],
    minimization: null,
    durationMs: 0,
    finishedAt: '',
  };
  const arch = findArch(g.cell.arch);
  const work = join(env.scratch, `triage-${process.pid}-${randomBytes(4).toString('hex')}`);
  const notes: string[] = [];
  try {
    if (!arch) throw new Error(`unknown arch ${g.cell.arch}`);
    const pred = culpritPredicate(g.fingerprints, g.cell, g.result);
    // The smallest config does not depend on the culprit: it is looked for at the same time
    // (on tonight's tree, its own O= dirs), which fills the cores the culprit stage's serial
    // parts (git, conf, make's own startup, containers) leave idle.
    // The first stage to fail on the machine stops the other: the triage ends with its error.
    const stop = new AbortController();
    const both = { ...env, signal: AbortSignal.any([env.signal, stop.signal]) };
    let failed: { error: unknown } | undefined;
    const guard = (p: Promise<void>) =>
      p.catch((error: unknown) => {
        failed ??= { error };
        stop.abort(error);
      });
    const minNotes: string[] = [];
    // An object-only search and the minimization both need the cell's objects built with its
    // config at tonight's commit (their failing end). The run's build tells when it failed
    // compiling exactly those objects; else the search builds them once, as its first step.
    const objectsBad =
      pred.kind === 'build' &&
      pred.objects &&
      objectsFailedInBuild(pred.objects, g.result.diagnostics)
        ? `the build of run ${run.runId} failed compiling ${pred.objects.join(' ')} with it`
        : undefined;
    let tonight!: (why: string | undefined) => void;
    const tonightBad = new Promise<string | undefined>((resolve) => (tonight = resolve));
    if (objectsBad) tonight(objectsBad);
    // The cell's .config as the run resolved it at tonight's commit: the culprit search's
    // steps at commits with the same Kconfig inputs use it instead of running conf again,
    // and the minimization starts from it.
    const file = g.result.files.config;
    const cellConfig = file
      ? await readFile(join(run.runDir, file), 'utf8').catch(() => undefined)
      : undefined;
    const stage = { g, arch, pred, run, rec, work, cellConfig, env: both };
    await Promise.all([
      guard(
        culpritStage({ ...stage, notes }, objectsBad, (v, why) =>
          tonight(
            v === 'bad' ? `${why} (the culprit search's build of tonight's commit)` : undefined,
          ),
        ).finally(() => tonight(undefined)),
      ),
      // Off the critical path (it builds nothing when its ends are known): its conf runs
      // and git take the CPU time the culprit search leaves; its builds are not niced.
      guard(
        minimizeStage(
          { ...stage, env: { ...both, runner: lowPriority(both.runner) }, notes: minNotes },
          tonightBad,
        ),
      ),
    ]);
    if (failed) throw failed.error;
    notes.push(...minNotes);
  } catch (e) {
    const stopped = env.signal.aborted;
    rec.status = stopped ? 'incomplete' : 'infra-error';
    notes.unshift(
      stopped
        ? `stopped (${String(env.signal.reason ?? 'interrupted')}); kmatrix triage ${run.runId} continues it`
        : oneLine(e),
    );
  } finally {
    const r = await env.runner.run('rm', ['-rf', '--', work]);
    if (r.failed) notes.push(`could not remove ${work}`);
  }
  rec.reason = notes.length ? notes.join('; ') : null;
  rec.durationMs = Date.now() - started;
  rec.finishedAt = new Date().toISOString();
  if (arch && rec.status !== 'incomplete')
    rec.report = await writeTriageMail({
      runId: run.runId,
      runDir: run.runDir,
      g,
      arch,
      record: rec,
      why: run.why.get(g.cell.id),
      source: run.sources[g.cell.source],
    });
  return rec;
}

/** What a stage of one failure's triage works with; it fills `rec` and `notes`. */
interface StageContext {
  g: FailureGroup;
  arch: Arch;
  pred: CulpritPredicate;
  run: RunFacts;
  rec: TriageRecord;
  notes: string[];
  work: string;
  /** The cell's .config from the run, when the run kept one. */
  cellConfig: string | undefined;
  env: TriageEnv;
}

/** The smallest config of a build failure (the others say why there is none). */
async function minimizeStage(
  { g, arch, pred, run, rec, notes, work, cellConfig, env }: StageContext,
  /** Why tonight's objects fail (an object-only search's first step), or undefined. */
  tonightBad: Promise<string | undefined>,
): Promise<void> {
  const skip = minimizable(g.result, pred);
  if (skip !== null || pred.kind !== 'build') {
    if (skip) notes.push(`smallest config: ${skip}`);
    return;
  }
  env.note('looking for the smallest config');
  rec.minimization = await minimizeConfig(
    {
      g,
      arch,
      match: pred.match,
      objects: pred.objects,
      settings: run.settings,
      runDir: run.runDir,
      badText: cellConfig,
      cells: run.cells,
      results: run.results,
      dir: join(work, 'minimize'),
      tonightBad,
    },
    env,
  );
  if (rec.minimization.outcome === 'found')
    rec.minimalConfig = rec.minimization.symbols.map((s) => ({ symbol: s.symbol, value: s.value }));
}

/** The culprit search and its verification; fills the record as they complete. */
async function culpritStage(
  { g, arch, pred, run, rec, notes, work, cellConfig, env }: StageContext,
  /** Why the objects of an object-only search are known to fail at tonight's commit. */
  objectsBad: string | undefined,
  onTonight: (verdict: StepVerdict, why: string) => void,
): Promise<void> {
  const now = run.sources[g.cell.source];
  const before = run.baseline;
  const history = historyFor({
    cell: g.cell,
    now: now ? { repo: now.repo, commit: now.commit } : undefined,
    baseline: before
      ? {
          runId: before.runId,
          result: before.results.get(g.cell.id),
          commit: before.sources[g.cell.source]?.commit,
        }
      : undefined,
  });
  env.note(
    history.ok
      ? `bisecting ${history.good.slice(0, 12)}..${history.bad.slice(0, 12)}`
      : history.reason,
  );
  const found = await findCulprit(g, arch, history, pred, run.runId, env, {
    keepDir: join(work, 'bisect'),
    ...(cellConfig && history.ok ? { tonightConfig: cellConfig } : {}),
    ...(objectsBad ? { objectsBad } : {}),
    onTonight,
  });
  rec.search = found.search;
  if (found.search.outcome !== 'found' && found.search.note)
    notes.push(`culprit: ${found.search.note}`);
  if (!found.suspect || !found.parent || pred.kind === 'none' || !history.ok) return;
  rec.suspect = found.suspect;
  if (!run.settings.verify) {
    notes.push('verification: triage.verify is false, so the first bad commit is a suspect');
    return;
  }
  env.note(
    `verifying ${found.suspect.commit.slice(0, 12)}: rebuilding it, its parent and the revert`,
  );
  rec.verify = await verifyCulprit(
    {
      g,
      arch,
      pred,
      repo: history.repo,
      suspect: found.suspect,
      parent: found.parent,
      tonight: history.bad,
      dir: join(work, 'verify'),
      ...(found.tree ? { tree: found.tree } : {}),
    },
    env,
  );
  rec.verification = verificationOf(rec.verify);
  if (rec.verification === 'confirmed' || rec.verification === 'revert-fixes') {
    rec.culprit = found.suspect;
    rec.suspect = null;
  } else {
    const off = rec.verify.filter((v) => v.what !== 'revert' && v.got !== v.expected);
    notes.push(
      `verification: ${off.map((v) => `the ${v.what} rebuilt ${v.got} (expected ${v.expected})`).join(', ') || 'not run'}; reported as a suspect`,
    );
  }
}

/** The error in one line: the message, and the last line of what the command said (git's why). */
function oneLine(e: unknown): string {
  const first = errorMessage(e).split('\n')[0] ?? '';
  if (!isKmatrixError(e)) return `internal error: ${first}`;
  const said = (e.detail ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop();
  return said ? `${first}: ${said}` : first;
}

/** Status of a record that could not be produced at all (an exception before any stage). */
export function failedStatus(signal: AbortSignal): TriageStatus {
  return signal.aborted ? 'incomplete' : 'infra-error';
}
