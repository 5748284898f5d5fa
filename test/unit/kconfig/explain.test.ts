import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { testDir } from '../../helpers/tmp.js';
import { registerExplain } from '../../../src/cli/commands/explain.js';
import {
  explainPin,
  explainUnmetSelect,
  type ExplanationNode,
} from '../../../src/kconfig/explain.js';
import { renderExplanation } from '../../../src/kconfig/render.js';
import { memoryIo } from '../../helpers/cli.js';
import { model } from './helpers.js';

const KCONFIG = [
  'config KEXEC',
  '\tbool "kexec"',
  '\tdepends on ARCH_SUPPORTS_KEXEC',
  'config CRASH_DUMP',
  '\tbool "crash dump"',
  '\tselect KEXEC if SMP',
  'config SMP',
  '\tdef_bool y',
  'config KEXEC_FILE',
  '\tbool "kexec file"',
  '\tdepends on ARCH_SUPPORTS_KEXEC_FILE && KEXEC',
  'config ARCH_SUPPORTS_KEXEC',
  '\tdef_bool y',
].join('\n');

const shape = (n: ExplanationNode, d = 0): string[] => [
  `${'  '.repeat(d)}${n.symbol}=${n.value} ${n.reason.kind}${n.location ? ` ${n.location.file}:${n.location.line}` : ''}`,
  ...n.children.flatMap((c) => shape(c, d + 1)),
];

describe('explanations', () => {
  const m = model(KCONFIG, { modules: false });
  const values = new Map([
    ['CRASH_DUMP', 'y'],
    ['KEXEC', 'y'],
    ['SMP', 'y'],
    ['ARCH_SUPPORTS_KEXEC', 'y'],
  ]);
  const pins = new Map([
    ['CRASH_DUMP', 'y'],
    ['KEXEC', 'n'],
    ['KEXEC_FILE', 'y'],
  ]);

  it('overridden: names the active selector with its condition, up to the pin', () => {
    const n = explainPin(
      m,
      values,
      { symbol: 'KEXEC', requested: 'n', effective: 'y', status: 'overridden' },
      pins,
    );
    expect(shape(n)).toEqual([
      'KEXEC=y overridden Kconfig:1',
      '  CRASH_DUMP=y selects Kconfig:6',
      '    CRASH_DUMP=y pinned Kconfig:4',
    ]);
    expect(renderExplanation(n)).toBe(
      [
        'KEXEC=y: overridden (asked n)  [Kconfig:1]',
        '  selected by CRASH_DUMP=y if SMP  [Kconfig:6]',
        '    CRASH_DUMP=y: pinned (asked y)  [Kconfig:4]',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(JSON.stringify(n))).toMatchObject({
      symbol: 'KEXEC',
      reason: { kind: 'overridden' },
    });
  });

  it('dropped: shows each dependency term with its value and the missing capability', () => {
    const n = explainPin(
      m,
      values,
      { symbol: 'KEXEC_FILE', requested: 'y', effective: 'n', status: 'dropped' },
      pins,
    );
    expect(shape(n)).toEqual([
      'KEXEC_FILE=n dropped Kconfig:9',
      '  KEXEC_FILE=n depends-on Kconfig:9',
      '    ARCH_SUPPORTS_KEXEC_FILE=n nothing-selects',
    ]);
    expect(n.children[0]!.reason).toEqual({
      kind: 'depends-on',
      expr: 'ARCH_SUPPORTS_KEXEC_FILE && KEXEC',
      terms: [
        { text: 'ARCH_SUPPORTS_KEXEC_FILE', value: 'n' },
        { text: 'KEXEC', value: 'y' },
      ],
    });
  });

  it('unavailable: lists definitions elsewhere, or says it is defined nowhere', () => {
    const n = explainPin(
      m,
      values,
      { symbol: 'FOO', requested: 'y', effective: 'n', status: 'unavailable' },
      pins,
      [{ file: 'arch/s390/Kconfig', line: 10, arch: 's390' }],
    );
    expect(shape(n)).toEqual(['FOO=n/a unavailable', '  FOO=n/a defined-at arch/s390/Kconfig:10']);
    const none = explainPin(
      m,
      values,
      { symbol: 'FOO', requested: 'y', effective: 'n', status: 'unavailable' },
      pins,
    );
    expect(renderExplanation(none)).toContain(
      'FOO is not defined in any Kconfig file of this tree',
    );
  });
});

describe('kmatrix explain', () => {
  const run = async (args: string[]) => {
    const m = memoryIo({ cwd: '/' });
    let exit = -1;
    const program = new Command().exitOverride();
    registerExplain(program, m.io, (n) => (exit = n));
    try {
      await program.parseAsync(['explain', ...args], { from: 'user' });
    } catch (e) {
      return { out: m.stdout(), exit, error: e as Error & { code?: string } };
    }
    return { out: m.stdout(), exit, error: undefined };
  };

  it('rejects an unknown arch with the accepted spellings', async () => {
    const r = await run([
      'KEXEC=n',
      '--source',
      '/nonexistent',
      '--arch',
      'vax',
      '--config',
      '/nonexistent',
    ]);
    expect(r.error?.code).toBe('bad-arch');
    expect(r.error?.message).toMatch(/unknown arch "vax"; accepted: x86_64 \(amd64, x86-64\)/);
  });

  it('rejects an unreadable config, then a source that is not a kernel tree', async () => {
    const noConfig = await run([
      'KEXEC',
      '--source',
      '/nonexistent',
      '--arch',
      's390',
      '--config',
      '/nonexistent',
    ]);
    expect(noConfig.error?.code).toBe('bad-config-file');
    expect(noConfig.error?.message).toMatch(/cannot read --config \/nonexistent/);
    const config = join(testDir('explain'), '.config');
    writeFileSync(config, 'CONFIG_KEXEC=y\n');
    const missing = await run([
      'KEXEC',
      '--source',
      '/nonexistent',
      '--arch',
      's390',
      '--config',
      config,
    ]);
    expect(missing.error?.code).toBe('bad-source');
    const notTree = await run([
      'KEXEC',
      '--source',
      tmpdir(),
      '--arch',
      's390',
      '--config',
      config,
    ]);
    expect(notTree.error?.code).toBe('not-a-kernel-tree');
    expect(notTree.error?.message).toMatch(
      /is not a Linux kernel source tree \(missing Makefile, Kconfig/,
    );
  });
});

describe('explainUnmetSelect: conf\'s "unmet direct dependencies" warning', () => {
  // arm's KEXEC (6.1) with a CRASH_DUMP that selects it, as the 6.6 consolidation did
  const text = [
    'config MMU',
    '\tbool "MMU"',
    '\tdefault y',
    'config SMP',
    '\tbool "SMP"',
    'config PM_SLEEP_SMP',
    '\tdef_bool y',
    '\tdepends on SMP && PM_SLEEP',
    'config PM_SLEEP',
    '\tbool "sleep"',
    'config KEXEC',
    '\tbool "kexec"',
    '\tdepends on (!SMP || PM_SLEEP_SMP)',
    '\tdepends on MMU',
    'config CRASH_DUMP',
    '\tbool "crash dump"',
    '\tselect KEXEC',
  ].join('\n');
  const m = model(text, { modules: false });

  it('shows who selects the symbol and which dependency term is off, with file:line', () => {
    const values = new Map([
      ['CRASH_DUMP', 'y'],
      ['KEXEC', 'y'],
      ['SMP', 'y'],
      ['MMU', 'y'],
    ]);
    const n = explainUnmetSelect(m, values, 'KEXEC');
    expect(shape(n)).toEqual([
      'KEXEC=y unmet-select Kconfig:11',
      '  CRASH_DUMP=y selects Kconfig:17',
      '    CRASH_DUMP=y set-in-config Kconfig:15',
      '  KEXEC=y depends-on Kconfig:11',
      '    SMP=y set-in-config Kconfig:4',
      '      SMP=y set-in-config Kconfig:4',
      '    PM_SLEEP_SMP=n depends-on Kconfig:6',
      '      PM_SLEEP=n value Kconfig:9',
    ]);
    expect(renderExplanation(n).split('\n').slice(0, 4)).toEqual([
      'KEXEC=y: selected although its direct dependencies are unmet  [Kconfig:11]',
      '  selected by CRASH_DUMP=y  [Kconfig:17]',
      '    CRASH_DUMP=y: set in .config  [Kconfig:15]',
      '  KEXEC=y: depends on !SMP || PM_SLEEP_SMP [n] && MMU [y]  [Kconfig:11]',
    ]);
  });

  it('says so when the dependencies hold', () => {
    const values = new Map([
      ['CRASH_DUMP', 'y'],
      ['KEXEC', 'y'],
      ['MMU', 'y'],
    ]);
    const n = explainUnmetSelect(m, values, 'KEXEC');
    expect(n.reason).toEqual({ kind: 'unmet-select', state: 'met' });
    expect(renderExplanation(n).split('\n')[0]).toBe(
      'KEXEC=y: selected, and its direct dependencies are met  [Kconfig:11]',
    );
    const unselected = explainUnmetSelect(m, new Map([['MMU', 'y']]), 'KEXEC');
    expect(renderExplanation(unselected).split('\n')[0]).toBe(
      'KEXEC=n: no active select forces it  [Kconfig:11]',
    );
  });
});
