// The built CLI as a user runs it: a docker build's JSON and exit code, a pin that did not
// hold (exit 1, nothing built), the local fallback, and a missing image (exit 2 with a message
// that says what to do). No daemon at all is tested in-process (test/unit/cli).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmatrix } from '../../helpers/cli.js';
import { treePath } from '../../helpers/trees.js';
import { requireDaemon } from '../runtime/docker-helpers.js';

let work: string;

beforeAll(async () => {
  await requireDaemon();
  work = await mkdtemp(join(tmpdir(), 'kmatrix-build-cli-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('kmatrix build (end to end)', () => {
  it('builds tinyconfig arm64 in docker by default and prints result.json', async () => {
    const r = await kmatrix(work, [
      'build',
      '--source',
      treePath('6.1'),
      '--arch',
      'arm64',
      '--base',
      'tinyconfig',
      '-j2',
      '--out',
      'arm64-tiny',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /runtime: docker \(kmatrix\/gcc:latest sha256:[0-9a-f]{12}.*a daemon answers\)/,
    );
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      schema: 'kmatrix.build/1',
      status: 'pass',
      cell: { arch: 'arm64', base: 'tinyconfig', toolchain: 'gcc', targets: ['kernel'] },
      runtime: { kind: 'docker', image: 'kmatrix/gcc:latest' },
      artifacts: ['arch/arm64/boot/Image'],
      outDir: join(work, 'arm64-tiny'),
    });
  });

  it('stops at a pin that did not hold: exit 1, config-unsatisfied, nothing built', async () => {
    const r = await kmatrix(work, [
      'build',
      '--source',
      treePath('6.1'),
      '--arch',
      's390',
      '--set',
      'KEXEC=n',
      '--runtime',
      'docker',
      '--out',
      's390-unsat',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.status).toBe('config-unsatisfied');
    expect(j.reason).toMatch(/KEXEC \(overridden\)/);
    expect(j.targets.map((t: { status: string }) => t.status)).toEqual(['not-run']);
  });

  it('falls back to the local runtime under auto when no daemon answers, and says so', async () => {
    const r = await kmatrix(
      work,
      [
        'build',
        '--source',
        treePath('6.1'),
        '--arch',
        's390',
        '--set',
        'KEXEC=n',
        '--out',
        's390-auto',
        '--json',
      ],
      { env: { DOCKER_HOST: 'unix:///nonexistent/kmatrix-test.sock' } },
    );
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      'runtime: local (host toolchains): no Docker daemon answers at unix:///nonexistent/kmatrix-test.sock',
    );
    expect(JSON.parse(r.stdout).runtime).toEqual({ kind: 'local' });
  });

  it('exits 2 and says to run `kmatrix images build` when the image is missing', async () => {
    const r = await kmatrix(work, [
      'build',
      '--source',
      treePath('6.1'),
      '--arch',
      'arm',
      '--runtime',
      'docker',
      '--image',
      'kmatrix/gcc:no-such-tag',
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('docker image kmatrix/gcc:no-such-tag not found on the daemon');
    expect(r.stderr).toContain('kmatrix images build --toolchain gcc');
  });
});

describe('kmatrix images list (end to end)', () => {
  it('lists both toolchain images with compiler versions as JSON', async () => {
    const r = await kmatrix(work, ['images', 'list', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      tag: string;
      toolchain: string;
      compilerVersion: string;
    }[];
    expect(rows.map((x) => [x.tag, x.toolchain])).toEqual([
      ['kmatrix/clang:latest', 'clang'],
      ['kmatrix/gcc:latest', 'gcc'],
    ]);
    expect(rows[1]!.compilerVersion).toMatch(/^gcc \(Debian 12/);
  });
});
