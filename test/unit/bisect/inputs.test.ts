import { describe, expect, it } from 'vitest';
import { isBuildInput, isKconfigInput, kconfigInputReason } from '../../../src/bisect/inputs.js';

const x86 = { srcarch: 'x86', base: { kind: 'defconfig' as const } };
const arm = { srcarch: 'arm', base: { kind: 'tinyconfig' as const } };

describe('Kconfig inputs', () => {
  it.each([
    ['arch/x86/Kconfig', true],
    ['arch/x86/Kconfig.cpu', true],
    ['init/Kconfig', true],
    ['drivers/net/Kconfig', true],
    ['lib/Kconfig.debug', true],
    ['arch/arm/Kconfig', false],
    ['arch/x86/Makefile', true],
    ['arch/x86/Makefile_32.cpu', true],
    ['arch/x86/configs/x86_64_defconfig', true],
    ['arch/arm/configs/multi_v7_defconfig', false],
    ['kernel/configs/tiny.config', true],
    ['Makefile', true],
    ['scripts/Kconfig.include', true],
    ['scripts/cc-version.sh', true],
    ['scripts/kconfig/confdata.c', true],
    ['scripts/mod/modpost.c', false],
    ['drivers/misc/Makefile', false],
    ['kernel/fork.c', false],
    ['Documentation/admin-guide/kdump/kdump.rst', false],
  ])('%s -> %s', (path, expected) => {
    expect(isKconfigInput(path, x86)).toBe(expected);
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
    ['Documentation/foo.txt', false],
    ['MAINTAINERS', false],
    ['tools/testing/selftests/x.c', false],
    ['tools/include/linux/types.h', true],
    ['scripts/mod/modpost.c', true],
  ])('%s -> %s (arm)', (path, expected) => {
    expect(isBuildInput(path, arm)).toBe(expected);
  });
});
