// The key under which a bisect or verification step reuses the .config resolved in its O= dir
// at an earlier commit: it must change with anything Kconfig can read (Kconfig files,
// Makefiles, scripts, the request) and with a file appearing or going, and may stay the same
// when only the content of sources, headers or docs changed.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { configKey } from '../../../src/bisect/predicate.js';
import type { ConfigRequest } from '../../../src/config/generate.js';
import { createExecaRunner } from '../../../src/process/runner.js';

let repo: string;
const ENV = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
};
const runner = createExecaRunner({ cleanup: true });
const arch = findArch('armel')!;

async function commit(files: Record<string, string>): Promise<void> {
  for (const [p, text] of Object.entries(files)) {
    await mkdir(join(repo, p, '..'), { recursive: true });
    await writeFile(join(repo, p), text);
  }
  await execa('git', ['-C', repo, 'add', '-A'], { env: ENV });
  await execa('git', ['-C', repo, 'commit', '-q', '-m', 'c'], { env: ENV });
}

const key = (pins: ConfigRequest['pins'] = []) =>
  configKey(
    {
      src: repo,
      out: join(repo, 'out'),
      label: 'k',
      arch,
      toolchain: 'gcc',
      base: { kind: 'tinyconfig' },
      pins,
    },
    { base: { kind: 'tinyconfig' }, pins } as unknown as ConfigRequest,
    { runner, env: process.env },
  );

beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'kmatrix-config-key-'));
  await execa('git', ['init', '-q', '-b', 'main', repo]);
  await commit({
    Kconfig: 'config A\n\tbool "a"\n',
    Makefile: 'all:\n',
    'kernel/fork.c': 'int x;\n',
    'include/linux/x.h': '#define X 1\n',
    'Documentation/note.txt': 'note\n',
    'scripts/check.sh': 'true\n',
  });
});

afterEach(() => rm(repo, { recursive: true, force: true }));

describe('configKey', () => {
  it('stays the same when only sources, headers and docs changed', async () => {
    const k0 = await key();
    expect(k0).toMatch(/^[0-9a-f]{64}$/);
    await commit({
      'kernel/fork.c': 'int y;\n',
      'include/linux/x.h': '#define X 2\n',
      'Documentation/note.txt': 'other\n',
    });
    expect(await key()).toBe(k0);
  });

  it('changes with a Kconfig file, a Makefile, a script, a new file, or other pins', async () => {
    const seen = new Set([await key()]);
    expect(seen.has(await key([{ symbol: 'A', value: 'y', origin: 'matrix.yaml' }]))).toBe(false);
    for (const files of [
      { 'mm/Kconfig': '# more\n' },
      { Makefile: 'all: x\n' },
      { 'scripts/check.sh': 'false\n' },
      { 'kernel/new.c': 'int z;\n' },
    ]) {
      await commit(files);
      const k = await key();
      expect(seen.has(k), JSON.stringify(files)).toBe(false);
      seen.add(k);
    }
  });

  it('is undefined outside a git checkout (the tree may have edits nobody committed)', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'kmatrix-config-key-plain-'));
    try {
      const k = await configKey(
        {
          src: plain,
          out: join(plain, 'out'),
          label: 'k',
          arch,
          toolchain: 'gcc',
          base: { kind: 'tinyconfig' },
          pins: [],
        },
        { base: { kind: 'tinyconfig' }, pins: [] } as unknown as ConfigRequest,
        { runner, env: process.env },
      );
      expect(k).toBeUndefined();
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });
});
