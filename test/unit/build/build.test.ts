// Pure parts of builds: targets, durations, reproducer quoting, exit codes.
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDir } from '../../helpers/tmp.js';
import { findArch } from '../../../src/arch/arches.js';
import { OUT_PLACEHOLDER, renderReproducer } from '../../../src/build/reproducer.js';
import { exitCodeFor } from '../../../src/build/result.js';
import { makeArgv } from '../../../src/build/run.js';
import {
  configChanges,
  configValues,
  parseDuration,
  parseTargets,
  planTargets,
} from '../../../src/build/targets.js';
import { shellJoin, shellQuote } from '../../../src/process/shell-quote.js';

const arm = findArch('armhf')!;
const s390 = findArch('s390')!;

describe('targets', () => {
  it('parses, dedupes and orders kernel first', () => {
    expect(parseTargets('dtbs,kernel,dtbs')).toEqual(['kernel', 'dtbs']);
    expect(() => parseTargets('kernel,vmlinuz')).toThrow(/unknown "vmlinuz"/);
    expect(() => parseTargets('')).toThrow(/bad --targets/);
  });

  it('skips modules without CONFIG_MODULES and dtbs on arches without device trees', () => {
    const cfg = configValues('CONFIG_MODULES=y\n# CONFIG_FOO is not set\n');
    expect(planTargets(arm, ['kernel', 'modules', 'dtbs'], cfg)).toEqual([
      { target: 'kernel', kind: 'make', goal: 'zImage' },
      { target: 'modules', kind: 'make', goal: 'modules' },
      { target: 'dtbs', kind: 'make', goal: 'dtbs' },
    ]);
    expect(planTargets(s390, ['modules', 'dtbs'], new Map())).toEqual([
      { target: 'modules', kind: 'skip', reason: 'CONFIG_MODULES is not set' },
      { target: 'dtbs', kind: 'skip', reason: 's390 has no device trees' },
    ]);
  });

  it('builds the make argv without a shell', () => {
    expect(makeArgv({ source: '/src', out: '/out' }, arm, 'clang', 2, 'zImage')).toEqual([
      'make',
      '-C',
      '/src',
      'O=/out',
      'ARCH=arm',
      'LLVM=1',
      'CROSS_COMPILE=arm-linux-gnueabihf-',
      '-j2',
      'zImage',
    ]);
  });

  it('parses durations', () => {
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(() => parseDuration('soon')).toThrow(/bad duration/);
  });

  it('maps statuses to exit codes', () => {
    expect(exitCodeFor('pass')).toBe(0);
    expect(exitCodeFor('fail')).toBe(1);
    expect(exitCodeFor('config-unsatisfied')).toBe(1);
    expect(exitCodeFor('infra-error')).toBe(2);
  });
});

describe('shell quoting and the reproducer', () => {
  it('quotes words so bash passes them through unchanged', async () => {
    const words = [
      "it's",
      'a b',
      '$HOME',
      '`x`',
      'CONFIG_CMDLINE="console=ttyS0 root=/dev/vda"',
      '',
      'plain/path:1',
    ];
    expect(shellQuote('plain/path:1')).toBe('plain/path:1');
    const r = await execa('bash', ['-c', `printf '%s\\n' ${shellJoin(words)}`]);
    expect(r.stdout.split('\n')).toEqual(words);
  });

  it('writes a script that recreates the .config verbatim and runs each step on $OUT', async () => {
    const dir = testDir('reproducer');
    const configText = 'CONFIG_A=y\nCONFIG_CMDLINE="it\'s $HOME `x`"\nKMATRIX_CONFIG_EOF\n';
    const script = renderReproducer({
      title: 'cell',
      status: 'fail',
      runtimeLine: 'runtime local',
      defaultOut: join(dir, "out dir's"),
      configText,
      configCommands: ['make -s tinyconfig'],
      steps: [shellJoin(['sh', '-c', 'cp "$1/.config" "$1/copied"', 'sh', OUT_PLACEHOLDER])],
    });
    const path = join(dir, 'reproducer.sh');
    await writeFile(path, script);
    const r = await execa('bash', [path], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await readFile(join(dir, "out dir's", '.config'), 'utf8')).toBe(configText);
    expect(await readFile(join(dir, "out dir's", 'copied'), 'utf8')).toBe(configText);
  });
});

describe('configChanges', () => {
  it('lists symbols kbuild changed during the build', () => {
    const generated = 'CONFIG_A=y\nCONFIG_CC_CAN_LINK=y\n# CONFIG_B is not set\nCONFIG_S="x"\n';
    const built = 'CONFIG_A=y\nCONFIG_B=m\nCONFIG_S="y"\n';
    expect(configChanges(generated, built)).toEqual([
      { symbol: 'B', generated: null, built: 'm' },
      { symbol: 'CC_CAN_LINK', generated: 'y', built: null },
      { symbol: 'S', generated: '"x"', built: '"y"' },
    ]);
    expect(configChanges(generated, generated)).toEqual([]);
  });
});
