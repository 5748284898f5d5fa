// runRepro on Kconfig reports: conf alone (a fake generateConfig standing in for it, an
// in-memory Kconfig model for the kismet config and the explanation), no runtime asked; the
// kismet recipe without a config; a --repo without the report's commit.
import { readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configWritten } from '../../helpers/results.js';
import { testDir } from '../../helpers/tmp.js';
import type { ConfigRequest } from '../../../src/config/generate.js';
import { parseBuildLog } from '../../../src/diagnostics/parse.js';
import { renderRepro } from '../../../src/report/repro.js';
import { runRepro, type ReproDeps } from '../../../src/repro/run.js';
import { model } from '../kconfig/helpers.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/reports', name), 'utf8');

const KCONFIG = [
  'config MMU',
  '\tbool "MMU"',
  '\tdefault y',
  'config SMP',
  '\tbool "SMP"',
  'config PM_SLEEP_SMP',
  '\tdef_bool y',
  '\tdepends on SMP',
  'config KEXEC',
  '\tbool "kexec"',
  '\tdepends on (!SMP || PM_SLEEP_SMP)',
  '\tdepends on MMU',
  'config CRASH_DUMP',
  '\tbool "crash dump"',
  '\tselect KEXEC',
].join('\n');

const UNMET = `WARNING: unmet direct dependencies detected for KEXEC
  Depends on [n]: (!SMP [=n] || PM_SLEEP_SMP [=n]) && MMU [=n]
  Selected by [y]:
  - CRASH_DUMP [=y]
`;

const never = async (): Promise<never> => {
  throw new Error('a config-stage repro must not ask for this');
};

/** conf as a fake: writes `config`, says `said`, records what it was asked. */
function deps(config: string, said: string, asked: ConfigRequest[]): ReproDeps {
  return {
    selectRuntime: never,
    resolveSource: async (spec) => ({
      spec,
      path: '/src/linux',
      version: '6.1.0',
      label: 'linux',
      cacheKey: 'x',
    }),
    generateConfig: (req) => {
      asked.push(req);
      return configWritten(req, config, { diagnostics: parseBuildLog(said), durationMs: 5 });
    },
    kconfigModel: async () => model(KCONFIG, { modules: false }),
    commitInRepo: async () => 'present',
    emit: () => {},
  };
}

async function saved(files: Record<string, string>): Promise<string> {
  const dir = testDir('repro-kconfig');
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/**
 * runRepro of the 2024 kismet report, saved in a new dir with its reproduce file (and
 * `config` beside it, when given), from --repo or --source.
 */
async function reproKismet(
  d: ReproDeps,
  from: { repo: string } | { source: string },
  config?: string,
) {
  const dir = await saved({
    'report.txt': fixture('2024-kismet-arm-patch.txt'),
    reproduce: fixture('2024-kismet-arm-patch.reproduce'),
    ...(config !== undefined ? { config } : {}),
  });
  const r = await runRepro(
    {
      reportText: fixture('2024-kismet-arm-patch.txt'),
      reportPath: join(dir, 'report.txt'),
      ...from,
      outDir: () => join(dir, 'out'),
      jobs: 1,
    },
    d,
  );
  return { dir, r };
}

const WARNED = 'CONFIG_CRASH_DUMP=y\nCONFIG_KEXEC=y\n# CONFIG_MMU is not set\n';

describe('runRepro: Kconfig reports need conf only', () => {
  it('reproduces a kismet report with olddefconfig on its config and explains the chain', async () => {
    const asked: ConfigRequest[] = [];
    const { dir, r } = await reproKismet(
      deps(WARNED, UNMET, asked),
      { repo: '/git/linux' },
      'CONFIG_ARM=y\nCONFIG_CRASH_DUMP=y\n',
    );
    expect(r.verdict).toBe('reproduced');
    expect(r.plan).toMatchObject({
      stage: 'config',
      arch: 'armel',
      source: 'git:/git/linux@3c1b2a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
      config: join(dir, 'config'),
      goals: [],
    });
    expect(asked.map((a) => [a.base, a.pins])).toEqual([
      [{ kind: 'file', path: join(dir, 'config') }, []],
    ]);
    expect(r.outcomes).toEqual([
      expect.objectContaining({
        found: true,
        issue: expect.objectContaining({ section: 'kismet', kind: 'kconfig' }),
      }),
    ]);
    expect(r.build).toBeNull();
    expect(r.config).toMatchObject({ base: 'report config', outDir: join(dir, 'out') });
    expect(r.explanations.map((e) => [e.symbol, e.selector])).toEqual([['KEXEC', 'CRASH_DUMP']]);
    expect(r.explanations[0]!.text.split('\n').slice(0, 4)).toEqual([
      'KEXEC=y: selected although its direct dependencies are unmet  [Kconfig:9]',
      '  selected by CRASH_DUMP=y  [Kconfig:15]',
      '    CRASH_DUMP=y: set in .config  [Kconfig:13]',
      '  KEXEC=y: depends on !SMP || PM_SLEEP_SMP [y] && MMU [n]  [Kconfig:9]',
    ]);
    const text = renderRepro(r);
    expect(text).toMatch(
      /^REPRODUCED {2}arm-kismet-CONFIG_KEXEC-CONFIG_CRASH_DUMP-0-0 \(armel, gcc\)/,
    );
    expect(text).toContain(
      'found   kconfig: warning: unmet direct dependencies detected for KEXEC (selected by CRASH_DUMP)',
    );
    expect(text).toContain('  why KEXEC (selected by CRASH_DUMP):\n    KEXEC=y: selected although');
    expect(text).toContain('stage: config only');
    const saved_ = JSON.parse(await readFile(join(dir, 'out', 'repro.json'), 'utf8'));
    expect(saved_.verdict).toBe('reproduced');
  });

  it('says not reproduced when conf does not warn, and that the selector no longer selects', async () => {
    const d = deps('CONFIG_CRASH_DUMP=y\n# CONFIG_MMU is not set\n', '', []);
    const reverted = KCONFIG.replace('\tselect KEXEC', '\thelp\n\t  no select');
    d.kconfigModel = async () => model(reverted, { modules: false });
    const { r } = await reproKismet(
      d,
      { source: '/src/linux' },
      'CONFIG_ARM=y\nCONFIG_CRASH_DUMP=y\n',
    );
    expect(r.verdict).toBe('not-reproduced');
    expect(r.outcomes.map((o) => o.found)).toEqual([false]);
    expect(r.plan.notes).toContain('CRASH_DUMP does not select KEXEC in this tree');
    expect(r.explanations[0]!.text.split('\n')[0]).toBe(
      'KEXEC=n: no active select forces it  [Kconfig:9]',
    );
  });

  it('makes the smallest config for the kismet pair when no config is beside the report', async () => {
    const asked: ConfigRequest[] = [];
    const { r } = await reproKismet(deps(WARNED, UNMET, asked), { source: '/src/linux' });
    expect(r.verdict).toBe('reproduced');
    expect(asked.map((a) => [a.base.kind, a.pins.map((p) => `${p.symbol}=${p.value}`)])).toEqual([
      ['allnoconfig', ['CRASH_DUMP=y', 'MMU=n']],
    ]);
    expect(r.config).toMatchObject({ base: 'kismet' });
    expect(r.plan.notes).toContain(
      'no config: making the smallest config in which CRASH_DUMP selects KEXEC (allnoconfig + pins from the Kconfig model)',
    );
    expect(renderRepro(r)).toContain(
      'config: allnoconfig + CRASH_DUMP=y MMU=n (the smallest config for the kismet pair)',
    );
  });

  it('says which remote the report wanted when --repo lacks its commit', async () => {
    const d = deps(WARNED, UNMET, []);
    const seen: string[] = [];
    d.commitInRepo = async (repo, sha) => {
      seen.push(`${repo} ${sha}`);
      return 'absent';
    };
    d.resolveSource = never;
    const { r } = await reproKismet(d, { repo: '/git/linux' });
    expect(seen).toEqual(['/git/linux 3c1b2a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b']);
    expect(r.verdict).toBe('cannot-run');
    expect(r.missing).toEqual([
      'source: commit 3c1b2a0f9e8d is not in --repo /git/linux; the report fetched it from https://github.com/intel-lab-lkp/linux (Baoquan-He/crash-select-KEXEC-for-CRASH_DUMP/20240117-093312): git -C /git/linux fetch https://github.com/intel-lab-lkp/linux Baoquan-He/crash-select-KEXEC-for-CRASH_DUMP/20240117-093312',
    ]);
  });

  it('puts the function of a reported complaint in repro.json', async () => {
    const r = await runRepro(
      { reportText: fixture('2024-gcc-patch-base-sha.txt'), outDir: () => '/nonexistent', jobs: 1 },
      deps('', '', []),
    );
    expect(r.report.issues[0]).toMatchObject({
      file: 'kernel/crash_core.c',
      function: '__crash_kexec',
    });
    // no reproduce file beside it (stdin): the base sha is the commit
    expect(r.report.base).toMatchObject({ sha: '0dd3ee31125508cd67f7e7172247f05b7fd1753a' });
  });
});
