// Git for bisect: read-only queries on the user's repository and a private clone in the
// cache whose checkout moves between commits. Nothing here writes to the user's .git: the
// clone borrows its objects through `--shared` (an alternates file in the clone).
import { rm } from 'node:fs/promises';
import { KmatrixError } from '../core/errors.js';
import { lastLines, type ProcessRunner, type RunOptions } from '../process/runner.js';

export interface RangeCommit {
  sha: string;
  /** Paths changed relative to the first parent. */
  files: string[];
}

export interface CommitInfo {
  sha: string;
  subject: string;
  date: string;
  author: string;
}

async function git(
  runner: ProcessRunner,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<string> {
  const r = await runner.run('git', args, { ...opts, env: { ...opts.env, LC_ALL: 'C' } });
  if (r.failed) {
    if (r.cancelled) throw new KmatrixError('command-failed', `cancelled: ${r.command}`);
    throw new KmatrixError(
      'command-failed',
      `git failed: ${r.command}`,
      lastLines(r.stderr || r.stdout, 20),
    );
  }
  return r.stdout;
}

export async function isAncestor(
  runner: ProcessRunner,
  repo: string,
  a: string,
  b: string,
): Promise<boolean> {
  const r = await runner.run('git', ['-C', repo, 'merge-base', '--is-ancestor', a, b]);
  return r.exitCode === 0;
}

/**
 * The first-parent chain from `bad` back to (excluding) `good`, oldest first, with the
 * paths each commit changed against its first parent (a merge counts as one change).
 */
export async function firstParentRange(
  runner: ProcessRunner,
  repo: string,
  good: string,
  bad: string,
): Promise<RangeCommit[]> {
  const out = await git(runner, [
    '-C',
    repo,
    '-c',
    'core.quotePath=false',
    'log',
    '--first-parent',
    '--diff-merges=first-parent',
    '--no-renames',
    '--name-only',
    '--format=%x01%H',
    bad,
    `^${good}`,
  ]);
  const commits: RangeCommit[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('\x01')) commits.push({ sha: line.slice(1), files: [] });
    else if (line !== '' && commits.length > 0) commits[commits.length - 1]!.files.push(line);
  }
  return commits.reverse();
}

export async function commitInfo(
  runner: ProcessRunner,
  repo: string,
  sha: string,
): Promise<CommitInfo> {
  const out = await git(runner, ['-C', repo, 'show', '-s', '--format=%H%x00%s%x00%cI%x00%an', sha]);
  const [full, subject, date, author] = out.trimEnd().split('\0');
  return { sha: full ?? sha, subject: subject ?? '', date: date ?? '', author: author ?? '' };
}

export async function firstParent(
  runner: ProcessRunner,
  repo: string,
  sha: string,
): Promise<string | undefined> {
  const r = await runner.run('git', ['-C', repo, 'rev-parse', '--verify', '--quiet', `${sha}^1`]);
  return r.failed ? undefined : r.stdout.trim();
}

/** `git diff parent sha` limited to some paths, with function context in hunk headers. */
export async function diffText(
  runner: ProcessRunner,
  repo: string,
  parent: string,
  sha: string,
  paths: readonly string[],
): Promise<string> {
  if (paths.length === 0) return '';
  return git(runner, [
    '-C',
    repo,
    'diff',
    '--no-color',
    '--no-ext-diff',
    parent,
    sha,
    '--',
    ...paths,
  ]);
}

/** One commit's diff for every commit in a range at once (for ranking suspects). */
export async function rangePatches(
  runner: ProcessRunner,
  repo: string,
  good: string,
  bad: string,
  paths: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (paths.length === 0) return out;
  const text = await git(runner, [
    '-C',
    repo,
    'log',
    '--first-parent',
    '--diff-merges=first-parent',
    '--no-color',
    '--no-ext-diff',
    '-p',
    '--format=%x01%H',
    bad,
    `^${good}`,
    '--',
    ...paths,
  ]);
  for (const chunk of text.split('\x01')) {
    const nl = chunk.indexOf('\n');
    if (nl < 0) continue;
    out.set(chunk.slice(0, nl).trim(), chunk.slice(nl + 1));
  }
  return out;
}

/** `git diff --name-status` between two commits, renames as delete + add. */
export async function changedPaths(
  runner: ProcessRunner,
  repo: string,
  from: string,
  to: string,
): Promise<{ status: string; path: string }[]> {
  const out = await git(runner, [
    '-C',
    repo,
    '-c',
    'core.quotePath=false',
    'diff',
    '--no-renames',
    '--name-status',
    from,
    to,
  ]);
  return out
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [status, path] = l.split('\t');
      return { status: (status ?? '').slice(0, 1), path: path ?? '' };
    });
}

/** A private clone of `repo` at `dir`, sharing its objects; its checkout moves per step. */
export class PrivateClone {
  private current: string | undefined;
  private constructor(
    private readonly runner: ProcessRunner,
    readonly dir: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  static async create(
    runner: ProcessRunner,
    repo: string,
    dir: string,
    signal?: AbortSignal,
  ): Promise<PrivateClone> {
    await git(runner, ['clone', '--quiet', '--shared', '--no-checkout', '--', repo, dir], {
      ...(signal ? { signal } : {}),
    });
    return new PrivateClone(runner, dir, signal);
  }

  get head(): string | undefined {
    return this.current;
  }

  /** Move the checkout to `sha`; git rewrites only the files that differ. */
  async checkout(sha: string): Promise<void> {
    if (this.current === sha) return;
    await git(
      this.runner,
      [
        '-C',
        this.dir,
        '-c',
        'advice.detachedHead=false',
        'checkout',
        '--quiet',
        '--force',
        '--detach',
        sha,
      ],
      this.signal ? { signal: this.signal } : {},
    );
    this.current = sha;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
