// The clang image is built and listed by `kmatrix images`; this proves it builds a kernel:
// arm64 tinyconfig with LLVM=1 in kmatrix/clang, as a user runs it, and the kernel really is
// clang's (the config Kbuild wrote says CC_IS_CLANG, the image's .comment names clang).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectiveValue, parseDotConfig } from '../../../src/config/dotconfig.js';
import { kmatrix } from '../../helpers/cli.js';
import { treePath } from '../../helpers/trees.js';
import { requireDaemon } from '../runtime/docker-helpers.js';

let work: string;

beforeAll(async () => {
  await requireDaemon();
  work = await mkdtemp(join(tmpdir(), 'kmatrix-clang-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('kmatrix build --toolchain clang', () => {
  it('builds arm64 tinyconfig with LLVM=1 in the kmatrix/clang image', async () => {
    const r = await kmatrix(work, [
      'build',
      '--source',
      treePath('6.1'),
      '--arch',
      'arm64',
      '--base',
      'tinyconfig',
      '--toolchain',
      'clang',
      '--runtime',
      'docker',
      '-j2',
      '--out',
      'arm64-clang',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = join(work, 'arm64-clang');
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      status: 'pass',
      cell: { arch: 'arm64', base: 'tinyconfig', toolchain: 'clang', targets: ['kernel'] },
      runtime: { kind: 'docker', image: 'kmatrix/clang:latest' },
      artifacts: ['arch/arm64/boot/Image'],
    });
    expect(j.toolchain.version).toMatch(/^Debian clang version 14\./);
    // The host's clang generated the config; the image's clang built it without changing it.
    expect(j.config.changedByBuild).toEqual([]);
    const config = parseDotConfig(await readFile(join(out, '.config'), 'utf8'));
    expect(config.get('CC_IS_CLANG')).toBe('y');
    expect(effectiveValue(config, 'CC_IS_GCC')).toBe('n');
    expect(Number(config.get('CLANG_VERSION'))).toBeGreaterThanOrEqual(140000);
    expect((await stat(join(out, 'arch/arm64/boot/Image'))).size).toBeGreaterThan(100_000);
    // vmlinux's .comment records the compiler that built it.
    const comment = await execa('llvm-readelf', ['-p', '.comment', join(out, 'vmlinux')]);
    expect(comment.stdout).toMatch(/clang version 14\./);
    expect(comment.stdout).not.toMatch(/GCC:/);
    const repro = await readFile(join(out, 'reproducer.sh'), 'utf8');
    expect(repro).toContain('kmatrix/clang');
    expect(repro).toMatch(
      /make -C \/src O=\/out ARCH=arm64 LLVM=1 CROSS_COMPILE=aarch64-linux-gnu- -j2 Image/,
    );
  });
});
