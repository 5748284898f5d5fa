// Runs the tree's own Kconfig tools (make ... defconfig) into a scratch O= directory.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Arch } from '../../../src/arch/arches.js';

export interface ConfigDir {
  out: string;
  make(target: string): Promise<string>;
  write(text: string): void;
}

export function configDir(tree: string, arch: Arch): ConfigDir {
  const out = mkdtempSync(join(tmpdir(), `kmatrix-kconfig-${arch.name}-`));
  return {
    out,
    async make(target) {
      await execa(
        'make',
        [
          '-s',
          '-C',
          tree,
          `O=${out}`,
          `ARCH=${arch.arch}`,
          `CROSS_COMPILE=${arch.triplet}-`,
          target,
        ],
        {
          stdout: 'ignore',
          stderr: 'pipe',
        },
      );
      return readFileSync(join(out, '.config'), 'utf8');
    },
    write(text) {
      writeFileSync(join(out, '.config'), text);
    },
  };
}
