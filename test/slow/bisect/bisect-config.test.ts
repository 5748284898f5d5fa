// kmatrix bisect --require on a Kconfig-subset history of Debian's 6.1 tree: finds the
// planted "CRASH_DUMP selects KEXEC" commit, shows its hunk and the explanation, writes a
// log that a real `git bisect replay` accepts, and leaves the user's repository alone.
import { mkdtemp, readFile, readdir, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, repoState, type History } from '../../helpers/history.js';
import { kmatrix } from '../../helpers/cli.js';
import { treePath } from '../../helpers/trees.js';
import { CULPRIT_SUBJECT, configHistory } from './config-history.js';

let work: string;
let cache: string;
let h: History;

/** The CLI in the work dir with the test's own cache. */
const kmatrixCached = (args: string[]) => kmatrix(work, args, { env: { KMATRIX_CACHE: cache } });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-bisect-'));
  cache = join(work, 'cache');
  h = await configHistory(treePath('6.1'), join(work, 'repo'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const PINS = ['--set', 'CRASH_DUMP=y', '--set', 'KEXEC=n'];

describe('kmatrix bisect --require (6.1 x86_64, Kconfig subset)', () => {
  it('finds the commit that makes CRASH_DUMP select KEXEC and shows its hunk', async () => {
    const before = await repoState(h.dir);
    const log = join(work, 'bisect.log');
    const r = await kmatrixCached([
      'bisect',
      '--repo',
      h.dir,
      '--good',
      h.shas[0]!,
      '--bad',
      'main',
      '--arch',
      'x86_64',
      ...PINS,
      '--require',
      'KEXEC=n',
      '--log',
      log,
      '--json',
    ]);
    expect(r.stderr).toMatch(/step 1 of ~\d+/);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.kind).toBe('found');
    expect(out.firstBad.subject).toBe(CULPRIT_SUBJECT);
    expect(out.firstBad.sha).toBe(h.shas[20]);
    expect(out.culprit.verdict).toBe('bad');
    expect(out.culprit.requires).toEqual([
      { symbol: 'KEXEC', required: 'n', effective: 'y', holds: false },
    ]);
    expect(out.parent.step.verdict).toBe('good');
    // Only Kconfig-input commits for x86 were candidates: not docs, not arm, not drivers/misc/Makefile.
    expect(out.range.commits).toBe(30);
    expect(out.range.candidates).toBeLessThan(15);
    const hunk = out.hunks.find((x: { file: string }) => x.file === 'arch/x86/Kconfig');
    expect(hunk.text).toContain('+\tselect KEXEC');
    expect(hunk.symbols).toEqual(expect.arrayContaining(['KEXEC']));
    expect(out.explanation.after[0].text).toMatch(/selected by CRASH_DUMP=y/);
    expect(out.explanation.before[0].text).toMatch(/KEXEC=n: holds/);

    // The user's repository: same HEAD, index, status, refs; not bisecting; no worktrees.
    expect(await repoState(h.dir)).toEqual(before);
    // The input trees lived on tmpfs when /dev/shm is one with room, else in the cache; gone.
    const runDir = /private worktrees \(\d+\) in (\S+)/.exec(r.stderr)?.[1];
    const shm = await statfs('/dev/shm').catch(() => undefined);
    const tmpfs = shm !== undefined && shm.type === 0x01021994 && shm.bavail * shm.bsize >= 2 ** 29;
    expect(runDir).toMatch(
      tmpfs
        ? /^\/dev\/shm\/kmatrix-\d+\/bisect\/run-\d+-[0-9a-f]+$/
        : new RegExp(`^${cache}/bisect/run-\\d+-[0-9a-f]+$`),
    );
    await expect(stat(runDir!)).rejects.toThrow(/ENOENT/);

    // git bisect replay in a throwaway clone reaches the same commit.
    const clone = join(work, 'replay');
    await execa('git', ['clone', '-q', h.dir, clone]);
    const replay = await execa('git', ['-C', clone, 'bisect', 'replay', log], { reject: false });
    expect(replay.exitCode, replay.stderr).toBe(0);
    expect(replay.stdout).toContain(`${h.shas[20]} is the first bad commit`);
    expect(await readFile(log, 'utf8')).toContain(`# first bad commit: [${h.shas[20]}]`);
  });

  it('prints a compact human report with the hunk and explanations', async () => {
    const r = await kmatrixCached([
      'bisect',
      '--repo',
      h.dir,
      '--good',
      h.shas[0]!,
      '--bad',
      h.shas[30]!,
      '--arch',
      'x86_64',
      ...PINS,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^first bad commit: ${h.shas[20]!.slice(0, 12)} x86/kexec`),
    );
    expect(r.stdout).toContain('hunks naming');
    expect(r.stdout).toContain('explanation after (first bad):');
  });

  it('exits 3 when the good endpoint is already bad', async () => {
    const r = await kmatrixCached([
      'bisect',
      '--repo',
      h.dir,
      '--good',
      h.shas[22]!,
      '--bad',
      h.shas[30]!,
      '--arch',
      'x86_64',
      ...PINS,
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out.kind).toBe('endpoints');
    expect(out.problems[0]).toMatch(/--good .* is bad: KEXEC=y \(required n\)/);
  });

  it('exits 2 with a usage message for a ref that does not exist', async () => {
    const r = await kmatrixCached([
      'bisect',
      '--repo',
      h.dir,
      '--good',
      'nope',
      '--bad',
      'main',
      '--arch',
      'x86_64',
      ...PINS,
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/git ref "nope" does not name a commit/);
  });

  it('agrees with plain git bisect run testing every commit', async () => {
    const clone = join(work, 'plain');
    await execa('git', ['clone', '-q', h.dir, clone]);
    const script = join(work, 'pred.sh');
    const { writeFile, chmod } = await import('node:fs/promises');
    await writeFile(
      script,
      `#!/bin/sh\nset -e\no=${work}/plain-out\nmake -s -C ${clone} O=$o ARCH=x86 defconfig >/dev/null || exit 125\nprintf 'CONFIG_CRASH_DUMP=y\\n# CONFIG_KEXEC is not set\\n' >> $o/.config\nmake -s -C ${clone} O=$o ARCH=x86 olddefconfig >/dev/null || exit 125\ngrep -q '^# CONFIG_KEXEC is not set' $o/.config\n`,
    );
    await chmod(script, 0o755);
    await git(clone, ['bisect', 'start', 'main', h.shas[0]!]);
    const run = await execa('git', ['-C', clone, 'bisect', 'run', script], { reject: false });
    expect(run.stdout).toContain(`${h.shas[20]} is the first bad commit`);
  });
});

describe('kmatrix bisect interrupted', () => {
  it('SIGINT leaves no temp dirs and no processes behind', async () => {
    const cache2 = join(work, 'cache-int');
    const scratch = join(work, 'scratch-int');
    const child = kmatrix(
      work,
      [
        'bisect',
        '--repo',
        h.dir,
        '--good',
        h.shas[0]!,
        '--bad',
        'main',
        '--arch',
        'x86_64',
        ...PINS,
      ],
      { env: { KMATRIX_CACHE: cache2, KMATRIX_SCRATCH: scratch } },
    );
    let seen = '';
    await new Promise<void>((res) => {
      child.stderr.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('step 2 of')) res();
      });
    });
    // Let make and conf start, then interrupt.
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cancelled/);
    expect(seen).toContain(` in ${join(scratch, 'bisect')}/run-`);
    expect(await readdir(join(scratch, 'bisect'))).toEqual([]);
    const ps = await execa('ps', ['-eo', 'args']);
    expect(ps.stdout).not.toContain(join(scratch, 'bisect'));
  });
});
