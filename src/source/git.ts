// git:PATH@REF sources: the commit is exported (git archive) into the cache, keyed by
// its sha. The user's checkout, HEAD, index and bisect state are never touched.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KmatrixError } from '../core/errors.js';
import { printable } from '../core/text.js';
import type { Emit, SourceEvent } from '../core/events.js';
import { exists, publishDir, removeDeadStaging, withLock } from '../fsutil/atomic.js';
import { killOrphansOf } from '../process/owner.js';
import { howItFailed, lastLines, type ProcessRunner } from '../process/runner.js';

/** The stamp a finished export carries (the one file of the tree that is not the commit's). */
export const EXPORT_STAMP = '.kmatrix-source';

export interface GitTree {
  path: string;
  commit: string;
  cached: boolean;
}

export async function resolveCommit(
  runner: ProcessRunner,
  repo: string,
  ref: string,
): Promise<string> {
  if (ref.startsWith('-')) {
    throw new KmatrixError(
      'bad-ref',
      `bad git ref "${printable(ref)}": a ref cannot start with "-"`,
    );
  }
  const top = await runner.run('git', ['-C', repo, 'rev-parse', '--git-dir']);
  if (top.failed) {
    throw new KmatrixError(
      'bad-source',
      `${printable(repo)} is not a git repository (git rev-parse --git-dir failed)`,
      top.stderr.trim(),
    );
  }
  const r = await runner.run('git', [
    '-C',
    repo,
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${ref}^{commit}`,
  ]);
  const sha = r.stdout.trim();
  if (r.failed || !/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new KmatrixError(
      'bad-ref',
      `git ref "${printable(ref)}" does not name a commit in ${printable(repo)}`,
    );
  }
  return sha;
}

/** git:URL@REF (file://, https://, ...): a repository fetched, not a path on this machine. */
export function isGitUrl(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo);
}

/**
 * Fetch one commit (or the commit a ref names) of a remote into a bare mirror in the cache,
 * shallow: only that commit's tree comes over the wire. Returns the mirror and the commit.
 */
export async function fetchRemoteCommit(
  url: string,
  ref: string,
  deps: { runner: ProcessRunner; cacheDir: string },
): Promise<{ repo: string; commit: string }> {
  if (ref.startsWith('-'))
    throw new KmatrixError('bad-ref', `bad git ref "${ref}": a ref cannot start with "-"`);
  const name = createHash('sha256').update(url).digest('hex').slice(0, 16);
  const repo = join(deps.cacheDir, 'git-remotes', `${name}.git`);
  return withLock(join(deps.cacheDir, 'locks', `git-remote-${name}.lock`), async () => {
    if (!(await exists(join(repo, 'HEAD')))) {
      await mkdir(repo, { recursive: true });
      const init = await deps.runner.run('git', ['init', '--quiet', '--bare', repo]);
      if (init.failed)
        throw new KmatrixError('command-failed', `git init ${repo} failed`, init.stderr.trim());
    }
    const fetch = await deps.runner.run('git', [
      '-C',
      repo,
      'fetch',
      '--quiet',
      '--no-tags',
      '--depth',
      '1',
      '--',
      url,
      ref,
    ]);
    if (fetch.failed)
      throw new KmatrixError(
        'bad-source',
        `cannot fetch ${ref} from ${url}`,
        fetch.stderr.trim().split('\n').slice(-3).join('\n'),
      );
    return { repo, commit: await resolveCommit(deps.runner, repo, 'FETCH_HEAD') };
  });
}

export async function resolveGitTree(
  repoArg: string,
  refArg: string,
  deps: { runner: ProcessRunner; cacheDir: string; emit: Emit<SourceEvent>; cwd: string },
): Promise<GitTree> {
  let repo = resolve(deps.cwd, repoArg);
  let ref = refArg;
  if (isGitUrl(repoArg)) {
    const fetched = await fetchRemoteCommit(repoArg, refArg, deps);
    repo = fetched.repo;
    ref = fetched.commit;
  }
  const commit = await resolveCommit(deps.runner, repo, ref);
  const treeDir = join(deps.cacheDir, 'trees', `git-${commit}`);
  const stamp = join(treeDir, EXPORT_STAMP);
  if (await exists(stamp)) return { path: treeDir, commit, cached: true };
  return withLock(
    join(deps.cacheDir, 'locks', `git-${commit}.lock`),
    async () => {
      if (await exists(stamp)) return { path: treeDir, commit, cached: true };
      deps.emit({ type: 'source:export', repo, commit, into: treeDir });
      // What a killed kmatrix left writing into its staging dir is ended first.
      await removeDeadStaging(treeDir, killOrphansOf);
      await publishDir(treeDir, async (staging) => {
        const r = await deps.runner.pipeline([
          { file: 'git', args: ['-C', repo, 'archive', '--format=tar', commit] },
          { file: 'tar', args: ['-x', '-C', staging] },
        ]);
        if (r.failed)
          throw new KmatrixError(
            'command-failed',
            `git archive ${commit} from ${repo} failed: ${r.command} ${howItFailed(r)}`,
            lastLines(r.stderr, 20),
          );
        await writeFile(join(staging, EXPORT_STAMP), `git ${repo} ${commit}\n`);
      });
      return { path: treeDir, commit, cached: false };
    },
    () => deps.emit({ type: 'source:wait-lock', what: `export of ${commit.slice(0, 12)}` }),
  );
}

/** Whether a clone has a commit, without fetching: `absent` means fetch it, `no-repo` a bad path. */
export async function commitInRepo(
  runner: ProcessRunner,
  repo: string,
  sha: string,
): Promise<'present' | 'absent' | 'no-repo'> {
  if (!/^[0-9a-f]{7,64}$/.test(sha)) return 'absent';
  const top = await runner.run('git', ['-C', repo, 'rev-parse', '--git-dir']);
  if (top.failed) return 'no-repo';
  const r = await runner.run('git', ['-C', repo, 'cat-file', '-e', `${sha}^{commit}`]);
  return r.failed ? 'absent' : 'present';
}
