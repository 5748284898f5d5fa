// The headline case: defconfig + CRASH_DUMP=y KEXEC=n KEXEC_FILE=y, olddefconfig with the
// tree's own conf, then explain each pin. Expected sites were read from the trees:
//   6.1 arch/s390/Kconfig:481 `config KEXEC` / :482 `def_bool y`; :731 `config CRASH_DUMP`,
//   :733 `select KEXEC`. 6.1 arm defines no KEXEC_FILE (arm64/x86/s390/... do).
//   6.12 kernel/Kconfig.kexec:38 KEXEC_FILE `depends on ARCH_SUPPORTS_KEXEC_FILE` (arm never
//   defines it); :98 CRASH_DUMP `depends on KEXEC_CORE`, selected only by KEXEC/KEXEC_FILE.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerExplain } from '../../../src/cli/commands/explain.js';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDotConfig } from '../../../src/config/dotconfig.js';
import {
  Evaluator,
  explainPinInTree,
  findDefinitionsAllArches,
  loadKconfigModel,
  renderExplanation,
  type ExplanationNode,
  type KconfigModel,
  type PinStatus,
} from '../../../src/kconfig/index.js';
import { memoryIo } from '../../helpers/cli.js';
import { configDir } from './make.js';
import { TREES, archByName } from './trees.js';

const PINS = new Map([
  ['CRASH_DUMP', 'y'],
  ['KEXEC', 'n'],
  ['KEXEC_FILE', 'y'],
]);

function withPins(config: string): string {
  const kept = config
    .split('\n')
    .filter((l) => !/^(# )?CONFIG_(CRASH_DUMP|KEXEC|KEXEC_FILE)[= ]/.test(l));
  return [
    ...kept,
    'CONFIG_CRASH_DUMP=y',
    '# CONFIG_KEXEC is not set',
    'CONFIG_KEXEC_FILE=y',
    '',
  ].join('\n');
}

async function scenario(version: '6.1' | '6.12', archName: string) {
  const tree = TREES[version];
  const arch = archByName(archName);
  const dir = configDir(tree, arch);
  dir.write(withPins(await dir.make('defconfig')));
  const values = parseDotConfig(await dir.make('olddefconfig'));
  const model = await loadKconfigModel({ srcTree: tree, arch });
  const explain = async (symbol: string) => {
    const requested = PINS.get(symbol)!;
    const effective = values.get(symbol) ?? 'n';
    const status: PinStatus = !model.isDefined(symbol)
      ? 'unavailable'
      : effective === requested
        ? 'holds'
        : requested === 'n'
          ? 'overridden'
          : 'dropped';
    const node = await explainPinInTree(
      tree,
      model,
      values,
      { symbol, requested, effective, status },
      PINS,
      findDefinitionsAllArches,
    );
    console.log(`--- linux-${version} ${archName} ${symbol}\n${renderExplanation(node)}`);
    return node;
  };
  return { model, values, explain, tree, out: dir.out };
}

/** The node's line as `SYMBOL=value kind file:line`, children indented: easy to compare. */
function lines(n: ExplanationNode, depth = 0): string[] {
  const where = n.location ? ` ${n.location.file}:${n.location.line}` : '';
  return [
    `${'  '.repeat(depth)}${n.symbol}=${n.value} ${n.reason.kind}${where}`,
    ...n.children.flatMap((c) => lines(c, depth + 1)),
  ];
}

function agrees(model: KconfigModel, values: Map<string, string>): string[] {
  const ev = new Evaluator(model, values);
  return model
    .boolSymbols()
    .filter((s) => (values.get(s.name) ?? 'n') !== ev.text(s))
    .map((s) => s.name);
}

describe('CRASH_DUMP=y KEXEC=n KEXEC_FILE=y on s390, linux-6.1', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  beforeAll(async () => {
    s = await scenario('6.1', 's390');
  });

  it('the model agrees with olddefconfig', () => {
    expect(agrees(s.model, s.values)).toEqual([]);
    expect(readFileSync(join(s.tree, 'arch/s390/Kconfig'), 'utf8').split('\n')[732]).toBe(
      '\tselect KEXEC',
    );
  });

  it('KEXEC is overridden: CRASH_DUMP (pinned) selects it, and it has no prompt', async () => {
    const node = await s.explain('KEXEC');
    expect(lines(node)).toEqual([
      'KEXEC=y overridden arch/s390/Kconfig:481',
      '  CRASH_DUMP=y selects arch/s390/Kconfig:733',
      '    CRASH_DUMP=y pinned arch/s390/Kconfig:731',
      '  KEXEC=y not-settable arch/s390/Kconfig:481',
      '  KEXEC=y default arch/s390/Kconfig:482',
    ]);
    expect(renderExplanation(node)).toContain('selected by CRASH_DUMP=y  [arch/s390/Kconfig:733]');
  });

  it('kmatrix explain prints the same tree as JSON', async () => {
    const m = memoryIo({ cwd: s.out });
    let exit = -1;
    const program = new Command().exitOverride();
    registerExplain(program, m.io, (n) => (exit = n));
    await program.parseAsync(
      [
        'explain',
        'CONFIG_KEXEC=n',
        '--source',
        s.tree,
        '--arch',
        's390x',
        '--config',
        '.config',
        '--pin',
        'CRASH_DUMP=y',
        '--json',
      ],
      { from: 'user' },
    );
    expect(exit).toBe(0);
    const tree = JSON.parse(m.stdout()) as ExplanationNode;
    expect(lines(tree).slice(0, 3)).toEqual([
      'KEXEC=y overridden arch/s390/Kconfig:481',
      '  CRASH_DUMP=y selects arch/s390/Kconfig:733',
      '    CRASH_DUMP=y pinned arch/s390/Kconfig:731',
    ]);
  });

  it('CRASH_DUMP and KEXEC_FILE hold', async () => {
    expect((await s.explain('CRASH_DUMP')).reason.kind).toBe('holds');
    expect((await s.explain('KEXEC_FILE')).reason.kind).toBe('holds');
  });
});

describe('CRASH_DUMP=y KEXEC=n KEXEC_FILE=y on armhf, linux-6.1', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  beforeAll(async () => {
    s = await scenario('6.1', 'armhf');
  });

  it('KEXEC=n and CRASH_DUMP=y hold', async () => {
    expect(agrees(s.model, s.values)).toEqual([]);
    expect(lines(await s.explain('KEXEC'))).toEqual(['KEXEC=n holds arch/arm/Kconfig:1669']);
    expect(lines(await s.explain('CRASH_DUMP'))).toEqual([
      'CRASH_DUMP=y holds arch/arm/Kconfig:1692',
    ]);
  });

  it('KEXEC_FILE is unavailable: defined only by other arches', async () => {
    const node = await s.explain('KEXEC_FILE');
    expect(node.reason.kind).toBe('unavailable');
    const sites = node.children.map(
      (c) =>
        `${c.reason.kind === 'defined-at' ? c.reason.arch : '?'} ${c.location?.file}:${c.location?.line}`,
    );
    // Line numbers move between 6.1 point releases: read them from the tree under test.
    const at = (file: string) =>
      readFileSync(join(TREES['6.1'], file), 'utf8')
        .split('\n')
        .findIndex((l) => l === 'config KEXEC_FILE') + 1;
    expect(sites).toContain(`s390 arch/s390/Kconfig:${at('arch/s390/Kconfig')}`);
    expect(sites).toContain(`arm64 arch/arm64/Kconfig:${at('arch/arm64/Kconfig')}`);
    expect(sites).toContain(`x86 arch/x86/Kconfig:${at('arch/x86/Kconfig')}`);
    expect(at('arch/arm64/Kconfig')).toBeGreaterThan(0);
    expect(sites.some((l) => l.startsWith('arm '))).toBe(false);
  });
});

describe('CRASH_DUMP=y KEXEC=n KEXEC_FILE=y on armhf, linux-6.12', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  beforeAll(async () => {
    s = await scenario('6.12', 'armhf');
  });

  it('the model agrees with olddefconfig and KEXEC=n holds', async () => {
    expect(agrees(s.model, s.values)).toEqual([]);
    expect((await s.explain('KEXEC')).reason.kind).toBe('holds');
  });

  it('KEXEC_FILE is dropped: arm has no ARCH_SUPPORTS_KEXEC_FILE', async () => {
    expect(lines(await s.explain('KEXEC_FILE'))).toEqual([
      'KEXEC_FILE=n dropped kernel/Kconfig.kexec:38',
      '  KEXEC_FILE=n depends-on kernel/Kconfig.kexec:38',
      '    ARCH_SUPPORTS_KEXEC_FILE=n nothing-selects',
    ]);
  });

  it('CRASH_DUMP is dropped: KEXEC_CORE is off because KEXEC is pinned n and KEXEC_FILE cannot be on', async () => {
    expect(lines(await s.explain('CRASH_DUMP'))).toEqual([
      'CRASH_DUMP=n dropped kernel/Kconfig.kexec:98',
      '  CRASH_DUMP=n depends-on kernel/Kconfig.kexec:98',
      '    KEXEC_CORE=n nothing-selects kernel/Kconfig.kexec:11',
      '      KEXEC=n pinned kernel/Kconfig.kexec:20',
      '      KEXEC_FILE=n depends-on kernel/Kconfig.kexec:38',
      '        ARCH_SUPPORTS_KEXEC_FILE=n nothing-selects',
    ]);
  });
});
