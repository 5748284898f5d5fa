// The key under which a bisect or verification step reuses a .config resolved in its O= dir
// at another commit: it must change with anything the config targets can read (Kconfig
// statements, Makefiles, scripts, fragments, a Kconfig file appearing, the request) and may
// stay the same when only sources, headers, docs, another arch's Kconfig, or comment and blank
// lines of a Kconfig file changed.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { configKey, forgetKconfigBlobs, kconfigTexts } from '../../../src/bisect/config-key.js';
import { savedConfig, seedSavedConfig } from '../../../src/bisect/predicate.js';
import type { Pin } from '../../../src/config/pin.js';
import { createExecaRunner } from '../../../src/process/runner.js';
import { git } from '../../helpers/history.js';

let repo: string;
const runner = createExecaRunner({ cleanup: true });
const arch = findArch('armel')!;

async function commit(files: Record<string, string>): Promise<void> {
  for (const [p, text] of Object.entries(files)) {
    await mkdir(join(repo, p, '..'), { recursive: true });
    await writeFile(join(repo, p), text);
  }
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', 'c']);
}

const key = async (pins: Pin[] = [], at = repo) =>
  configKey(
    runner,
    {
      repo: at,
      sha:
        (await execa('git', ['-C', at, 'rev-parse', 'HEAD'], { reject: false })).stdout.trim() ||
        'HEAD',
    },
    { arch, toolchain: 'gcc', base: { kind: 'tinyconfig' }, pins, baseText: null },
  );

beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'kmatrix-config-key-'));
  await execa('git', ['init', '-q', '-b', 'main', repo]);
  await commit({
    Kconfig: 'config A\n\tbool "a"\nsource "mm/Kconfig"\nsource "arch/arm/Kconfig"\n',
    'mm/Kconfig': 'config M\n\tbool "m"\n',
    'arch/arm/Kconfig': 'config ARM\n\tdef_bool y\n',
    'arch/x86/Kconfig': 'config X86\n\tdef_bool y\n',
    'arch/arm/Makefile': 'KBUILD_DEFCONFIG := multi_v7_defconfig\n',
    Makefile: 'all:\n',
    'kernel/fork.c': 'int x;\n',
    'include/linux/x.h': '#define X 1\n',
    'Documentation/note.txt': 'note\n',
    'scripts/check.sh': 'true\n',
  });
});

afterEach(() => rm(repo, { recursive: true, force: true }));

describe('configKey', () => {
  it('stays the same when only sources, docs, other archs or Kconfig comments changed', async () => {
    const k0 = await key();
    expect(k0).toMatch(/^[0-9a-f]{64}$/);
    for (const files of [
      { 'kernel/fork.c': 'int y;\n', 'include/linux/x.h': '#define X 2\n' },
      { 'Documentation/note.txt': 'other\n', 'kernel/new.c': 'int z;\n' },
      { 'arch/x86/Kconfig': 'config X86\n\tdef_bool n\n', 'arch/x86/Makefile': 'x\n' },
      { 'mm/Kconfig': '# the m option\nconfig M\n\n\tbool "m"\n  # more\n' },
    ]) {
      await commit(files);
      expect(await key(), JSON.stringify(files)).toBe(k0);
    }
  });

  it('changes with a Kconfig statement, a new Kconfig file, a Makefile, a script, or the pins', async () => {
    const seen = new Set([await key()]);
    expect(seen.has(await key([{ symbol: 'A', value: 'y', origin: 'matrix.yaml' }]))).toBe(false);
    for (const files of [
      { 'mm/Kconfig': 'config M\n\tbool "m"\n\tdefault y\n' },
      { 'mm/Kconfig.debug': '# only a comment\n' },
      { 'arch/arm/Makefile': 'KBUILD_DEFCONFIG := vexpress_defconfig\n' },
      { Makefile: 'all: x\n' },
      { 'scripts/check.sh': 'false\n' },
      { 'kernel/configs/tiny.config': 'CONFIG_A=y\n' },
      // Another arch's Kconfig that a file outside it sources counts (crypto/Kconfig does).
      {
        'crypto/Kconfig': 'source "arch/x86/crypto/Kconfig"\n',
        'arch/x86/crypto/Kconfig': 'config C\n\tbool\n',
      },
      { 'arch/x86/crypto/Kconfig': 'config C\n\tbool "c"\n' },
    ]) {
      await commit(files);
      const k = await key();
      expect(seen.has(k), JSON.stringify(files)).toBe(false);
      seen.add(k);
    }
  });

  it('is the same whether the Kconfig blobs were read at an earlier commit or not', async () => {
    // Each step greps only the Kconfig files whose blob it has not seen: a key made that way
    // must be the key made from nothing, through renames, sources of other arches and
    // continuations over comment lines.
    const steps: Record<string, string>[] = [
      { 'mm/Kconfig': 'config M\n\tbool "m"\n\tdefault y\n' },
      {
        'crypto/Kconfig': 'source "arch/x86/crypto/Kconfig"\n',
        'arch/x86/crypto/Kconfig': 'config C\n\tbool\n',
      },
      { 'arch/x86/crypto/Kconfig': 'config C\n\tbool "c"\n' },
      { 'arch/arm/Kconfig': 'config ARM\n\tdef_bool y \\\n# gap\n\t&& A\n' },
      { 'kernel/Kconfig.new': 'config M\n\tbool "m"\n\tdefault y\n' },
    ];
    for (const files of steps) {
      await commit(files);
      const warm = await key();
      forgetKconfigBlobs();
      expect(await key(), JSON.stringify(files)).toBe(warm);
    }
    await git(repo, ['mv', 'mm/Kconfig', 'mm/Kconfig.moved']);
    await git(repo, ['commit', '-q', '-m', 'rename']);
    const warm = await key();
    forgetKconfigBlobs();
    expect(await key()).toBe(warm);
  });

  it('is undefined where git cannot read the commit', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'kmatrix-config-key-plain-'));
    try {
      expect(await key([], plain)).toBeUndefined();
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });
});

describe('seedSavedConfig', () => {
  // A run's .config of tonight's commit, kept in a bisect worker's O= dir: a step at a commit
  // with the same key finds it (and does not run conf); one at other Kconfig inputs does not.
  it("is what a step at a commit with the same key finds, with resolveConfig's commands", async () => {
    const out = join(repo, '.kmatrix-out');
    const head = async () => (await execa('git', ['-C', repo, 'rev-parse', 'HEAD'])).stdout;
    const req = { base: { kind: 'tinyconfig' as const }, pins: [] };
    const place = { src: repo, out, arch, toolchain: 'gcc' as const };
    const text = 'CONFIG_A=y\n# CONFIG_M is not set\n';
    await seedSavedConfig(runner, place, { repo, sha: await head() }, req, text);
    await commit({
      'kernel/fork.c': 'int y;\n',
      'mm/Kconfig': '# a comment\nconfig M\n\tbool "m"\n',
    });
    const same = await savedConfig(out, (await key())!);
    expect(same).toMatchObject({
      kind: 'ok',
      text,
      values: new Map([
        ['A', 'y'],
        ['M', 'n'],
      ]),
    });
    expect(same?.kind === 'ok' && same.commands.join('\n')).toMatch(
      new RegExp(`make .*O=${out}.* tinyconfig`),
    );
    await commit({ 'mm/Kconfig': 'config M\n\tbool "m"\n\tdefault y\n' });
    expect(await savedConfig(out, (await key())!)).toBeUndefined();
  });
});

describe('kconfigTexts', () => {
  it('keeps line numbers only where a continuation spans a dropped line', () => {
    const rev = 'a'.repeat(40);
    const t = kconfigTexts(
      [
        `${rev}:mm/Kconfig:1:config M`,
        `${rev}:mm/Kconfig:4:\tbool "m"`,
        `${rev}:arch/arm/Kconfig:2:\tdepends on A && \\`,
        `${rev}:arch/arm/Kconfig:4:\t\tB`,
      ].join('\n'),
      rev,
    );
    expect(t.get('mm/Kconfig')).toBe('config M\n\tbool "m"');
    expect(t.get('arch/arm/Kconfig')).toBe('2:\tdepends on A && \\\n4:\t\tB');
  });
});
