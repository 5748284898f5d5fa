// scripts/cross-packages.txt (what scripts/setup.sh installs for the arches) is generated from
// the arch table; this keeps it in sync. Regenerate with:
//   KMATRIX_WRITE_GENERATED=1 npx vitest run test/unit/arch/packages.test.ts
import { readFile, writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { ARCHES, gccToolchainPackages } from '../../../src/arch/arches.js';
import { imageSpec } from '../../../src/images/spec.js';

const FILE = new URL('../../../scripts/cross-packages.txt', import.meta.url);
const HEADER =
  '# Generated from src/arch/arches.ts by test/unit/arch/packages.test.ts: gcc and libc dev\n' +
  '# for every arch kmatrix knows. scripts/setup.sh installs these on the host.\n';

it('scripts/cross-packages.txt lists the arch table gcc and libc packages', async () => {
  const generated = HEADER + gccToolchainPackages().join('\n') + '\n';
  if (process.env['KMATRIX_WRITE_GENERATED']) await writeFile(FILE, generated);
  expect(await readFile(FILE, 'utf8')).toBe(generated);
});

it('the host and the gcc image install the same toolchain packages, one of each per arch', () => {
  expect(imageSpec('gcc').buildArgs['CROSS_PACKAGES']?.split(' ')).toEqual(gccToolchainPackages());
  for (const a of ARCHES) {
    expect(gccToolchainPackages()).toContain(a.gccPackage);
    expect(gccToolchainPackages()).toContain(a.libcPackage);
  }
  expect(gccToolchainPackages()).toContain('libc6-dev-armhf-cross');
});
