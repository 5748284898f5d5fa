// The built CLI, run as a user would, on real trees: JSON and exit codes for good runs,
// one-line errors and exit 2 for bad input only a tree or the tools can reveal, nothing
// half-written, the user's git state untouched.
import { chmod, mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { kmatrix } from '../../helpers/cli.js';
import { copyKconfigSubset } from '../../helpers/kernel-subset.js';
import { treePath } from '../../helpers/trees.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-cli-'));
});

const SEED = ['--set', 'CRASH_DUMP=y', '--set', 'CONFIG_KEXEC=n', '--set', 'KEXEC_FILE=y'];

describe('kmatrix config (end to end)', () => {
  it('prints the verdict as JSON and exits 1 when a pin is overridden (6.1 s390)', async () => {
    const r = await kmatrix(work, [
      'config',
      '--source',
      treePath('6.1'),
      '--arch',
      's390',
      ...SEED,
      '--json',
      '--out',
      'out-s390',
    ]);
    expect(r.exitCode).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      verdict: 'unsatisfied',
      arch: 's390',
      base: 'defconfig',
      seed: null,
    });
    expect(j.configPath).toBe(join(work, 'out-s390', '.config'));
    expect(
      j.pins.map((p: Record<string, string>) => [p.symbol, p.requested, p.effective, p.status]),
    ).toEqual([
      ['CRASH_DUMP', 'y', 'y', 'holds'],
      ['KEXEC', 'n', 'y', 'overridden'],
      ['KEXEC_FILE', 'y', 'y', 'holds'],
    ]);
    expect(await readdir(join(work, 'out-s390'))).toEqual(
      expect.arrayContaining(['.config', 'kconfig.log', 'kmatrix-config.json']),
    );
  });

  it('exits 0 with a compact table when every pin holds (6.12 x86_64)', async () => {
    const r = await kmatrix(work, [
      'config',
      '--source',
      treePath('6.12'),
      '--arch',
      'x86_64',
      ...SEED,
      '--out',
      'out-x86',
    ]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/x86_64 defconfig gcc: SATISFIED/);
    expect(r.stdout).toMatch(/^\s+KEXEC\s+n\s+n\s+ok$/m);
    expect(r.stdout).toContain(`config: ${join(work, 'out-x86', '.config')}`);
  });

  it('reads a randconfig seed and a fragment', async () => {
    await writeFile(join(work, 'kexec.config'), '# CONFIG_KEXEC is not set\nCONFIG_CRASH_DUMP=y\n');
    const r = await kmatrix(work, [
      'config',
      '--source',
      treePath('6.1'),
      '--arch',
      'arm',
      '--base',
      'randconfig',
      '--seed',
      '7',
      '--fragment',
      'kexec.config',
      '--json',
      '--out',
      'rand',
    ]);
    const j = JSON.parse(r.stdout);
    expect(j.seed).toBe('7');
    expect(j.pins.map((p: Record<string, string>) => [p.symbol, p.origin])).toEqual([
      ['KEXEC', 'kexec.config:1'],
      ['CRASH_DUMP', 'kexec.config:2'],
    ]);
    expect(r.exitCode).toBe(j.verdict === 'satisfied' ? 0 : 1);
  });
});

// Bad options, pins, bases, arches and sources are tested in-process (test/unit/cli); here
// what needs a real tree or real tools.
describe('bad input that needs the tree or the tools: one line, exit 2, nothing written', () => {
  it('a missing cross toolchain names the Debian package', async () => {
    // A PATH with the host tools but no cross compilers.
    const bin = join(work, 'bin-nocross');
    await mkdir(bin, { recursive: true });
    for (const t of [
      'make',
      'gcc',
      'cc',
      'flex',
      'bison',
      'sh',
      'cat',
      'sed',
      'grep',
      'awk',
      'uname',
      'rm',
      'mkdir',
      'cp',
      'mv',
      'ln',
      'test',
      'expr',
      'tr',
      'head',
      'tail',
      'sort',
      'find',
    ]) {
      await symlink(`/usr/bin/${t}`, join(bin, t)).catch(() => symlink(`/bin/${t}`, join(bin, t)));
    }
    const r = await kmatrix(
      work,
      ['config', '--source', treePath('6.1'), '--arch', 's390', '--out', 'never'],
      { env: { PATH: bin } },
    );
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /gcc toolchain for s390 not found: s390x-linux-gnu-gcc is not on PATH; install Debian package\(s\) gcc-s390x-linux-gnu/,
    );
  });

  it('apt failing (unreachable mirror) is an infrastructure error', async () => {
    const r = await kmatrix(
      work,
      [
        'config',
        '--source',
        'debian:6.1',
        '--arch',
        'arm',
        '--cache-dir',
        join(work, 'empty-cache'),
      ],
      {
        env: {
          KMATRIX_DEBIAN_MIRROR: 'http://127.0.0.1:9/debian',
          PATH: process.env['PATH'] ?? '',
        },
      },
    );
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /apt-get update failed for bookworm, bookworm-backports, sid from http:\/\/127\.0\.0\.1:9\/debian/,
    );
    expect(await readdir(join(work, 'empty-cache'))).not.toContain('trees');
  });

  it('refuses to overwrite a directory kmatrix did not make', async () => {
    await mkdir(join(work, 'precious'), { recursive: true });
    await writeFile(join(work, 'precious', 'notes.txt'), 'mine');
    const r = await kmatrix(work, [
      'config',
      '--source',
      treePath('6.1'),
      '--arch',
      'arm',
      '--out',
      'precious',
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/precious exists and was not made by kmatrix/);
    expect(await readdir(join(work, 'precious'))).toEqual(['notes.txt']);
  });
});

describe('git sources', () => {
  let repo: string;
  const git = (...args: string[]) => execa('git', ['-C', repo, ...args]);

  beforeAll(async () => {
    repo = join(work, 'linux-git');
    await copyKconfigSubset(treePath('6.1'), repo);
    // Debian's tree ignores everything at the top level; a real kernel repo does not.
    await writeFile(join(repo, '.gitignore'), '');
    await execa('git', ['init', '-q', '-b', 'master', repo]);
    await git('-c', 'user.name=t', '-c', 'user.email=t@e', 'add', '-A');
    await git(
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@e',
      'commit',
      '-qm',
      'v6.1 (Kconfig subset)',
    );
    await git('tag', 'base');
    const kexec = join(repo, 'arch/s390/Kconfig');
    const text = await readFile(kexec, 'utf8');
    // On s390 6.1 KEXEC has no prompt (def_bool y) and CRASH_DUMP selects it; a later
    // commit makes it a user choice, as Linux 6.6's kernel/Kconfig.kexec did.
    const next = text
      .replace(/(config CRASH_DUMP\n\tbool "kernel crash dumps"\n)\tselect KEXEC\n/, '$1')
      .replace(
        /config KEXEC\n\tdef_bool y\n/,
        'config KEXEC\n\tbool "kexec system call"\n\tdefault y\n',
      );
    expect(next).not.toBe(text);
    await writeFile(kexec, next);
    await git(
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@e',
      'commit',
      '-qam',
      's390: make KEXEC optional',
    );
    await chmod(repo, 0o755);
  });

  it('configures any ref without touching HEAD, index or worktrees', async () => {
    const head = (await git('rev-parse', 'HEAD')).stdout;
    await writeFile(join(repo, 'Kconfig.local-edit'), 'uncommitted');
    const before = await kmatrix(
      work,
      [
        'config',
        '--source',
        `git:${repo}@base`,
        '--arch',
        's390',
        '--set',
        'CRASH_DUMP=y',
        '--set',
        'KEXEC=n',
        '--json',
        '--out',
        'git-base',
      ],
      { env: { PATH: process.env['PATH'] ?? '' } },
    );
    const after = await kmatrix(
      work,
      [
        'config',
        '--source',
        `git:${repo}@HEAD`,
        '--arch',
        's390',
        '--set',
        'CRASH_DUMP=y',
        '--set',
        'KEXEC=n',
        '--json',
        '--out',
        'git-head',
      ],
      { env: { PATH: process.env['PATH'] ?? '' } },
    );
    expect(JSON.parse(before.stdout).pins[1]).toMatchObject({
      symbol: 'KEXEC',
      effective: 'y',
      status: 'overridden',
    });
    expect(before.exitCode).toBe(1);
    expect(JSON.parse(after.stdout).pins[1]).toMatchObject({
      symbol: 'KEXEC',
      effective: 'n',
      status: 'holds',
    });
    expect(after.exitCode).toBe(0);
    expect((await git('rev-parse', 'HEAD')).stdout).toBe(head);
    expect((await git('status', '--porcelain')).stdout).toBe('?? Kconfig.local-edit');
    expect((await git('worktree', 'list')).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('a ref that names no commit', async () => {
    const r = await kmatrix(
      work,
      ['config', '--source', `git:${repo}@no-such-ref`, '--arch', 's390'],
      {
        env: { PATH: process.env['PATH'] ?? '' },
      },
    );
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/git ref "no-such-ref" does not name a commit in/);
  });
});
