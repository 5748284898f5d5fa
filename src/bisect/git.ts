// Git for bisect: read-only queries on the user's repository and a private clone in the
// cache whose checkout moves between commits. Nothing here writes to the user's .git: the
// clone borrows its objects through `--shared` (an alternates file in the clone).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** commitInfo, asked of git once per commit. */
export function commitInfos(
  runner: ProcessRunner,
  repo: string,
): (sha: string) => Promise<CommitInfo> {
  const known = new Map<string, CommitInfo>();
  return async (sha) => {
    let i = known.get(sha);
    if (!i) {
      i = await commitInfo(runner, repo, sha);
      known.set(sha, i);
    }
    return i;
  };
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

/**
 * `git grep` over the trees of some commits, one process per commit (git greps a tree on one
 * thread). No match is an empty answer, not an error.
 */
export async function grepTrees(
  runner: ProcessRunner,
  repo: string,
  revs: readonly string[],
  grepArgs: readonly string[],
  paths: readonly string[],
): Promise<string> {
  const outs = await Promise.all(
    revs.map(async (rev) => {
      const r = await runner.run(
        'git',
        ['-C', repo, '-c', 'core.quotePath=false', ...grepArgs, rev, ...paths],
        { env: { LC_ALL: 'C' } },
      );
      if (r.failed && r.exitCode !== 1)
        throw new KmatrixError(
          'command-failed',
          `git failed: ${r.command}`,
          lastLines(r.stderr, 20),
        );
      return r.stdout;
    }),
  );
  return outs.join('');
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

/** A directory holding some commit's files, moved from commit to commit by a bisect. */
export interface Worktree {
  readonly dir: string;
  /** The repository whose objects the tree is written from (where git runs for it). */
  readonly repo: string;
  readonly head: string | undefined;
  checkout(sha: string): Promise<void>;
}

/**
 * A private clone of `repo`: a bare git dir beside `dir` sharing the user's objects (it holds
 * the commits kmatrix writes, such as a revert), and every file of a commit at `dir`, moved
 * per step by rewriting only the files that differ (InputTree keeping every path). The work
 * tree has no .git, as the exported tree a run built has none: the kernel's
 * scripts/setlocalversion sees the same thing in both.
 */
export class PrivateClone implements Worktree {
  private constructor(
    readonly repo: string,
    private readonly tree: InputTree,
  ) {}

  /** A new clone at `dir`; with `seed`, its files start as hard links to an exported tree. */
  static async create(
    runner: ProcessRunner,
    repo: string,
    dir: string,
    signal?: AbortSignal,
    seed?: TreeSeed,
  ): Promise<PrivateClone> {
    const c = PrivateClone.at(runner, dir, signal);
    await git(runner, ['clone', '--quiet', '--bare', '--shared', '--', repo, c.repo], {
      ...(signal ? { signal } : {}),
    });
    await mkdir(dir, { recursive: true });
    if (seed && (await seedFiles(runner, c.repo, dir, seed))) await c.adopt(seed.commit);
    return c;
  }

  /** A clone made earlier (a bisect worker's, kept for the verification after it). */
  static async open(
    runner: ProcessRunner,
    dir: string,
    signal?: AbortSignal,
  ): Promise<PrivateClone> {
    const c = PrivateClone.at(runner, dir, signal);
    // At its last finished checkout, or empty.
    const sha = (await readFile(c.headFile, 'utf8').catch(() => '')).trim();
    if (/^[0-9a-f]{40,64}$/.test(sha)) await c.adopt(sha);
    return c;
  }

  private static at(runner: ProcessRunner, dir: string, signal?: AbortSignal): PrivateClone {
    const gitDir = `${dir}.git`;
    return new PrivateClone(
      gitDir,
      InputTree.at(runner, gitDir, dir, () => true, signal),
    );
  }

  /** Where the commit the files are at is kept for open() (absent during a checkout). */
  private get headFile(): string {
    return `${this.dir}.head`;
  }

  private async adopt(sha: string): Promise<void> {
    await this.tree.adopt(sha);
    await writeFile(this.headFile, sha + '\n');
  }

  get dir(): string {
    return this.tree.dir;
  }

  get head(): string | undefined {
    return this.tree.head;
  }

  async checkout(sha: string): Promise<void> {
    if (this.head === sha) return;
    await rm(this.headFile, { force: true });
    await this.tree.checkout(sha);
    await writeFile(this.headFile, sha + '\n');
  }
}

/**
 * Hard links to the files of an exported tree of the same commit instead of writing 80,000
 * files from git's objects (a tenth of the time). Safe to share: git replaces a file it
 * rewrites (unlink, then create), and make with O= writes nothing in the source tree. Not
 * when the files may differ from the commit's (`git archive` applies export-subst and
 * export-ignore attributes) or when the link fails (another file system): false, and the
 * first checkout writes every file.
 */
async function seedFiles(
  runner: ProcessRunner,
  gitDir: string,
  dir: string,
  seed: TreeSeed,
): Promise<boolean> {
  const attrs = await runner.run('git', [
    '-C',
    gitDir,
    'grep',
    '-q',
    '-E',
    'export-(subst|ignore)',
    seed.commit,
    '--',
    '.gitattributes',
    '*/.gitattributes',
  ]);
  if (attrs.exitCode !== 1) return false;
  const cp = await runner.run('cp', ['-al', '--', `${seed.dir}/.`, `${dir}/`]);
  if (!cp.failed) {
    await Promise.all(seed.extra.map((p) => rm(join(dir, p), { force: true })));
    return true;
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return false;
}

/** A directory holding exactly the files of `commit` (a source tree `git archive` wrote). */
export interface TreeSeed {
  dir: string;
  commit: string;
  /** Files in `dir` that are not the commit's (a stamp kmatrix wrote). */
  extra: readonly string[];
}

interface Entry {
  mode: string;
  oid: string;
}

/**
 * Only the files a predicate can read (`keep`), written straight from `repo`'s objects: a
 * config bisect needs ~2,000 Kconfig inputs of a kernel's ~80,000 files, and creating files
 * is what a checkout spends its time on. The user's repository is only read: the entries to
 * write go through a throwaway index file next to `dir` (GIT_INDEX_FILE), then
 * `git checkout-index` writes them with their modes. Moving to another commit rewrites the
 * entries whose blob or mode differ and deletes the ones that are gone.
 */
export class InputTree implements Worktree {
  private current: string | undefined;
  private entries = new Map<string, Entry>();
  private constructor(
    private readonly runner: ProcessRunner,
    readonly repo: string,
    readonly dir: string,
    private readonly index: string,
    private readonly keep: (path: string) => boolean,
    private readonly signal: AbortSignal | undefined,
  ) {}

  static async create(
    runner: ProcessRunner,
    repo: string,
    dir: string,
    keep: (path: string) => boolean,
    signal?: AbortSignal,
  ): Promise<InputTree> {
    await mkdir(dir, { recursive: true });
    return InputTree.at(runner, repo, dir, keep, signal);
  }

  /** The tree at `dir` as it stands (created earlier, or made by the caller). */
  static at(
    runner: ProcessRunner,
    repo: string,
    dir: string,
    keep: (path: string) => boolean,
    signal?: AbortSignal,
  ): InputTree {
    return new InputTree(runner, repo, dir, `${dir}.index`, keep, signal);
  }

  get head(): string | undefined {
    return this.current;
  }

  /** path -> "<mode> <blob id>" of every file written for the current commit. */
  blobs(): Map<string, string> {
    return new Map([...this.entries].map(([p, e]) => [p, `${e.mode} ${e.oid}`]));
  }

  private opts(extra: RunOptions = {}): RunOptions {
    return { ...extra, ...(this.signal ? { signal: this.signal } : {}) };
  }

  /** The entries of `sha` this tree keeps. */
  private async listing(sha: string): Promise<Map<string, Entry>> {
    const listing = await git(
      this.runner,
      ['-C', this.repo, '-c', 'core.quotePath=false', 'ls-tree', '-r', '-z', '--full-tree', sha],
      this.opts(),
    );
    const next = new Map<string, Entry>();
    for (const rec of listing.split('\0')) {
      const tab = rec.indexOf('\t');
      if (tab < 0) continue;
      const path = rec.slice(tab + 1);
      const [mode, type, oid] = rec.slice(0, tab).split(' ');
      // Submodules (commit entries) have no content here.
      if (type !== 'blob' || !mode || !oid || !this.keep(path)) continue;
      next.set(path, { mode, oid });
    }
    return next;
  }

  /** Take the files at `dir` as `sha`'s (written by someone who knows they are). */
  async adopt(sha: string): Promise<void> {
    this.entries = await this.listing(sha);
    this.current = sha;
  }

  async checkout(sha: string): Promise<void> {
    if (this.current === sha) return;
    const next = await this.listing(sha);
    const gone = [...this.entries.keys()].filter((p) => !next.has(p));
    const changed: string[] = [];
    for (const [path, e] of next) {
      const old = this.entries.get(path);
      if (!old || old.oid !== e.oid || old.mode !== e.mode) changed.push(path);
    }
    await Promise.all(gone.map((p) => rm(join(this.dir, p), { force: true })));
    if (changed.length > 0) {
      await rm(this.index, { force: true });
      const env = { GIT_INDEX_FILE: this.index };
      const info = changed.map((p) => `${next.get(p)!.mode} ${next.get(p)!.oid}\t${p}`);
      await git(
        this.runner,
        ['-C', this.repo, 'update-index', '--index-info'],
        this.opts({ env, input: info.join('\n') + '\n' }),
      );
      // --force replaces whatever stands at a path (a file, a symlink, a directory).
      await git(
        this.runner,
        ['-C', this.repo, `--work-tree=${this.dir}`, 'checkout-index', '--all', '--force'],
        this.opts({ env }),
      );
    }
    this.entries = next;
    this.current = sha;
  }
}
