import { describe, expect, it } from 'vitest';
import { fragmentProblems, mergePins, parseDotConfig } from '../../../src/config/dotconfig.js';
import { fragmentPins } from '../../../src/config/fragment.js';

const sample = `#
# Automatically generated file; DO NOT EDIT.
#
CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"
CONFIG_CRASH_DUMP=y
# CONFIG_KEXEC is not set
CONFIG_NR_CPUS=64
CONFIG_BTRFS_FS=m
`;

describe('parseDotConfig', () => {
  it('reads set, unset, string and numeric symbols', () => {
    const v = parseDotConfig(sample);
    expect(v.get('CRASH_DUMP')).toBe('y');
    expect(v.get('KEXEC')).toBe('n');
    expect(v.get('NR_CPUS')).toBe('64');
    expect(v.get('BTRFS_FS')).toBe('m');
    expect(v.get('CC_VERSION_TEXT')).toBe('"gcc (Debian 12.2.0-14) 12.2.0"');
    expect(v.has('KEXEC_FILE')).toBe(false);
  });
});

describe('mergePins', () => {
  it('replaces existing lines and appends new ones, like merge_config.sh', () => {
    const merged = mergePins(sample, [
      { symbol: 'KEXEC', value: 'y', origin: '--set' },
      { symbol: 'CRASH_DUMP', value: 'n', origin: '--set' },
      { symbol: 'KEXEC_FILE', value: 'y', origin: '--set' },
    ]);
    const v = parseDotConfig(merged);
    expect(v.get('KEXEC')).toBe('y');
    expect(v.get('CRASH_DUMP')).toBe('n');
    expect(v.get('KEXEC_FILE')).toBe('y');
    expect(merged.match(/KEXEC\b/g)).toHaveLength(1);
    expect(merged.trimEnd().split('\n').slice(-3)).toEqual([
      'CONFIG_KEXEC=y',
      '# CONFIG_CRASH_DUMP is not set',
      'CONFIG_KEXEC_FILE=y',
    ]);
  });
});

describe('fragments', () => {
  it('turns lines into pins with file:line origins', () => {
    const r = fragmentPins('# a comment\nCONFIG_A=y\n\n# CONFIG_B is not set\n', 'kexec.config');
    expect(r.problems).toEqual([]);
    expect(r.pins).toEqual([
      { symbol: 'A', value: 'y', origin: 'kexec.config:2' },
      { symbol: 'B', value: 'n', origin: 'kexec.config:4' },
    ]);
  });
  it('reports malformed lines with their line numbers', () => {
    expect(fragmentProblems('CONFIG_A=y\nCONFIG_B=maybe\nrm -rf /\n')).toEqual([
      { line: 2, text: 'CONFIG_B=maybe' },
      { line: 3, text: 'rm -rf /' },
    ]);
    const r = fragmentPins('CONFIG_B=maybe\n', 'x.config');
    expect(r.problems[0]).toBe(
      'x.config:1: "CONFIG_B=maybe" is not CONFIG_SYMBOL=VALUE or "# CONFIG_SYMBOL is not set"',
    );
  });
});
