import { describe, expect, it } from 'vitest';
import {
  isBuildInput,
  isKconfigInput,
  kconfigInputReason,
  sourcedFromOutside,
} from '../../../src/bisect/inputs.js';

const x86 = {
  srcarch: 'x86',
  base: { kind: 'defconfig' as const },
  sourced: new Set(['arch/arm/crypto/Kconfig']),
};
const arm = {
  srcarch: 'arm',
  base: { kind: 'tinyconfig' as const },
  sourced: new Set(['arch/x86/ras/Kconfig']),
};

describe('Kconfig inputs', () => {
  it.each([
    ['arch/x86/Kconfig', true],
    ['arch/x86/Kconfig.cpu', true],
    ['init/Kconfig', true],
    ['drivers/net/Kconfig', true],
    ['lib/Kconfig.debug', true],
    ['arch/arm/Kconfig', false],
    ['arch/Kconfig', true],
    ['arch/arm/crypto/Kconfig', true],
    ['arch/mips/crypto/Kconfig', false],
    ['arch/x86/Kbuild', true],
    ['arch/x86/tools/relocs.c', true],
    ['include/linux/compiler.h', false],
    ['arch/x86/Makefile', true],
    ['arch/x86/Makefile_32.cpu', true],
    ['arch/x86/configs/x86_64_defconfig', true],
    ['arch/arm/configs/multi_v7_defconfig', false],
    ['kernel/configs/tiny.config', true],
    ['Makefile', true],
    ['scripts/Kconfig.include', true],
    ['scripts/cc-version.sh', true],
    ['scripts/kconfig/confdata.c', true],
    ['scripts/include/hashtable.h', true],
    ['scripts/mod/modpost.c', false],
    ['drivers/misc/Makefile', false],
    ['kernel/fork.c', false],
    ['Documentation/admin-guide/kdump/kdump.rst', false],
  ])('%s -> %s', (path, expected) => {
    expect(isKconfigInput(path, x86)).toBe(expected);
  });
  it('counts compiler headers for powerpc only (its mprofile-kernel probe reads them)', () => {
    const ppc = {
      srcarch: 'powerpc',
      base: { kind: 'defconfig' as const },
      sourced: new Set<string>(),
    };
    expect(isKconfigInput('include/linux/compiler_types.h', ppc)).toBe(true);
    expect(isKconfigInput('include/linux/kernel.h', ppc)).toBe(false);
  });
  it('names the rule that matched', () => {
    expect(kconfigInputReason('arch/x86/configs/x86_64_defconfig', x86)).toBe(
      'arch/<srcarch>/configs/**',
    );
  });
});

describe('build inputs', () => {
  it.each([
    ['arch/arm/kernel/crash_dump.c', true],
    ['init/main.c', true],
    ['arch/x86/Kconfig', false],
    ['arch/x86/ras/Kconfig', true],
    ['Documentation/foo.txt', false],
    ['MAINTAINERS', false],
    ['tools/testing/selftests/x.c', false],
    ['tools/include/linux/types.h', true],
    ['scripts/mod/modpost.c', true],
  ])('%s -> %s (arm)', (path, expected) => {
    expect(isBuildInput(path, arm)).toBe(expected);
  });
});

describe('Kconfig files of other arches that conf still parses', () => {
  const grep = [
    'abc1234:crypto/Kconfig:1395:source "arch/arm/crypto/Kconfig"',
    'abc1234:crypto/Kconfig:1413:source "arch/x86/crypto/Kconfig"',
    'abc1234:drivers/ras/Kconfig:34:\tsource "arch/x86/ras/Kconfig"',
    'abc1234:arch/Kconfig:10:source "arch/$(SRCARCH)/Kconfig"',
    'abc1234:arch/arm/crypto/Kconfig:3:source "arch/arm/crypto/Kconfig.neon"',
    'abc1234:arch/arm/Kconfig:418:source "arch/arm/mach-actions/Kconfig"',
    'arch/mips/Kconfig:5:source "arch/mips/Kconfig.debug"',
  ].join('\n');
  it('follows source lines from outside arch/<other>/, transitively, and nothing else', () => {
    expect([...sourcedFromOutside(grep, 'x86')].sort()).toEqual([
      'arch/arm/crypto/Kconfig',
      'arch/arm/crypto/Kconfig.neon',
    ]);
    expect([...sourcedFromOutside(grep, 'arm')].sort()).toEqual([
      'arch/x86/crypto/Kconfig',
      'arch/x86/ras/Kconfig',
    ]);
  });
});
