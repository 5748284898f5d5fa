// kmatrix config-bisect on Debian 6.1's Kconfig (subset copy) with Linux 6.6's
// "CRASH_DUMP selects KEXEC" applied: between a good config (KEXEC=n) and a bad one that
// turns on CRASH_DUMP among a dozen unrelated changes, the minimal set is CRASH_DUMP alone.
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { ConfigJudge } from '../../../src/bisect/config-judge.js';
import { kconfigTools } from '../../../src/config/tools.js';
import { execaRunner } from '../../../src/process/runner.js';
import type { KernelTree } from '../../../src/source/tree.js';
import { copyKconfigSubset } from '../../helpers/kernel-subset.js';
import { kmatrix } from '../../helpers/cli.js';
import { treePath } from '../../helpers/trees.js';

let work: string;
let src: string;
let noise: string[];

const make = (out: string, target: string) =>
  execa('make', ['-s', '-C', src, `O=${out}`, 'ARCH=x86', target]);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-config-bisect-'));
  src = join(work, 'src');
  await copyKconfigSubset(treePath('6.1'), src);
  const kconfig = join(src, 'arch/x86/Kconfig');
  const text = await readFile(kconfig, 'utf8');
  const anchor =
    'config CRASH_DUMP\n\tbool "kernel crash dumps"\n\tdepends on X86_64 || (X86_32 && HIGHMEM)\n';
  expect(text).toContain(anchor);
  await writeFile(kconfig, text.replace(anchor, `${anchor}\tselect KEXEC\n`));

  const o = join(work, 'o');
  await make(o, 'defconfig');
  const cfg = join(o, '.config');
  await writeFile(
    cfg,
    (await readFile(cfg, 'utf8')) + '# CONFIG_KEXEC is not set\n# CONFIG_CRASH_DUMP is not set\n',
  );
  await make(o, 'olddefconfig');
  const good = await readFile(cfg, 'utf8');
  await writeFile(join(work, 'good.config'), good);
  // A dozen unrelated symbols switched on, plus the one that matters.
  noise = [...good.matchAll(/^# CONFIG_([A-Z0-9_]+) is not set$/gm)]
    .map((m) => m[1]!)
    .filter((s) => !/KEXEC|CRASH|KDUMP|VMCORE/.test(s))
    .filter((_, i) => i % 37 === 5)
    .slice(0, 12);
  const bad = good
    .split('\n')
    .map((l) => {
      const m = /^# CONFIG_([A-Z0-9_]+) is not set$/.exec(l);
      return m && (noise.includes(m[1]!) || m[1] === 'CRASH_DUMP') ? `CONFIG_${m[1]}=y` : l;
    })
    .join('\n');
  expect(bad).toContain('CONFIG_CRASH_DUMP=y');
  await writeFile(join(work, 'bad.config'), bad);
  await copyFile(join(work, 'bad.config'), join(work, 'bad.orig'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('kmatrix config-bisect --require', () => {
  it('finds CRASH_DUMP as the one change that makes KEXEC=y', async () => {
    const cache = join(work, 'cache');
    const r = await kmatrix(
      work,
      [
        'config-bisect',
        '--source',
        src,
        '--arch',
        'x86_64',
        '--good',
        'good.config',
        '--bad',
        'bad.config',
        '--require',
        'KEXEC=n',
        '--json',
      ],
      { env: { KMATRIX_CACHE: cache } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.kind).toBe('found');
    expect(out.minimal).toEqual([{ symbol: 'CRASH_DUMP', good: 'n', bad: 'y' }]);
    expect(out.differing).toBeGreaterThan(5);
    expect(out.outcome.why).toBe('KEXEC=y (required n)');
    expect(out.consequences).toEqual(
      expect.arrayContaining([{ symbol: 'KEXEC_CORE', good: 'n', bad: 'y' }]),
    );
    // Fewer tests than one per differing symbol.
    expect(out.tests).toBeLessThan(out.differing);
    // The inputs are untouched and nothing is left in the cache.
    expect(await readFile(join(work, 'bad.config'), 'utf8')).toBe(
      await readFile(join(work, 'bad.orig'), 'utf8'),
    );
    expect((await execa('ls', ['-A', join(cache, 'bisect')])).stdout).toBe('');
  });

  it('exits 3 when the good config is already bad', async () => {
    const r = await kmatrix(
      work,
      [
        'config-bisect',
        '--source',
        src,
        '--arch',
        'x86_64',
        '--good',
        'bad.config',
        '--bad',
        'bad.config',
        '--require',
        'KEXEC=n',
      ],
      { env: { KMATRIX_CACHE: join(work, 'cache') } },
    );
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/--good config is bad: KEXEC=y \(required n\)/);
  });
});

describe("a config judge seeded with the tree's cached Kconfig tools", () => {
  it('closes configs without building conf again; unseeded, it builds conf', async () => {
    const tree: KernelTree = {
      spec: { kind: 'path', path: src },
      path: src,
      version: '6.1.0',
      label: 'subset',
      cacheKey: 'subset-judge',
    };
    const deps = { runner: execaRunner, env: process.env };
    const tools = await kconfigTools(tree, {
      ...deps,
      cacheDir: join(work, 'judge-cache'),
      emit: () => {},
    });
    const cachedConf = await stat(join(tools, 'scripts/kconfig/conf'));
    const good = await readFile(join(work, 'good.config'), 'utf8');
    const at = {
      tree,
      arch: findArch('x86_64')!,
      toolchain: 'gcc' as const,
      predicate: { kind: 'config' as const, requires: [] },
    };
    const seeded = join(work, 'judge-seeded');
    const closed = await (await ConfigJudge.create({ ...at, tools }, deps, seeded)).close(good);
    expect(closed.kind).toBe('ok');
    const conf = await stat(join(seeded, 'config/scripts/kconfig/conf'));
    expect(conf.mtimeMs).toBe(cachedConf.mtimeMs);
    expect(conf.ino).not.toBe(cachedConf.ino);
    // the same config without the tools: make builds conf in the judge's O= dir
    const before = Date.now();
    const plain = join(work, 'judge-plain');
    const closedPlain = await (await ConfigJudge.create(at, deps, plain)).close(good);
    expect(closedPlain.kind === 'ok' && closedPlain.text).toBe(closed.kind === 'ok' && closed.text);
    const built = await stat(join(plain, 'config/scripts/kconfig/conf'));
    expect(built.mtimeMs).toBeGreaterThanOrEqual(before - 1000);
  });
});
