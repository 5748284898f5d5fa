// Where the real kernel trees for the slow Kconfig tests live (CI sets the env vars).
import { ARCHES, type Arch } from '../../../src/arch/arches.js';

export const TREES = {
  '6.1': process.env['KMATRIX_TEST_TREE_6_1'] ?? '/var/tmp/ktrees/linux-6.1',
  '6.12': process.env['KMATRIX_TEST_TREE_6_12'] ?? '/var/tmp/ktrees/linux-6.12',
  '7.2': process.env['KMATRIX_TEST_TREE_7_2'] ?? '/var/tmp/ktrees/linux-7.2',
} as const;

export type TreeVersion = keyof typeof TREES;

/** An Arch for an arch/ directory, from the table when kmatrix knows it. */
export function archForDir(dir: string): Arch {
  const known = ARCHES.find((a) => a.srcarch === dir || a.arch === dir);
  if (known) return known;
  return { ...ARCHES[0]!, name: dir, arch: dir, srcarch: dir, aliases: [] };
}

export function archByName(name: string): Arch {
  const a = ARCHES.find((x) => x.name === name);
  if (!a) throw new Error(`no arch ${name}`);
  return a;
}

/** arch/um sources arch/$(HEADER_ARCH)/um/Kconfig; its Makefile sets HEADER_ARCH from SUBARCH. */
export function extraEnv(dir: string): Record<string, string> {
  return dir === 'um' ? { SUBARCH: 'x86', HEADER_ARCH: 'x86' } : {};
}
