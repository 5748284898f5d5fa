// The culprit of a new failure: `kmatrix bisect` between the baseline run's commit and
// tonight's, with the predicate plan.ts chose (--require for pins, --build --match for
// errors, object-only steps when the errors allow it). A baseline commit that is no longer
// an ancestor of tonight's (a rewritten branch) is replaced by their merge base, and said so.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import { bisect, type BisectRequest, type BisectResult, type Predicate } from '../bisect/run.js';
import { isAncestor, type TreeSeed } from '../bisect/git.js';
import { workerTree } from '../bisect/workers.js';
import type { BisectEvent } from '../bisect/events.js';
import type { StepVerdict } from '../bisect/search.js';
import { bisectEventLine } from '../report/bisect.js';
import { shellJoin } from '../process/shell-quote.js';
import { EXPORT_STAMP } from '../source/git.js';
import type { CommitRef, CulpritSearch } from '../results/triage.js';
import { emptySearch } from '../results/triage.js';
import { ObjectGoalRuntime } from './objects.js';
import type { CulpritPredicate, FailureGroup, History } from './plan.js';
import type { TriageEnv } from './env.js';

export interface CulpritOutcome {
  search: CulpritSearch;
  /** The first bad commit (not yet verified). */
  suspect: CommitRef | null;
  /** Its first parent. */
  parent: string | null;
  /** A build bisect's clone (with its O= dir), left for the verification to go on in. */
  tree?: string;
}

/** Resolve the good end: the baseline commit when it is an ancestor, else the merge base. */
async function goodEnd(
  env: TriageEnv,
  h: Extract<History, { ok: true }>,
): Promise<
  { good: string; from: 'baseline' | 'merge-base'; note: string | null } | { reason: string }
> {
  const exists = await env.runner.run('git', [
    '-C',
    h.repo,
    'cat-file',
    '-e',
    `${h.good}^{commit}`,
  ]);
  if (exists.failed)
    return {
      reason: `the baseline commit ${h.good.slice(0, 12)} (run ${h.baselineRunId}) is not in ${h.repo} any more (a force-pushed branch?); without it there is no merge base to bisect from`,
    };
  if (await isAncestor(env.runner, h.repo, h.good, h.bad))
    return { good: h.good, from: 'baseline', note: null };
  const mb = await env.runner.run('git', ['-C', h.repo, 'merge-base', h.good, h.bad]);
  const base = mb.stdout.trim();
  if (mb.failed || !/^[0-9a-f]{40,64}$/.test(base))
    return {
      reason: `the baseline commit ${h.good.slice(0, 12)} (run ${h.baselineRunId}) is not an ancestor of ${h.bad.slice(0, 12)} and they have no merge base`,
    };
  return {
    good: base,
    from: 'merge-base',
    note: `the baseline commit ${h.good.slice(0, 12)} (run ${h.baselineRunId}) is not an ancestor of ${h.bad.slice(0, 12)} (the branch was rewritten); bisecting from their merge base ${base.slice(0, 12)}`,
  };
}

export async function findCulprit(
  g: FailureGroup,
  arch: Arch,
  h: History,
  pred: CulpritPredicate,
  runId: string,
  env: TriageEnv,
  opts: {
    /** Where a build bisect leaves its run dir (the caller removes it). */
    keepDir?: string;
    /**
     * Why the objects of an object-only search are known to fail at tonight's commit (the
     * run's build failed compiling them: objectsFailedInBuild); that end is not built again.
     */
    objectsBad?: string;
    /** The cell's .config in tonight's run (resolved at tonight's commit): build steps reuse it. */
    tonightConfig?: string;
    /**
     * An object-only search's verdict at tonight's commit when it built it (the minimization
     * of the same failure builds the same objects of the same config there).
     */
    onTonight?: (verdict: StepVerdict, why: string) => void;
  } = {},
): Promise<CulpritOutcome> {
  const { keepDir } = opts;
  const none = (note: string): CulpritOutcome => ({
    search: emptySearch(note),
    suspect: null,
    parent: null,
  });
  if (!h.ok) return none(h.reason);
  if (pred.kind === 'none') return none(pred.reason);
  const end = await goodEnd(env, h);
  if ('reason' in end) return none(end.reason);
  if (end.note) env.note(end.note);
  const started = Date.now();
  const seed = pred.kind === 'build' ? await tonightsTree(g, h.bad, env) : undefined;
  let kept: string | undefined;
  const run = async (objects: readonly string[] | null) => {
    const predicate = await bisectPredicate(g, arch, pred, objects, env);
    kept =
      keepDir && pred.kind === 'build' ? join(keepDir, objects ? 'objects' : 'full') : undefined;
    const req: BisectRequest = {
      repo: h.repo,
      good: end.good,
      bad: h.bad,
      arch,
      toolchain: g.cell.toolchain,
      base: g.cell.base,
      pins: g.cell.pins,
      predicate,
      workers: pred.kind === 'require' ? Math.min(4, Math.max(1, availableParallelism())) : 1,
      // The commits that change a file with the errors are tested first.
      ...(pred.kind === 'build' ? { suspectFiles: errorFiles(g, pred.match) } : {}),
      cacheDir: env.scratch,
      ...(kept ? { keepDir: kept } : {}),
      ...(seed ? { seed } : {}),
      ...(pred.kind === 'build' && opts.tonightConfig
        ? { seedConfig: { sha: h.bad, text: opts.tonightConfig } }
        : {}),
      signal: env.signal,
      // The run built both ends with this config: tonight's failed with the new errors, and
      // a baseline build that passed is good, also for object-only steps (the objects are
      // part of the build that passed). Object-only steps test tonight's commit unless the
      // run's build failed compiling exactly those objects: an object that does not fail
      // there means a full search (see below).
      known: {
        ...(!objects
          ? { bad: `the build of run ${runId} failed with it` }
          : opts.objectsBad
            ? { bad: opts.objectsBad }
            : {}),
        ...(end.from === 'baseline' && h.baselinePassed
          ? { good: `the build passed in run ${h.baselineRunId}` }
          : {}),
      },
    };
    const emit = (e: BisectEvent) => {
      if (objects && e.type === 'bisect:verdict' && e.sha === h.bad)
        opts.onTonight?.(e.verdict, e.why);
      if (
        e.type === 'bisect:step' ||
        e.type === 'bisect:verdict' ||
        e.type === 'bisect:range' ||
        e.type === 'bisect:suspects' ||
        e.type === 'bisect:note'
      ) {
        const line = bisectEventLine(e);
        if (line) env.note(line.trim());
      }
    };
    return bisect(req, { runner: env.runner, env: env.env, emit });
  };
  let objects = pred.kind === 'build' ? pred.objects : null;
  let result = await run(objects);
  let note = end.note;
  // The objects did not show the error at tonight's commit (an error that only comes with
  // another file's compilation, e.g. an #include'd .c): bisect with the full targets.
  if (objects && result.kind === 'endpoints' && !result.steps.some((s) => s.verdict === 'bad')) {
    env.note("the objects alone do not fail at tonight's commit; bisecting with full builds");
    note = [
      note,
      `building ${objects.join(' ')} alone did not show the error at ${h.bad.slice(0, 12)}: every step built the full targets`,
    ]
      .filter(Boolean)
      .join('; ');
    objects = null;
    result = await run(null);
  }
  const o = await outcome(g, arch, pred, result, end, note, objects, Date.now() - started, env);
  return kept ? { ...o, tree: workerTree(kept, 0) } : o;
}

/**
 * The run's export of tonight's commit, which the build bisect's clone starts from (hard
 * links, not 80,000 files written again); undefined when the cell's source is not that commit.
 */
async function tonightsTree(
  g: FailureGroup,
  bad: string,
  env: TriageEnv,
): Promise<TreeSeed | undefined> {
  const tree = await env.tree(g.cell.sourceResolved).catch(() => undefined);
  if (!tree || tree.cacheKey !== `git-${bad}`) return undefined;
  return { dir: tree.path, commit: bad, extra: [EXPORT_STAMP] };
}

/** The files (in the tree) the matched error diagnostics are in. */
function errorFiles(g: FailureGroup, match: readonly string[]): string[] {
  const files = g.result.diagnostics
    .filter((d) => match.includes(d.fingerprint) && d.file && !d.file.split('/').includes('..'))
    .map((d) => d.file);
  return [...new Set(files)].sort();
}

async function bisectPredicate(
  g: FailureGroup,
  arch: Arch,
  pred: Exclude<CulpritPredicate, { kind: 'none' }>,
  objects: readonly string[] | null,
  env: TriageEnv,
): Promise<Predicate> {
  if (pred.kind === 'require') return { kind: 'config', requires: pred.requires };
  const inner = await env.runtime(g.cell.toolchain);
  return {
    kind: 'build',
    targets: objects ? ['kernel'] : g.cell.targets,
    match: pred.match,
    jobs: env.jobs,
    runtime: objects ? new ObjectGoalRuntime(inner, arch.imageTarget, objects) : inner,
    ...(env.stepTimeoutMs ? { timeoutMs: env.stepTimeoutMs } : {}),
    ...(env.ccacheDir ? { ccacheDir: env.ccacheDir } : {}),
  };
}

async function outcome(
  g: FailureGroup,
  arch: Arch,
  pred: Exclude<CulpritPredicate, { kind: 'none' }>,
  r: BisectResult,
  end: { good: string; from: 'baseline' | 'merge-base' },
  note: string | null,
  objects: readonly string[] | null,
  ms: number,
  env: TriageEnv,
): Promise<CulpritOutcome> {
  const search: CulpritSearch = {
    ...emptySearch(note),
    method: pred.kind,
    command: bisectCommand(g, arch, pred, r.repo, end.good, r.bad.sha),
    good: end.good,
    bad: r.bad.sha,
    goodFrom: end.from,
    objects: objects ? [...objects] : null,
    steps: r.steps.length,
    durationMs: ms,
  };
  switch (r.kind) {
    case 'found': {
      const parent = r.parent.info.sha;
      const stat =
        pred.kind === 'build'
          ? (
              await env.runner.run('git', [
                '-C',
                r.repo,
                'diff',
                '--stat=72',
                parent,
                r.firstBad.sha,
              ])
            ).stdout.trimEnd()
          : null;
      return {
        search: {
          ...search,
          outcome: 'found',
          hunks: r.hunks.map((x) => ({ file: x.file, header: x.header, text: x.text })),
          diffstat: stat,
          explanation:
            pred.kind === 'require'
              ? {
                  before: r.explanation.before.map((e) => ({ symbol: e.symbol, text: e.text })),
                  after: r.explanation.after.map((e) => ({ symbol: e.symbol, text: e.text })),
                }
              : null,
        },
        suspect: {
          commit: r.firstBad.sha,
          subject: r.firstBad.subject,
          author: r.firstBad.author,
          date: r.firstBad.date,
        },
        parent,
      };
    }
    case 'inconclusive':
      return {
        search: {
          ...search,
          outcome: 'inconclusive',
          note: [
            note,
            `only skipped commits are left; the first bad commit is one of ${r.candidates.map((c) => c.sha.slice(0, 12)).join(', ')}`,
          ]
            .filter(Boolean)
            .join('; '),
        },
        suspect: null,
        parent: null,
      };
    case 'endpoints':
      return {
        search: {
          ...search,
          outcome: 'endpoints',
          note: [note, ...r.problems].filter(Boolean).join('; '),
        },
        suspect: null,
        parent: null,
      };
  }
}

/** The kmatrix bisect command that repeats the search (full builds, as a user would run it). */
export function bisectCommand(
  g: FailureGroup,
  arch: Arch,
  pred: Exclude<CulpritPredicate, { kind: 'none' }>,
  repo: string,
  good: string,
  bad: string,
): string {
  const b = g.cell.base;
  const args = [
    'kmatrix',
    'bisect',
    '--repo',
    repo,
    '--good',
    good,
    '--bad',
    bad,
    '--arch',
    arch.name,
  ];
  args.push('--base', b.kind === 'file' ? `file:${b.path}` : b.kind);
  if (b.kind === 'randconfig') {
    args.push('--seed', b.seed);
    if (b.probability !== undefined) args.push('--probability', b.probability);
  }
  for (const p of g.cell.pins) args.push('--set', `${p.symbol}=${p.value}`);
  if (g.cell.toolchain !== 'gcc') args.push('--toolchain', g.cell.toolchain);
  if (pred.kind === 'require')
    for (const p of pred.requires) args.push('--require', `${p.symbol}=${p.value}`);
  else {
    args.push('--build', '--targets', g.cell.targets.join(','));
    // kmatrix bisect takes one --match; the first fingerprint identifies the failure.
    args.push('--match', pred.match[0]!);
  }
  return shellJoin(args);
}
