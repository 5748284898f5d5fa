// The build wiring every building command shares: sources resolved against the command's
// cwd, the runtime choice with its reason, config generation that looks for compilers on the
// injected env's PATH, and the ccache dir only when asked for.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { buildWiring, type BuildSetup } from '../../../src/build/deps.js';
import { execaRunner } from '../../../src/process/runner.js';

let work: string;
const NO_DAEMON = 'unix:///nonexistent/kmatrix-test.sock';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-deps-'));
  await mkdir(join(work, 'not-a-tree'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const setup = (over: Partial<BuildSetup> = {}): BuildSetup => ({
  env: { PATH: process.env['PATH'], DOCKER_HOST: NO_DAEMON },
  cwd: work,
  cacheDir: join(work, 'cache'),
  runner: execaRunner,
  emit: () => {},
  ccache: true,
  ...over,
});

describe('buildWiring', () => {
  it('resolves a relative source path against the cwd it was given', async () => {
    await expect(
      buildWiring(setup()).resolveSource({ kind: 'path', path: 'not-a-tree' }),
    ).rejects.toThrow(/source path not-a-tree is not a Linux kernel source tree/);
    await expect(
      buildWiring(setup({ cwd: '/' })).resolveSource({ kind: 'path', path: 'not-a-tree' }),
    ).rejects.toThrow(/source path not-a-tree does not exist/);
  });

  it('says which runtime it chose and why', async () => {
    const w = buildWiring(setup());
    const local = await w.selectRuntime('local', 'gcc');
    expect([local.runtime.info.kind, local.note]).toEqual([
      'local',
      'runtime: local (host toolchains), as requested',
    ]);
    const auto = await w.selectRuntime('auto', 'gcc');
    expect([auto.runtime.info.kind, auto.note]).toEqual([
      'local',
      `runtime: local (host toolchains): no Docker daemon answers at ${NO_DAEMON}`,
    ]);
  });

  it('looks for the cross compiler on the PATH of the env it was given', async () => {
    const w = buildWiring(setup({ env: { PATH: join(work, 'empty-bin') } }));
    const tree = {
      spec: { kind: 'path' as const, path: '/src' },
      path: '/src',
      version: '6.1.0',
      label: 'src',
      cacheKey: 'path-x',
    };
    await expect(
      w.generateConfig({
        tree,
        arch: findArch('arm64')!,
        toolchain: 'gcc',
        base: { kind: 'tinyconfig' },
        pins: [],
        outDir: join(work, 'out'),
      }),
    ).rejects.toThrow(
      /gcc toolchain for arm64 not found: aarch64-linux-gnu-gcc is not on PATH; install Debian package\(s\) gcc-aarch64-linux-gnu/,
    );
  });

  it('shares <cache>/ccache with builds only when ccache is on', async () => {
    const { runtime } = await buildWiring(setup()).selectRuntime('local', 'gcc');
    const emit = () => {};
    expect(buildWiring(setup()).buildDeps(runtime, emit)).toMatchObject({
      runtime,
      emit,
      ccacheDir: join(work, 'cache', 'ccache'),
    });
    expect(buildWiring(setup({ ccache: false })).buildDeps(runtime, emit)).not.toHaveProperty(
      'ccacheDir',
    );
  });
});
