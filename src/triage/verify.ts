// Verification of a suspect before it is named the cause: the suspect is rebuilt (it must be
// bad) and its parent (good), each in a fresh clone, and where `git revert` of the suspect
// applies cleanly on tonight's commit, the revert is built too. Builds are full builds of the
// cell's targets (a search with object-only steps is confirmed here), with O= inside each
// clone so all of them share the ccache; pins are resolved with the tree's own Kconfig.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import { checkRequires, resolveConfig, type KconfigDeps } from '../bisect/configure.js';
import { grepTrees, InputTree, PrivateClone, type Worktree } from '../bisect/git.js';
import {
  inputContext,
  isKconfigInput,
  SOURCE_GREP,
  SOURCE_GREP_PATHS,
  sourcedFromOutside,
} from '../bisect/inputs.js';
import { evalBuild, matchSpecOf } from '../bisect/run.js';
import { OUT_IN_TREE } from '../bisect/share-conf.js';
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
  const reverted = await revertCommit(v, env);
  const targets: {
    what: VerifyStep['what'];
    commit: string;
    expected: 'bad' | 'good';
    repo: string;
    sha: string;
  }[] = [
    {
      what: 'culprit',
      commit: v.suspect.commit,
      expected: 'bad',
      repo: v.repo,
      sha: v.suspect.commit,
    },
    { what: 'parent', commit: v.parent, expected: 'good', repo: v.repo, sha: v.parent },
  ];
  if ('sha' in reverted)
    targets.push({
      what: 'revert',
      commit: v.tonight,
      expected: 'good',
      repo: reverted.clone,
      sha: reverted.sha,
    });
  const one = (t: (typeof targets)[number]) => verifyOne(v, env, t.what, t.repo, t.sha);
  // The suspect first: a cold ccache is filled once, then the other two build in parallel.
  const first = await one(targets[0]!);
  const rest = await Promise.all(targets.slice(1).map(one));
  const steps = [first, ...rest].map((r, i) => ({
    ...r,
    what: targets[i]!.what,
    commit: targets[i]!.commit,
    expected: targets[i]!.expected,
  }));
  if (!('sha' in reverted))
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
  env: TriageEnv,
): Promise<{ clone: string; sha: string } | { why: string }> {
  const clone = join(v.dir, 'revert');
  const git = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
    env.runner.run('git', ['-C', clone, ...args], { ...opts, signal: env.signal });
  const c = await env.runner.run(
    'git',
    ['clone', '--quiet', '--shared', '--no-checkout', '--', v.repo, clone],
    { signal: env.signal },
  );
  if (c.failed) throw new Error(`git clone of ${v.repo} failed: ${c.stderr.trim()}`);
  const index = { GIT_INDEX_FILE: join(clone, '.git', 'kmatrix-revert-index') };
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
  if (read.failed) throw new Error(`git read-tree ${v.tonight} failed: ${read.stderr.trim()}`);
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
    throw new Error(`git commit-tree failed: ${commit.stderr.trim()}`);
  return { clone, sha: commit.stdout.trim() };
}

async function verifyOne(
  v: VerifyInput,
  env: TriageEnv,
  what: VerifyStep['what'],
  repo: string,
  sha: string,
): Promise<{ got: Got; why: string; ms: number }> {
  const t0 = Date.now();
  const dir = join(v.dir, what === 'revert' ? 'revert-tree' : what);
  const kdeps: KconfigDeps = { runner: env.runner, env: env.env, signal: env.signal };
  if (v.pred.kind === 'require') {
    const grep = await grepTrees(env.runner, repo, [sha], SOURCE_GREP, SOURCE_GREP_PATHS);
    const ctx = inputContext(v.arch, v.g.cell.base, sourcedFromOutside(grep, v.arch.srcarch));
    const tree = await InputTree.create(
      env.runner,
      repo,
      dir,
      (p) => isKconfigInput(p, ctx),
      env.signal,
    );
    await tree.checkout(sha);
    const r = await resolveConfig(
      {
        src: tree.dir,
        out: join(tree.dir, OUT_IN_TREE),
        arch: v.arch,
        toolchain: v.g.cell.toolchain,
      },
      v.g.cell.base,
      v.g.cell.pins,
      kdeps,
    );
    if (r.kind === 'failed')
      return { got: 'skip', why: `make ${r.step} failed`, ms: Date.now() - t0 };
    const req = checkRequires(v.pred.requires, r.values);
    const broken = req.filter((x) => !x.holds);
    return {
      got: broken.length ? 'bad' : 'good',
      why: broken.length
        ? broken.map((b) => `${b.symbol}=${b.effective} (required ${b.required})`).join(', ')
        : req.map((b) => `${b.symbol}=${b.effective}`).join(', '),
      ms: Date.now() - t0,
    };
  }
  const tree: Worktree = await PrivateClone.create(env.runner, repo, dir, env.signal);
  await tree.checkout(sha);
  const r = await evalBuild(
    {
      src: tree.dir,
      out: join(tree.dir, OUT_IN_TREE),
      label: `triage-${what}-${sha.slice(0, 12)}`,
      arch: v.arch,
      toolchain: v.g.cell.toolchain,
      base: v.g.cell.base,
      pins: v.g.cell.pins,
      signal: env.signal,
    },
    {
      kind: 'build',
      targets: v.g.cell.targets,
      match: v.pred.match,
      jobs: env.jobs,
      runtime: await env.runtime(v.g.cell.toolchain),
      ...(env.stepTimeoutMs ? { timeoutMs: env.stepTimeoutMs } : {}),
      ...(env.ccacheDir ? { ccacheDir: env.ccacheDir } : {}),
    },
    kdeps,
    matchSpecOf(v.pred.match),
  );
  return { got: r.verdict, why: r.why, ms: Date.now() - t0 };
}
