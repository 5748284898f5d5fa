// The build bisect's private clone: a bare git dir beside a work tree of one commit's files,
// moved by rewriting only what differs. Seeded from a run's export of the same commit, its
// files are hard links to the export's; moving it to another commit must never write
// through those links into the export (the cache tree other builds read).
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PrivateClone } from '../../../src/bisect/git.js';
import { createExecaRunner } from '../../../src/process/runner.js';
import { git } from '../../helpers/history.js';

const runner = createExecaRunner({ cleanup: true });
let top: string;
let repo: string;

async function commit(files: Record<string, string | null>): Promise<string> {
  for (const [p, text] of Object.entries(files)) {
    if (text === null) await rm(join(repo, p));
    else {
      await mkdir(join(repo, p, '..'), { recursive: true });
      await writeFile(join(repo, p), text);
    }
  }
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', 'c']);
  return (await execa('git', ['-C', repo, 'rev-parse', 'HEAD'])).stdout.trim();
}

/** What `kmatrix run` keeps of a git source: `git archive` of the commit, plus its stamp. */
async function exportOf(sha: string): Promise<string> {
  const dir = join(top, `export-${sha.slice(0, 8)}`);
  await mkdir(dir);
  await execa('sh', ['-c', `git -C "${repo}" archive ${sha} | tar -x -C "${dir}"`]);
  await writeFile(join(dir, '.kmatrix-source'), 'stamp\n');
  return dir;
}

const inode = async (p: string) => (await stat(p)).ino;

/** A clone at top/clone started from the export of `sha`, as triage starts its bisect. */
async function seededClone(sha: string): Promise<{ c: PrivateClone; dir: string; exp: string }> {
  const exp = await exportOf(sha);
  const dir = join(top, 'clone');
  const seed = { dir: exp, commit: sha, extra: ['.kmatrix-source'] };
  return { c: await PrivateClone.create(runner, repo, dir, undefined, seed), dir, exp };
}

beforeEach(async () => {
  top = await mkdtemp(join(tmpdir(), 'kmatrix-private-clone-'));
  repo = join(top, 'repo');
  await execa('git', ['init', '-q', '-b', 'main', repo]);
});

afterEach(() => rm(top, { recursive: true, force: true }));

describe('PrivateClone', () => {
  it('starts from hard links to an export and never writes through them', async () => {
    const a = await commit({
      Makefile: 'all:\n',
      'kernel/a.c': 'int a;\n',
      'kernel/gone.c': '1\n',
    });
    const b = await commit({
      'kernel/a.c': 'int b;\n',
      'kernel/gone.c': null,
      'kernel/new.c': 'n\n',
    });
    const { c, dir, exp } = await seededClone(a);
    expect(c.head).toBe(a);
    expect(await inode(join(dir, 'kernel/a.c'))).toBe(await inode(join(exp, 'kernel/a.c')));
    await expect(stat(join(dir, '.kmatrix-source'))).rejects.toThrow();

    await c.checkout(b);
    expect(await readFile(join(dir, 'kernel/a.c'), 'utf8')).toBe('int b;\n');
    expect(await readFile(join(dir, 'kernel/new.c'), 'utf8')).toBe('n\n');
    await expect(stat(join(dir, 'kernel/gone.c'))).rejects.toThrow();
    // The export is as git archive wrote it.
    expect(await readFile(join(exp, 'kernel/a.c'), 'utf8')).toBe('int a;\n');
    expect(await readFile(join(exp, 'kernel/gone.c'), 'utf8')).toBe('1\n');
    // Unchanged files stay links; the work tree has no .git (its git dir is beside it).
    expect(await inode(join(dir, 'Makefile'))).toBe(await inode(join(exp, 'Makefile')));
    await expect(stat(join(dir, '.git'))).rejects.toThrow();
    expect(c.repo).toBe(`${dir}.git`);
  });

  it('is opened again at the commit its last checkout finished', async () => {
    const a = await commit({ Makefile: 'all:\n', 'kernel/a.c': 'int a;\n' });
    const b = await commit({ 'kernel/a.c': 'int b;\n' });
    const dir = join(top, 'clone');
    const c = await PrivateClone.create(runner, repo, dir);
    expect(c.head).toBeUndefined();
    await c.checkout(b);
    const again = await PrivateClone.open(runner, dir);
    expect(again.head).toBe(b);
    await again.checkout(a);
    expect(await readFile(join(dir, 'kernel/a.c'), 'utf8')).toBe('int a;\n');
  });

  it('does not start from an export whose files git archive may have changed', async () => {
    const a = await commit({
      '.gitattributes': 'version.h export-subst\n',
      'version.h': '$Format:%H$\n',
    });
    const { c, dir, exp } = await seededClone(a);
    expect(c.head).toBeUndefined();
    await c.checkout(a);
    expect(await readFile(join(dir, 'version.h'), 'utf8')).toBe('$Format:%H$\n');
    expect(await inode(join(dir, 'version.h'))).not.toBe(await inode(join(exp, 'version.h')));
  });
});
