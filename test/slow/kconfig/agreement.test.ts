// The model against conf itself: generate defconfig/allnoconfig with the tree's own
// tools, recompute every bool/tristate symbol, and require the same answer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDotConfig } from '../../../src/config/dotconfig.js';
import { Evaluator } from '../../../src/kconfig/eval.js';
import { loadKconfigModel, type KconfigModel } from '../../../src/kconfig/index.js';
import { configDir } from './make.js';
import { TREES, archByName } from './trees.js';

/** Mismatches we know about and document in docs/kconfig-model.md (none today). */
const KNOWN_MISMATCHES: Record<string, string[]> = {};

/** The defconfig file each arch's `make defconfig` starts from (KBUILD_DEFCONFIG). */
const DEFCONFIG: Record<string, string> = {
  x86_64: 'arch/x86/configs/x86_64_defconfig',
  armhf: 'arch/arm/configs/multi_v7_defconfig',
  arm64: 'arch/arm64/configs/defconfig',
  s390: 'arch/s390/configs/defconfig',
};

function compare(model: KconfigModel, values: Map<string, string>, expected: Map<string, string>) {
  const ev = new Evaluator(model, values);
  const symbols = model.boolSymbols();
  const mismatches: string[] = [];
  let readBack = 0;
  for (const s of symbols) {
    const want = expected.get(s.name) ?? 'n';
    const got = ev.text(s);
    if (ev.state(s).source === 'opaque') readBack++;
    if (want !== got) mismatches.push(`${s.name}: conf=${want} model=${got}`);
  }
  const rate = (100 * (symbols.length - mismatches.length)) / symbols.length;
  return { total: symbols.length, mismatches, rate, readBack };
}

for (const version of ['6.1', '6.12'] as const) {
  const tree = TREES[version];
  for (const archName of ['x86_64', 'armhf', 'arm64', 's390']) {
    describe(`linux-${version} ${archName}`, () => {
      const arch = archByName(archName);
      let model: KconfigModel;
      const configs = new Map<string, string>();

      beforeAll(async () => {
        model = await loadKconfigModel({ srcTree: tree, arch });
        const dir = configDir(tree, arch);
        configs.set('defconfig', await dir.make('defconfig'));
        configs.set('allnoconfig', await dir.make('allnoconfig'));
      });

      it.each(['defconfig', 'allnoconfig'])('recomputes %s exactly', (base) => {
        const values = parseDotConfig(configs.get(base)!);
        const r = compare(model, values, values);
        console.log(
          `agreement linux-${version} ${archName} ${base}: ${r.rate.toFixed(3)}% of ${r.total} bool/tristate symbols` +
            ` (${r.readBack} read back from toolchain probes)`,
        );
        expect(r.mismatches).toEqual(KNOWN_MISMATCHES[`${version}/${archName}/${base}`] ?? []);
        expect(r.total).toBeGreaterThan(15000);
      });

      it('derives defconfig from the defconfig file alone', () => {
        // stronger: only the arch's defconfig lines are user values; every other symbol
        // comes from defaults, selects, implies and choices, except toolchain probes,
        // which are read back from conf's output as the model does for any .config
        const out = parseDotConfig(configs.get('defconfig')!);
        const values = parseDotConfig(readFileSync(join(tree, DEFCONFIG[archName]!), 'utf8'));
        for (const s of model.symbols.values()) {
          const probe = s.dependsOnOpaque || (s.choice?.dependsOnOpaque ?? false);
          if (probe && !values.has(s.name) && out.has(s.name)) values.set(s.name, out.get(s.name)!);
        }
        const r = compare(model, values, out);
        console.log(
          `agreement linux-${version} ${archName} defconfig-from-fragment: ${r.rate.toFixed(3)}%`,
        );
        expect(r.mismatches).toEqual([]);
      });
    });
  }
}
