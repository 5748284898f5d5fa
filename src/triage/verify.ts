// Verification of a suspect before it is named the cause: the suspect is rebuilt (it must be
// bad) and its parent (good), whichever the clone is at first, and where `git revert` of the suspect applies cleanly on
// tonight's commit, the revert (good). Builds are full builds of the cell's targets (a search
// with object-only steps is confirmed here) in one private clone with O= inside it (the build
// bisect's own, when it ran): the first build hits the shared ccache, the next two are
// incremental. Pins are resolved with the tree's own Kconfig at each commit.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import { checkRequires, resolveConfig, type KconfigDeps } from '../bisect/configure.js';
import { grepTrees, InputTree, PrivateClone } from '../bisect/git.js';
import {
  inputContext,
  isKconfigInput,
  SOURCE_GREP,
  SOURCE_GREP_PATHS,
  sourcedFromOutside,
} from '../bisect/inputs.js';
import { evalBuild, matchSpecOf } from '../bisect/predicate.js';
import { withProbeCache } from '../bisect/probe-cache.js';
import { OUT_IN_TREE } from '../bisect/share-conf.js';
import { KmatrixError } from '../core/errors.js';
import type { Verification, VerifyStep } from '../results/triage.js';
import type { TriageEnv } from './env.js';
import type { CulpritPredicate, FailureGroup } from './plan.js';

export interface VerifyInput {
  g: FailureGroup;
  arch: Arch;
  pred: Exclude<CulpritPredicate, { kind: 'none' }>;
  repo: string;
  suspect: { commit: string; subject: string };
  parent: string;
  /** Tonight's commit, where the revert is applied. */
  tonight: string;
  /** A fresh directory for the clones. */
  dir: string;
  /** The build bisect's clone, O= dir inside: the verification goes on there when given. */
  tree?: string;
}

type Got = VerifyStep['got'];

/** The verification status from the three steps. */
export function verificationOf(steps: readonly VerifyStep[]): Verification {
  const get = (w: VerifyStep['what']) => steps.find((s) => s.what === w);
  const c = get('culprit');
  const p = get('parent');
  if (!c || !p || c.got === 'not-run' || p.got === 'not-run') return 'not-run';
  if (c.got !== 'bad' || p.got !== 'good') return 'unconfirmed';
  return get('revert')?.got === 'good' ? 'revert-fixes' : 'confirmed';
}

export async function verifyCulprit(v: VerifyInput, env: TriageEnv): Promise<VerifyStep[]> {
  await mkdir(v.dir, { recursive: true });
  // One private clone holds the revert commit and moves between the three commits; its O= dir
  // is kept, so the parent and the revert are incremental builds after the suspect's.
  // The bisect's clone when there is one: no new checkout, and its O= dir is configured
  // and prepared already (the search's last steps built the suspect and its parent there).
  const clone = v.tree
    ? await PrivateClone.open(env.runner, v.tree, env.signal)
    : await PrivateClone.create(env.runner, v.repo, join(v.dir, 'src'), env.signal);
  const reverted = await revertCommit(v, clone.repo, env);
  const place = await placeFor(v, clone, env);
  const steps: VerifyStep[] = [];
  const run = async (
    what: VerifyStep['what'],
    commit: string,
    sha: string,
    expected: 'bad' | 'good',
  ) => {
    const t0 = Date.now();
    env.note(
      `verifying: building the ${what} ${sha.slice(0, 12)}${what === 'revert' ? ` (the revert on ${commit.slice(0, 12)})` : ''}`,
    );
    const r = await place.judge(sha, what);
    steps.push({ what, commit, expected, got: r.got, why: r.why, ms: Date.now() - t0 });
  };
  // The culprit first only when the clone is at it; else the parent, which the search's last
  // step (the candidate before the culprit, mostly) differs least from: its objects are
  // then there, and the culprit's build recompiles only what the culprit changed.
  const culprit = () => run('culprit', v.suspect.commit, v.suspect.commit, 'bad');
  const parent = () => run('parent', v.parent, v.parent, 'good');
  if (clone.head === v.suspect.commit) await culprit().then(parent);
  else await parent().then(culprit);
  steps.sort((a, b) => (a.what === 'culprit' ? -1 : b.what === 'culprit' ? 1 : 0));
  if ('sha' in reverted) await run('revert', v.tonight, reverted.sha, 'good');
  else
    steps.push({
      what: 'revert',
      commit: v.tonight,
      expected: 'good',
      got: 'does-not-apply',
      why: reverted.why,
      ms: 0,
    });
  return steps;
}

/**
 * The revert of the suspect on tonight's commit, as a commit in a private clone (its own
 * object store; the user's repository is only read): the reverse patch applied to a
 * throwaway index, written as a tree and committed.
 */
async function revertCommit(
  v: VerifyInput,
  clone: string,
  env: TriageEnv,
): Promise<{ sha: string } | { why: string }> {
  const git = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
    env.runner.run('git', ['-C', clone, ...args], { ...opts, signal: env.signal });
  const index = { GIT_INDEX_FILE: join(clone, 'kmatrix-revert-index') };
  const patch = await git([
    'diff',
    '--binary',
    '--no-color',
    '--no-ext-diff',
    `${v.suspect.commit}^`,
    v.suspect.commit,
  ]);
  if (patch.failed)
    return { why: `git diff of ${v.suspect.commit.slice(0, 12)} failed: ${patch.stderr.trim()}` };
  const read = await git(['read-tree', v.tonight], { env: index });
  if (read.failed)
    throw new KmatrixError(
      'command-failed',
      `git read-tree ${v.tonight} failed in ${clone}`,
      read.stderr.trim(),
    );
  const applied = await git(['apply', '--cached', '-R', '-'], { input: patch.stdout, env: index });
  if (applied.failed)
    return {
      why: `git revert ${v.suspect.commit.slice(0, 12)} does not apply cleanly on ${v.tonight.slice(0, 12)}: ${applied.stderr.trim().split('\n')[0] ?? ''}`,
    };
  const tree = await git(['write-tree'], { env: index });
  const ident = {
    GIT_AUTHOR_NAME: 'kmatrix',
    GIT_AUTHOR_EMAIL: 'kmatrix@localhost',
    GIT_COMMITTER_NAME: 'kmatrix',
    GIT_COMMITTER_EMAIL: 'kmatrix@localhost',
  };
  const commit = await git(
    ['commit-tree', tree.stdout.trim(), '-p', v.tonight, '-m', `Revert "${v.suspect.subject}"`],
    { env: ident },
  );
  if (tree.failed || commit.failed)
    throw new KmatrixError(
      'command-failed',
      `git commit-tree failed in ${clone}`,
      commit.stderr.trim(),
    );
  return { sha: commit.stdout.trim() };
}

/** Judging a commit of the clone: Kconfig inputs only for pins, the full targets for builds. */
async function placeFor(
  v: VerifyInput,
  clone: PrivateClone,
  env: TriageEnv,
): Promise<{ judge(sha: string, what: string): Promise<{ got: Got; why: string }> }> {
  const kdeps: KconfigDeps = { runner: env.runner, env: env.env, signal: env.signal };
  const cell = v.g.cell;
  if (v.pred.kind === 'require') {
    const requires = v.pred.requires;
    // As a config bisect resolves: probes memoized, conf at -O0, olddefconfig run directly.
    const cdeps: KconfigDeps = {
      ...(await withProbeCache(kdeps, join(v.dir, 'probes'), v.arch, cell.toolchain)),
      hostCflags: '-O0',
      directOlddefconfig: true,
    };
    // Pins need only the Kconfig inputs, written from the clone's objects (it has the revert).
    const grep = await grepTrees(
      env.runner,
      clone.repo,
      [v.tonight, v.parent],
      SOURCE_GREP,
      SOURCE_GREP_PATHS,
    );
    const ctx = inputContext(v.arch, cell.base, sourcedFromOutside(grep, v.arch.srcarch));
    const tree = await InputTree.create(
      env.runner,
      clone.repo,
      join(v.dir, 'kconfig'),
      (p) => isKconfigInput(p, ctx),
      env.signal,
    );
    return {
      async judge(sha) {
        await tree.checkout(sha);
        const place = {
          src: tree.dir,
          out: join(tree.dir, OUT_IN_TREE),
          arch: v.arch,
          toolchain: cell.toolchain,
        };
        const r = await resolveConfig(place, cell.base, cell.pins, cdeps);
        if (r.kind === 'failed') return { got: 'skip', why: `make ${r.step} failed` };
        const req = checkRequires(requires, r.values);
        const broken = req.filter((x) => !x.holds);
        return {
          got: broken.length ? 'bad' : 'good',
          why: broken.length
            ? broken.map((b) => `${b.symbol}=${b.effective} (required ${b.required})`).join(', ')
            : req.map((b) => `${b.symbol}=${b.effective}`).join(', '),
        };
      },
    };
  }
  const match = v.pred.match;
  const runtime = await env.runtime(cell.toolchain);
  // Conf's compiler probes memoized across the three builds' config steps, as bisect steps do
  // (most of a conf run is probes; make tinyconfig runs conf twice, olddefconfig once more).
  const bdeps = await withProbeCache(kdeps, join(v.dir, 'probes'), v.arch, cell.toolchain);
  return {
    async judge(sha, what) {
      await clone.checkout(sha);
      const r = await evalBuild(
        {
          src: clone.dir,
          out: join(clone.dir, OUT_IN_TREE),
          label: `triage-${what}-${sha.slice(0, 12)}`,
          commit: { repo: clone.repo, sha },
          arch: v.arch,
          toolchain: cell.toolchain,
          base: cell.base,
          pins: cell.pins,
          signal: env.signal,
        },
        {
          kind: 'build',
          targets: cell.targets,
          match,
          jobs: env.jobs,
          runtime,
          ...(env.stepTimeoutMs ? { timeoutMs: env.stepTimeoutMs } : {}),
          ...(env.ccacheDir ? { ccacheDir: env.ccacheDir } : {}),
        },
        bdeps,
        matchSpecOf(match),
      );
      return { got: r.verdict, why: r.why };
    },
  };
}
