// Git histories for bisect tests and benchmarks, built at test time from a real kernel tree:
// one commit with the tree (whole, or only its Kconfig inputs), then planned commits
// written with `git fast-import` (hundreds per second, no index refreshes).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyKconfigSubset } from './kernel-subset.js';

export interface Edit {
  path: string;
  /** New content; null deletes the file. */
  content: string | null;
}

export interface PlannedCommit {
  message: string;
  /** Edits, computed from the current content of the history's files. */
  edits: (read: (path: string) => Promise<string>) => Promise<Edit[]> | Edit[];
}

export interface History {
  dir: string;
  /** Base commit first, then one sha per planned commit. */
  shas: string[];
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'kmatrix test',
  GIT_AUTHOR_EMAIL: 'test@kmatrix.invalid',
  GIT_COMMITTER_NAME: 'kmatrix test',
  GIT_COMMITTER_EMAIL: 'test@kmatrix.invalid',
};

export const git = (dir: string, args: string[], input?: string) =>
  execa('git', ['-C', dir, ...args], {
    env: GIT_ENV,
    ...(input !== undefined ? { input } : {}),
    maxBuffer: 256 * 1024 * 1024,
  });

/**
 * A bare repository at `dir` whose first commit is the whole `tree`, read in place (no copy,
 * no checkout: a kernel tree is 78,000 files) with zlib level 0 objects. kmatrix only reads
 * repositories (rev-parse, archive, clone --shared), so a bare mirror is a real setup.
 */
export async function bareBaseRepo(tree: string, dir: string): Promise<string> {
  await execa('git', ['init', '-q', '--bare', '-b', 'main', dir]);
  await git(dir, ['config', 'gc.auto', '0']);
  await git(dir, ['config', 'maintenance.auto', 'false']);
  const env = { ...GIT_ENV, GIT_WORK_TREE: tree, GIT_INDEX_FILE: join(dir, 'kmatrix-base-index') };
  const g = (args: string[], input?: string) =>
    execa('git', ['--git-dir', dir, '-c', 'core.looseCompression=0', ...args], {
      env,
      ...(input !== undefined ? { input } : {}),
    });
  // -f: Debian's top-level .gitignore ignores everything at the top level (its packaging rule).
  await g(['add', '-A', '-f', '--', '.', ':!.kmatrix-source']);
  const empty = (await g(['hash-object', '-w', '--stdin'], '')).stdout.trim();
  await g(['update-index', '--cacheinfo', `100644,${empty},.gitignore`]);
  const treeId = (await g(['write-tree'])).stdout.trim();
  const commit = (
    await execa('git', ['--git-dir', dir, 'commit-tree', treeId, '-m', 'base: Debian tree'], {
      env: {
        ...GIT_ENV,
        GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
        GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
      },
    })
  ).stdout.trim();
  await git(dir, ['update-ref', 'refs/heads/main', commit]);
  await execa('rm', ['-f', join(dir, 'kmatrix-base-index')]);
  return commit;
}

/** A repository at `dir` whose first commit is `tree` (all of it, or its Kconfig subset). */
export async function baseRepo(tree: string, dir: string, subset: boolean): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (subset) await copyKconfigSubset(tree, dir);
  else await execa('cp', ['-a', `${tree}/.`, dir]);
  // Debian's top-level .gitignore ignores everything at the top level (its packaging rule).
  await writeFile(join(dir, '.gitignore'), '');
  await execa('rm', ['-f', join(dir, '.kmatrix-source')]);
  await git(dir, ['init', '-q', '-b', 'main']);
  // No background auto-gc: tests compare the repository's .git before and after a bisect.
  await git(dir, ['config', 'gc.auto', '0']);
  await git(dir, ['config', 'maintenance.auto', 'false']);
  await git(dir, ['add', '-A']);
  await git(dir, [
    'commit',
    '-q',
    '--no-verify',
    '--date=2024-01-01T00:00:00Z',
    '-m',
    'base: Debian tree',
  ]);
  return (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim();
}

/** Append planned commits to `dir`'s main branch and check the result out. */
export async function appendCommits(
  dir: string,
  commits: readonly PlannedCommit[],
): Promise<string[]> {
  const overlay = new Map<string, string | null>();
  const read = async (path: string) => {
    const o = overlay.get(path);
    if (o === null) throw new Error(`${path} was deleted earlier in the history`);
    if (o !== undefined) return o;
    const r = await execa('git', ['-C', dir, 'show', `main:${path}`], {
      stripFinalNewline: false,
      maxBuffer: 64 * 1024 * 1024,
    });
    return r.stdout;
  };
  const parts: string[] = [];
  let t = Date.parse('2024-01-02T00:00:00Z') / 1000;
  const head = (await git(dir, ['rev-parse', 'main'])).stdout.trim();
  let mark = 0;
  for (const c of commits) {
    const edits = await c.edits(read);
    mark++;
    t += 3600;
    const msg = Buffer.from(c.message + '\n');
    parts.push(
      `commit refs/heads/main\nmark :${mark}\nauthor kmatrix test <test@kmatrix.invalid> ${t} +0000\ncommitter kmatrix test <test@kmatrix.invalid> ${t} +0000\ndata ${msg.length}\n${msg.toString()}`,
    );
    if (mark === 1) parts.push(`from ${head}\n`);
    for (const e of edits) {
      overlay.set(e.path, e.content);
      if (e.content === null) parts.push(`D ${e.path}\n`);
      else {
        const body = Buffer.from(e.content);
        parts.push(`M 100644 inline ${e.path}\ndata ${body.length}\n${e.content}\n`);
      }
    }
    parts.push('\n');
  }
  await git(dir, ['fast-import', '--quiet', '--force'], parts.join(''));
  const bare = (await git(dir, ['rev-parse', '--is-bare-repository'])).stdout.trim() === 'true';
  if (!bare) {
    await git(dir, ['reset', '-q', '--hard', 'main']);
    // Settle racily-clean index entries now, so a later `git status` has nothing to rewrite.
    await new Promise((r) => setTimeout(r, 1100));
    await git(dir, ['update-index', '-q', '--really-refresh']);
  }
  const log = await git(dir, ['rev-list', '--reverse', `${head}..main`]);
  return log.stdout.trim().split('\n').filter(Boolean);
}

export async function createHistory(o: {
  tree: string;
  dir: string;
  subset: boolean;
  commits: readonly PlannedCommit[];
}): Promise<History> {
  const base = await baseRepo(o.tree, o.dir, o.subset);
  const shas = await appendCommits(o.dir, o.commits);
  return { dir: o.dir, shas: [base, ...shas] };
}

/** Replace the first occurrence of `from` in a file (throws if absent: the plan is wrong). */
export function replaceIn(path: string, from: string, to: string): PlannedCommit['edits'] {
  return async (read) => {
    const text = await read(path);
    if (!text.includes(from)) throw new Error(`${path} does not contain ${JSON.stringify(from)}`);
    return [{ path, content: text.replace(from, to) }];
  };
}

/** Append a line to a file. */
export function appendTo(path: string, line: string): PlannedCommit['edits'] {
  return async (read) => [{ path, content: (await read(path).catch(() => '')) + line + '\n' }];
}

/** A state snapshot of a user's repo, to prove a bisect left it alone. */
export async function repoState(dir: string): Promise<Record<string, string>> {
  // --no-optional-locks: `git status` must not refresh (rewrite) the index while we look.
  const run = async (args: string[]) => {
    const r = await execa('git', ['--no-optional-locks', '-C', dir, ...args], { reject: false });
    return `${r.exitCode}:${r.stdout.trim()}`;
  };
  const gitDir = (await git(dir, ['rev-parse', '--absolute-git-dir'])).stdout.trim();
  const indexStat = await execa('stat', ['-c', '%s %Y %i', join(gitDir, 'index')]);
  return {
    index: indexStat.stdout.trim(),
    head: await run(['rev-parse', 'HEAD']),
    symbolic: await run(['symbolic-ref', '-q', 'HEAD']),
    status: await run(['status', '--porcelain']),
    refs: await run(['for-each-ref', '--format=%(refname) %(objectname)']),
    bisect: await run(['bisect', 'log']),
    worktrees: await run(['worktree', 'list', '--porcelain']),
    gitDirEntries: (await execa('ls', ['-A', gitDir])).stdout,
  };
}

export async function fileText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
