import { describe, expect, it } from 'vitest';
import { parseBase } from '../../../src/config/base.js';
import { planSteps } from '../../../src/config/generate.js';
import { findArch } from '../../../src/arch/arches.js';
import type { KernelTree } from '../../../src/source/tree.js';

const randomSeed = () => '1234';
const tree: KernelTree = {
  spec: { kind: 'path', path: '/k' },
  path: '/k',
  version: '6.1.0',
  label: 'k',
  cacheKey: 'k',
};
const arm = findArch('arm')!;

describe('parseBase', () => {
  it('accepts the make targets, randconfig with seed and probability, and files', () => {
    expect(parseBase('tinyconfig', { randomSeed })).toEqual({ kind: 'tinyconfig' });
    expect(parseBase('randconfig', { seed: '0x2a', probability: '10:50', randomSeed })).toEqual({
      kind: 'randconfig',
      seed: '0x2a',
      probability: '10:50',
    });
    expect(parseBase('randconfig', { randomSeed })).toEqual({ kind: 'randconfig', seed: '1234' });
    expect(parseBase('./my.config', { randomSeed })).toEqual({ kind: 'file', path: './my.config' });
    expect(parseBase('file:my.config', { randomSeed })).toEqual({
      kind: 'file',
      path: 'my.config',
    });
  });
  it('names the bad value and what is accepted', () => {
    expect(() => parseBase('defconfg', { randomSeed })).toThrowError(
      /unknown base "defconfg"; expected defconfig, allnoconfig/,
    );
    expect(() => parseBase('randconfig', { seed: 'abc', randomSeed })).toThrowError(
      /bad --seed "abc"/,
    );
    expect(() => parseBase('defconfig', { seed: '1', randomSeed })).toThrowError(
      /only applies to --base randconfig/,
    );
    expect(() => parseBase('randconfig', { probability: '101', randomSeed })).toThrowError(
      /bad --probability "101"/,
    );
  });
});

describe('planSteps', () => {
  const pins = [{ symbol: 'CRASH_DUMP', value: 'y', origin: '--set' }];
  it('defconfig runs the arch defconfig target, then merges pins and runs olddefconfig', () => {
    const p = planSteps(
      { tree, arch: arm, toolchain: 'gcc', base: { kind: 'defconfig' }, pins },
      '/o',
    );
    expect(p.first.args).toEqual([
      '-s',
      '-C',
      '/k',
      'O=/o',
      'ARCH=arm',
      'CROSS_COMPILE=arm-linux-gnueabihf-',
      'defconfig',
    ]);
    expect(p.merge).toBe(true);
  });
  it('randconfig passes pins through KCONFIG_ALLCONFIG with the seed', () => {
    const p = planSteps(
      {
        tree,
        arch: arm,
        toolchain: 'gcc',
        base: { kind: 'randconfig', seed: '7', probability: '20' },
        pins,
      },
      '/o',
    );
    expect(p.first.env).toEqual({
      KCONFIG_ALLCONFIG: '/o/kmatrix.allconfig',
      KCONFIG_SEED: '7',
      KCONFIG_PROBABILITY: '20',
    });
    expect(p.merge).toBe(false);
  });
  it('allnoconfig without pins leaves KCONFIG_ALLCONFIG unset', () => {
    const p = planSteps(
      { tree, arch: arm, toolchain: 'clang', base: { kind: 'allnoconfig' }, pins: [] },
      '/o',
    );
    expect(p.first.env).toEqual({});
    expect(p.first.args).toContain('LLVM=1');
  });
});
