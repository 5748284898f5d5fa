// A config bisect runs the olddefconfig after the pins as conf itself, with the command line
// and environment make gave conf one step earlier (saved by the probe wrapper). It must give
// byte for byte the .config that `make olddefconfig` gives.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { resolveConfig, type KconfigDeps } from '../../../src/bisect/configure.js';
import { createProbeCache } from '../../../src/config/probe-cache.js';
import { parsePins } from '../../../src/config/pin.js';
import { execaRunner } from '../../../src/process/runner.js';
import { compilerCommand } from '../../../src/toolchain/toolchains.js';
import { treePath } from '../../helpers/trees.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-direct-conf-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('olddefconfig run as conf directly', () => {
  it.each(['x86_64', 'arm64'])(
    'gives the same .config as make olddefconfig (6.1 %s defconfig + pins)',
    async (name) => {
      const arch = findArch(name)!;
      const src = treePath('6.1');
      const pathPrefix = await createProbeCache(
        join(work, `probes-${name}`),
        compilerCommand(arch, 'gcc'),
        process.env,
      );
      const deps: KconfigDeps = {
        runner: execaRunner,
        env: process.env,
        hostCflags: '-O0',
        ...(pathPrefix ? { pathPrefix } : {}),
      };
      const pins = parsePins(['CRASH_DUMP=y', 'KEXEC=n', 'KEXEC_FILE=y'], 'test');
      const place = (out: string) => ({
        src,
        out: join(work, out),
        arch,
        toolchain: 'gcc' as const,
      });
      const viaMake = await resolveConfig(place(`make-${name}`), { kind: 'defconfig' }, pins, deps);
      const direct = await resolveConfig(place(`direct-${name}`), { kind: 'defconfig' }, pins, {
        ...deps,
        directOlddefconfig: true,
      });
      expect(viaMake.kind).toBe('ok');
      expect(direct.kind).toBe('ok');
      if (viaMake.kind !== 'ok' || direct.kind !== 'ok') return;
      // The direct path was taken: the wrapper saved conf's command line and environment.
      expect((await readdir(join(work, `direct-${name}`))).sort()).toEqual(
        expect.arrayContaining(['.kmatrix-conf-env', '.kmatrix-conf-env.argv']),
      );
      expect(direct.text).toBe(viaMake.text);
      expect(direct.values.get('KEXEC_FILE')).toBe('y');

      // Nothing make reads changed: the defconfig step replays conf's saved run.
      const replayed = await resolveConfig(
        place(`direct-${name}`),
        { kind: 'defconfig' },
        pins,
        { ...deps, directOlddefconfig: true },
        undefined,
        true,
      );
      expect(replayed.kind === 'ok' && replayed.replayed).toBe(true);
      expect(replayed.kind === 'ok' && replayed.text).toBe(viaMake.text);
    },
    300_000,
  );

  it('does not replay a defconfig target that is not one plain conf --defconfig run (powerpc64le merges fragments)', async () => {
    const arch = findArch('powerpc64le')!;
    const src = treePath('6.1');
    const pathPrefix = await createProbeCache(
      join(work, 'probes-ppc'),
      compilerCommand(arch, 'gcc'),
      process.env,
    );
    const deps: KconfigDeps = {
      runner: execaRunner,
      env: process.env,
      hostCflags: '-O0',
      directOlddefconfig: true,
      ...(pathPrefix ? { pathPrefix } : {}),
    };
    const pins = parsePins(['CRASH_DUMP=y'], 'test');
    const place = { src, out: join(work, 'ppc'), arch, toolchain: 'gcc' as const };
    const first = await resolveConfig(place, { kind: 'defconfig' }, pins, deps);
    const again = await resolveConfig(place, { kind: 'defconfig' }, pins, deps, undefined, true);
    expect(first.kind).toBe('ok');
    expect(again.kind === 'ok' && again.replayed).toBe(false);
    expect(again.kind === 'ok' && again.text).toBe(first.kind === 'ok' && first.text);
  }, 300_000);
});
