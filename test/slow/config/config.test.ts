// kmatrix config against the real Debian 6.1 and 6.12 trees: the seed case on four archs,
// plus each pin status, every base, and the promise never to write into the source tree.
import { mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import type { Base } from '../../../src/config/base.js';
import { generateConfig, type ConfigResult } from '../../../src/config/generate.js';
import { symbolLookup } from '../../../src/config/kconfig-bridge.js';
import { parseDotConfig } from '../../../src/config/dotconfig.js';
import { parsePins } from '../../../src/config/pin.js';
import { defaultCacheDir } from '../../../src/fsutil/cache.js';
import { execaRunner } from '../../../src/process/runner.js';
import { resolveSource } from '../../../src/source/resolve.js';
import type { KernelTree } from '../../../src/source/tree.js';
import { treePath, type TreeVersion } from '../../helpers/trees.js';

let work: string;
const trees = new Map<TreeVersion, KernelTree>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-config-'));
  for (const v of ['6.1', '6.12'] as const) {
    trees.set(
      v,
      await resolveSource(
        { kind: 'path', path: treePath(v) },
        { runner: execaRunner, cacheDir: defaultCacheDir(process.env), cwd: work, emit: () => {} },
      ),
    );
  }
});

let n = 0;
async function config(
  v: TreeVersion,
  arch: string,
  pins: string[],
  base: Base = { kind: 'defconfig' },
): Promise<ConfigResult> {
  return generateConfig(
    {
      tree: trees.get(v)!,
      arch: findArch(arch)!,
      toolchain: 'gcc',
      base,
      pins: parsePins(pins, '--set'),
      outDir: join(work, `cell-${n++}`),
    },
    {
      runner: execaRunner,
      cacheDir: defaultCacheDir(process.env),
      env: process.env,
      emit: () => {},
      symbols: symbolLookup,
    },
  );
}

const statuses = (r: ConfigResult) =>
  Object.fromEntries(r.pins.map((p) => [p.symbol, `${p.effective} ${p.status}`]));
const SEED = ['CRASH_DUMP=y', 'KEXEC=n', 'KEXEC_FILE=y'];

describe.concurrent('the seed case: defconfig + CRASH_DUMP=y KEXEC=n KEXEC_FILE=y', () => {
  it('6.1 s390: CRASH_DUMP selects KEXEC (arch/s390/Kconfig), so KEXEC=n is overridden', async () => {
    const r = await config('6.1', 's390', SEED);
    expect(r.verdict).toBe('unsatisfied');
    expect(statuses(r)).toEqual({
      CRASH_DUMP: 'y holds',
      KEXEC: 'y overridden',
      KEXEC_FILE: 'y holds',
    });
  });
  it('6.1 arm: KEXEC_FILE is defined only by other arches, so it is unavailable', async () => {
    const r = await config('6.1', 'arm', SEED);
    expect(r.verdict).toBe('unsatisfied');
    expect(statuses(r)).toEqual({
      CRASH_DUMP: 'y holds',
      KEXEC: 'n holds',
      KEXEC_FILE: 'n unavailable',
    });
  });
  it('6.12 arm: KEXEC_FILE needs ARCH_SUPPORTS_KEXEC_FILE and CRASH_DUMP needs KEXEC_CORE: both dropped', async () => {
    const r = await config('6.12', 'arm', SEED);
    expect(r.verdict).toBe('unsatisfied');
    expect(statuses(r)).toEqual({
      CRASH_DUMP: 'n dropped',
      KEXEC: 'n holds',
      KEXEC_FILE: 'n dropped',
    });
  });
  it.each([
    ['6.1', 'x86_64'],
    ['6.1', 'arm64'],
    ['6.12', 'x86_64'],
    ['6.12', 'arm64'],
    ['6.12', 's390'],
  ] as const)('%s %s: every pin holds', async (v, arch) => {
    const r = await config(v, arch, SEED);
    expect(statuses(r)).toEqual({ CRASH_DUMP: 'y holds', KEXEC: 'n holds', KEXEC_FILE: 'y holds' });
    expect(r.verdict).toBe('satisfied');
    const values = parseDotConfig(await readFile(r.configPath, 'utf8'));
    expect(values.get('CRASH_DUMP')).toBe('y');
    expect(values.get('KEXEC')).toBe('n');
  });
});

describe.concurrent('pin statuses and bases', () => {
  it('an unmet dependency drops a pin: KEXEC_SIG depends on KEXEC_FILE (x86_64)', async () => {
    const r = await config('6.1', 'x86_64', ['KEXEC_FILE=n', 'KEXEC_SIG=y']);
    expect(statuses(r)).toEqual({ KEXEC_FILE: 'n holds', KEXEC_SIG: 'n dropped' });
  });
  it('a symbol of another arch is unavailable: X86_X2APIC on arm64', async () => {
    const r = await config('6.12', 'arm64', ['X86_X2APIC=y', 'NR_CPUS=64']);
    expect(statuses(r)).toEqual({ X86_X2APIC: 'n unavailable', NR_CPUS: '64 holds' });
  });
  it('tinyconfig and allnoconfig take pins; allnoconfig through KCONFIG_ALLCONFIG', async () => {
    const tiny = await config('6.1', 'arm64', ['PRINTK=y'], { kind: 'tinyconfig' });
    expect(statuses(tiny)).toEqual({ PRINTK: 'y holds' });
    const values = parseDotConfig(await readFile(tiny.configPath, 'utf8'));
    expect(values.get('MODULES') ?? 'n').toBe('n');
    const none = await config('6.12', 'x86_64', ['CRASH_DUMP=y', 'KEXEC_FILE=y'], {
      kind: 'allnoconfig',
    });
    expect(none.commands[0]).toMatch(
      /^KCONFIG_ALLCONFIG=\S+kmatrix\.allconfig make .* allnoconfig$/,
    );
    expect(statuses(none)).toEqual({ CRASH_DUMP: 'y holds', KEXEC_FILE: 'y holds' });
  });
  it('randconfig with a seed is reproducible and honours pins', async () => {
    const base: Base = { kind: 'randconfig', seed: '42' };
    const a = await config('6.1', 'arm', ['CRASH_DUMP=y', 'KEXEC=n'], base);
    const b = await config('6.1', 'arm', ['CRASH_DUMP=y', 'KEXEC=n'], base);
    const strip = (t: string) =>
      t
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
    expect(strip(await readFile(a.configPath, 'utf8'))).toBe(
      strip(await readFile(b.configPath, 'utf8')),
    );
    expect(a.seed).toBe('42');
    expect(a.pins.find((p) => p.symbol === 'KEXEC')?.effective).toBe('n');
  });
  it('a config file base is completed with olddefconfig and pins merged into it', async () => {
    const first = await config('6.1', 'x86_64', []);
    const r = await config('6.1', 'x86_64', ['KEXEC=n'], { kind: 'file', path: first.configPath });
    expect(statuses(r)).toEqual({ KEXEC: 'n holds' });
  });
});

describe('reuse of a base step', () => {
  it('a reused defconfig gives the same .config as running make defconfig', async () => {
    const deps = {
      runner: execaRunner,
      cacheDir: defaultCacheDir(process.env),
      cwd: work,
      emit: () => {},
    };
    const debian = await resolveSource({ kind: 'debian', version: '6.1' }, deps);
    const run = (tree: KernelTree) =>
      generateConfig(
        {
          tree,
          arch: findArch('riscv64')!,
          toolchain: 'gcc',
          base: { kind: 'defconfig' },
          pins: parsePins(['CRASH_DUMP=y', 'KEXEC=n'], '--set'),
          outDir: join(work, `cell-${n++}`),
        },
        {
          runner: execaRunner,
          cacheDir: defaultCacheDir(process.env),
          env: process.env,
          emit: () => {},
          symbols: symbolLookup,
        },
      );
    await run(debian); // fills the cache if it was empty
    const reused = await run(debian);
    const fresh = await run(trees.get('6.1')!); // a path source: never reused
    expect(await readFile(join(reused.outDir, 'kconfig.log'), 'utf8')).toMatch(
      /\(reused \S+base-configs\S+\.config\)/,
    );
    expect(await readFile(join(fresh.outDir, 'kconfig.log'), 'utf8')).not.toMatch(/reused/);
    expect(reused.commands).toEqual(
      fresh.commands.map((c) =>
        c.split(trees.get('6.1')!.path).join(debian.path).split(fresh.outDir).join(reused.outDir),
      ),
    );
    const body = (t: string) =>
      t
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
    expect(body(await readFile(reused.configPath, 'utf8'))).toBe(
      body(await readFile(fresh.configPath, 'utf8')),
    );
  });
});

describe('the source tree is never written', () => {
  it('leaves no .config, include/config or build products in the tree', async () => {
    for (const v of ['6.1', '6.12'] as const) {
      const top = await readdir(treePath(v));
      expect(top).not.toContain('.config');
      expect(top).not.toContain('include/config');
      await expect(stat(join(treePath(v), 'scripts/kconfig/conf'))).rejects.toThrow();
      await expect(stat(join(treePath(v), 'include/config'))).rejects.toThrow();
    }
  });
});
