// kmatrix config-bisect on Debian 6.1's Kconfig (subset copy) with Linux 6.6's
// "CRASH_DUMP selects KEXEC" applied: between a good config (KEXEC=n) and a bad one that
// turns on CRASH_DUMP among a dozen unrelated changes, the minimal set is CRASH_DUMP alone.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
