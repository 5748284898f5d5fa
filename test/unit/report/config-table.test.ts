// The text of a config result: the pin table, then what conf warned about, then the path.
import { describe, expect, it } from 'vitest';
import type { ConfigResult } from '../../../src/config/generate.js';
import { parseBuildLog } from '../../../src/diagnostics/parse.js';
import { renderConfigResult } from '../../../src/report/config-table.js';

const result = (log: string): ConfigResult => ({
  verdict: 'satisfied',
  arch: 'armel',
  base: 'allnoconfig',
  seed: null,
  probability: null,
  toolchain: 'gcc',
  source: { spec: 'debian:6.1', label: 'debian-6.1', version: '6.1.176', path: '/t' },
  configPath: '/out/.config',
  outDir: '/out',
  pins: [
    {
      symbol: 'CRASH_DUMP',
      requested: 'y',
      effective: 'y',
      status: 'holds',
      origin: '--set',
    },
  ],
  kconfigWarnings: [],
  diagnostics: parseBuildLog(log),
  commands: [],
  durationMs: 1,
});

describe('renderConfigResult', () => {
  it("lists conf's warnings between the pins and the config path", () => {
    const text = renderConfigResult(
      result(
        'WARNING: unmet direct dependencies detected for KEXEC\n  Selected by [y]:\n  - CRASH_DUMP [=y]\n.config:12:warning: override: reassigning to symbol MMU\n',
      ),
    );
    expect(text).toBe(
      [
        'debian-6.1 (6.1.176) armel allnoconfig gcc: SATISFIED',
        '  SYMBOL      REQUESTED  EFFECTIVE  STATUS',
        '  CRASH_DUMP  y          y          ok',
        '',
        'conf warned:',
        '  unmet direct dependencies detected for KEXEC (selected by CRASH_DUMP)',
        '  .config:12: override: reassigning to symbol MMU',
        '',
        'config: /out/.config',
        '',
      ].join('\n'),
    );
  });

  it('says nothing about conf when it did not warn', () => {
    expect(renderConfigResult(result(''))).not.toContain('conf warned');
  });
});
