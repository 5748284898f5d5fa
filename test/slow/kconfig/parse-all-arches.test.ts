// Every arch of every reference tree parses with zero errors and zero warnings.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadKconfigModel } from '../../../src/kconfig/index.js';
import { TREES, archForDir, extraEnv } from './trees.js';

for (const [version, tree] of Object.entries(TREES)) {
  describe(`Kconfig of linux-${version}`, () => {
    const dirs = readdirSync(join(tree, 'arch')).filter(
      (d) =>
        statSync(join(tree, 'arch', d)).isDirectory() &&
        existsSync(join(tree, 'arch', d, 'Kconfig')),
    );

    it('has the arch directories we expect to cover', () => {
      expect(dirs).toContain('x86');
      expect(dirs).toContain('s390');
      expect(dirs.length).toBeGreaterThan(18);
    });

    it.each(dirs)('arch/%s parses without diagnostics', async (dir) => {
      const model = await loadKconfigModel({
        srcTree: tree,
        arch: archForDir(dir),
        env: extraEnv(dir),
      });
      const problems = model.diagnostics.filter((d) => d.severity !== 'info').map(formatDiagnostic);
      expect(problems).toEqual([]);
      expect(model.files).toContain(`arch/${dir}/Kconfig`);
      expect(model.isDefined('MODULES')).toBe(true);
      expect(model.modulesSym.name).toBe('MODULES');
      expect(model.symbols.size).toBeGreaterThan(15000);
    });
  });
}
