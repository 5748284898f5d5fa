// Reports of a pin that stopped holding: merge_config.sh's "Value requested for CONFIG_X not
// in final .config" lines (6.x wording and 7.x's "CONFIG_X differs:"), in kmatrix's own triage
// mail, a user's mail and a robot-style section, read into Kconfig complaints that carry the
// request; a bad value named with its report line; and runRepro's config stage applying the
// requests to the report's config (conf faked: it writes a given .config) and judging them.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { parseDotConfig } from '../../../src/config/dotconfig.js';
import type { ConfigRequest, ConfigResult } from '../../../src/config/generate.js';
import { verifyPins } from '../../../src/config/verify.js';
import { renderRepro } from '../../../src/report/repro.js';
import {
  mailConfigName,
  mergeConfigLines,
  renderTriageMail,
} from '../../../src/report/triage-mail.js';
import { planRepro } from '../../../src/repro/plan.js';
import { parseReport } from '../../../src/repro/report.js';
import { runRepro, type ReproDeps } from '../../../src/repro/run.js';
import { kexecPinRecord } from '../../helpers/results.js';
import { testDir } from '../../helpers/tmp.js';
import { model } from '../kconfig/helpers.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/reports', name), 'utf8');

const arm64 = findArch('arm64')!;
const CULPRIT = 'c'.repeat(40);

/** kmatrix's own report of the arm64 KEXEC=n pin that CRASH_DUMP's new select overrides. */
function pinMail(): string {
  const record = kexecPinRecord(CULPRIT, 'A U Thor');
  return renderTriageMail({
    runId: '20240103-000000-abcd',
    n: 2,
    cell: {
      id: '9e1f00aa11bb',
      source: 'git:/src/linux@master',
      variant: 'kexec-pin',
      toolchain: 'gcc',
      base: { kind: 'tinyconfig' },
      pins: [],
      build: false,
    },
    arch: arm64,
    record,
    diagnostics: [],
    why: {
      pins: [
        {
          symbol: 'KEXEC',
          requested: 'n',
          effective: 'y',
          status: 'overridden',
          explanation: 'KEXEC=y: overridden (pinned n)\n  selected by CRASH_DUMP=y',
        },
      ],
      errors: [],
      note: null,
    },
    repo: '/src/linux',
    ref: 'master',
    head: 'e'.repeat(40),
    configName: mailConfigName(arm64, 'kexec-pin', '9e1f00aa11bb'),
    compiler: 'aarch64-linux-gnu-gcc (config only: the cell was not built)',
  });
}

describe('merge_config lines in reports', () => {
  it("kmatrix's pin report carries them as its errors, and they read back as the request", () => {
    const mail = pinMail();
    expect(mail).toContain(
      [
        'All errors (new ones prefixed by >>):',
        '',
        '>> Value requested for CONFIG_KEXEC not in final .config',
        '>> Requested value:  # CONFIG_KEXEC is not set',
        '>> Actual value:     CONFIG_KEXEC=y',
      ].join('\n'),
    );
    const r = parseReport(mail);
    expect(r.issues).toEqual([
      expect.objectContaining({
        kind: 'kconfig',
        severity: 'error',
        section: 'errors',
        new: true,
        message: 'requested CONFIG_KEXEC=n not in final .config (actual: CONFIG_KEXEC=y)',
        request: { symbol: 'KEXEC', requested: 'n', actual: 'y' },
      }),
    ]);
    expect(r.invalid).toEqual([]);
    expect(r.unparsed).toEqual([]);
    const plan = planRepro({ report: r, repo: '/src/linux', configPath: '/r/x.config' });
    expect(plan).toMatchObject({
      stage: 'config',
      arch: { name: 'arm64' },
      source: { kind: 'git', repo: '/src/linux', ref: CULPRIT },
      missing: [],
    });
    expect(plan.requests).toEqual([
      { symbol: 'KEXEC', value: 'n', origin: 'requested in the report' },
    ]);
  });

  it('writes dropped and unavailable pins as merge_config does, and reads them back', () => {
    const text = [
      'config: arm64-x (attached as .config)',
      '',
      'All errors (new ones prefixed by >>):',
      '',
      ...mergeConfigLines({
        symbol: 'KEXEC_FILE',
        requested: 'm',
        effective: 'n',
        status: 'dropped',
      }),
      ...mergeConfigLines({
        symbol: 'NOPE',
        requested: 'y',
        effective: 'n',
        status: 'unavailable',
      }),
    ].join('\n');
    expect(text).toContain('Actual value:     # CONFIG_KEXEC_FILE is not set');
    expect(parseReport(text).issues.map((i) => i.request)).toEqual([
      { symbol: 'KEXEC_FILE', requested: 'm', actual: 'n' },
      { symbol: 'NOPE', requested: 'y', actual: null },
    ]);
  });

  it("reads a user's mail with merge_config.sh's output pasted outside any section", () => {
    const r = parseReport(fixture('2024-merge-config-user-arm64.txt'));
    expect(r.config).toEqual({ name: 'arm64-defconfig-kdump', attached: true });
    expect(r.issues).toEqual([
      expect.objectContaining({
        kind: 'kconfig',
        severity: 'warning',
        new: false,
        request: { symbol: 'KEXEC', requested: 'n', actual: 'y' },
      }),
    ]);
    // what merge_config prints is Kconfig's business: no compiler needed to check it
    expect(r.missing).not.toContain('compiler (no "compiler:" line)');
    const plan = planRepro({ report: r, source: '/src/linux', configPath: '/r/config' });
    expect(plan).toMatchObject({ stage: 'config', arch: { name: 'arm64' }, missing: [] });
    expect(plan.requests.map((p) => `${p.symbol}=${p.value}`)).toEqual(['KEXEC=n']);
  });

  it("reads 7.x's wording in a robot-style section: only the new (>>) request is required", () => {
    const r = parseReport(fixture('2026-merge-config-robot-7x.txt'));
    expect(r.issues.map((i) => [i.request, i.new, i.section])).toEqual([
      [{ symbol: 'KEXEC', requested: 'n', actual: 'y' }, true, 'warnings'],
      [{ symbol: 'HIBERNATION', requested: 'y', actual: null }, false, 'warnings'],
    ]);
    const plan = planRepro({ report: r, repo: '/src/linux', configPath: '/r/config' });
    expect(plan.requests.map((p) => `${p.symbol}=${p.value}`)).toEqual(['KEXEC=n']);
    expect(plan.required.map((i) => i.request?.symbol)).toEqual(['KEXEC']);
  });

  it('names a bad requested value, its report line and what is accepted; the repro cannot run', () => {
    const text = fixture('2024-merge-config-user-arm64.txt').replace(
      'Requested value:  # CONFIG_KEXEC is not set',
      'Requested value:  CONFIG_KEXEC=maybe',
    );
    const line = text.split('\n').findIndex((l) => l.includes('=maybe')) + 1;
    const r = parseReport(text);
    expect(r.issues).toEqual([]);
    expect(r.invalid).toEqual([
      `report line ${line}: requested CONFIG_KEXEC: value "maybe" is not y, m, n, a decimal or 0x hex number, or a "double-quoted string" (one line)`,
    ]);
    const plan = planRepro({ report: r, source: '/src/linux', configPath: '/r/config' });
    expect(plan.missing).toContain(`requested value: ${r.invalid[0]}`);
  });

  it('names a request line that belongs to another symbol', () => {
    const r = parseReport(
      'config: arm64-x (attached as .config)\n\nValue requested for CONFIG_KEXEC not in final .config\nRequested value:  CONFIG_KEXEC_FILE=y\nActual value:\n',
    );
    expect(r.invalid).toEqual([
      'report line 4: requested value "CONFIG_KEXEC_FILE=y" is not a line for CONFIG_KEXEC (accepted: CONFIG_KEXEC=VALUE or "# CONFIG_KEXEC is not set")',
    ]);
  });

  it('lists requests beside build errors without checking them (a build checks builds)', () => {
    const text = `config: arm64-x (attached as .config)
compiler: aarch64-linux-gnu-gcc (GCC) 12.2.0

All errors (new ones prefixed by >>):

>> kernel/kexec.c:10:5: error: 'x' undeclared
>> Value requested for CONFIG_KEXEC not in final .config
>> Requested value:  # CONFIG_KEXEC is not set
>> Actual value:     CONFIG_KEXEC=y
`;
    const plan = planRepro({ report: parseReport(text), source: '/s', configPath: '/r/c' });
    expect(plan.stage).toBe('build');
    expect(plan.required.map((i) => i.file)).toEqual(['kernel/kexec.c']);
    expect(plan.unchecked.map((i) => i.request?.symbol)).toEqual(['KEXEC']);
    expect(plan.requests).toEqual([]);
  });
});

const KCONFIG = [
  'config KEXEC',
  '\tbool "kexec"',
  'config CRASH_DUMP',
  '\tbool "crash dump"',
  '\tselect KEXEC',
].join('\n');
const KCONFIG_REVERTED = KCONFIG.replace('\n\tselect KEXEC', '');

/** conf as a fake: applies the pins to `config` as the model says and records the request. */
function deps(kconfig: string, asked: ConfigRequest[]): ReproDeps {
  const m = model(kconfig, { modules: false });
  const selects = kconfig.includes('select KEXEC');
  return {
    selectRuntime: async () => {
      throw new Error('a config-stage repro must not ask for a runtime');
    },
    resolveSource: async (spec) => ({
      spec,
      path: '/src/linux',
      version: '6.1.0',
      label: 'linux',
      cacheKey: 'x',
    }),
    generateConfig: async (req): Promise<ConfigResult> => {
      asked.push(req);
      const values = new Map([['CRASH_DUMP', 'y']]);
      for (const p of req.pins) values.set(p.symbol, p.value);
      if (selects) values.set('KEXEC', 'y');
      const text = [...values].map(([k, v]) => `CONFIG_${k}=${v}`).join('\n') + '\n';
      await mkdir(req.outDir, { recursive: true });
      await writeFile(join(req.outDir, '.config'), text);
      const checked = verifyPins(req.pins, parseDotConfig(text), m);
      return {
        verdict: checked.verdict,
        arch: req.arch.name,
        base: req.base.kind,
        seed: null,
        probability: null,
        toolchain: req.toolchain,
        source: { spec: '/src/linux', label: 'linux', version: '6.1.0', path: '/src/linux' },
        configPath: join(req.outDir, '.config'),
        outDir: req.outDir,
        pins: checked.pins,
        kconfigWarnings: [],
        diagnostics: [],
        commands: ['make olddefconfig'],
        durationMs: 5,
      };
    },
    kconfigModel: async () => m,
    commitInRepo: async () => 'present',
    emit: () => {},
  };
}

async function repro(kconfig: string, mail = pinMail()) {
  const dir = testDir('repro-merge-config');
  await writeFile(join(dir, '2.txt'), mail);
  await writeFile(join(dir, 'config'), 'CONFIG_CRASH_DUMP=y\nCONFIG_KEXEC=y\n');
  const asked: ConfigRequest[] = [];
  const r = await runRepro(
    {
      reportText: mail,
      reportPath: join(dir, '2.txt'),
      repo: '/src/linux',
      outDir: () => join(dir, 'out'),
      jobs: 1,
    },
    deps(kconfig, asked),
  );
  return { r, asked, dir };
}

describe('runRepro: a pin that stopped holding, by conf alone', () => {
  it('applies the request to the report config; reproduced while the select forces KEXEC', async () => {
    const { r, asked, dir } = await repro(KCONFIG);
    expect(asked.map((a) => [a.base, a.pins.map((p) => `${p.symbol}=${p.value}`)])).toEqual([
      [{ kind: 'file', path: join(dir, 'config') }, ['KEXEC=n']],
    ]);
    expect(r.verdict).toBe('reproduced');
    expect(r.plan.requests).toEqual(['CONFIG_KEXEC=n']);
    expect(r.outcomes).toEqual([
      expect.objectContaining({
        found: true,
        match: {
          file: '',
          message: 'requested CONFIG_KEXEC=n not in final .config (actual: CONFIG_KEXEC=y)',
        },
      }),
    ]);
    expect(r.config).toMatchObject({
      base: 'report config',
      pins: [expect.objectContaining({ symbol: 'KEXEC', status: 'overridden', effective: 'y' })],
    });
    expect(r.explanations.map((e) => e.symbol)).toEqual(['KEXEC']);
    expect(r.explanations[0]!.text).toMatch(/selected by CRASH_DUMP=y/);
    const text = renderRepro(r);
    expect(text).toMatch(/^REPRODUCED {2}arm64-kexec-pin-9e1f00aa11bb \(arm64, gcc\)/);
    expect(text).toContain(' + requested CONFIG_KEXEC=n (olddefconfig)');
    expect(text).toContain(
      'found   kconfig: error: requested CONFIG_KEXEC=n not in final .config (actual: CONFIG_KEXEC=y)',
    );
  });

  it('says so when conf gives another wrong value than the report had', async () => {
    const mail = pinMail().replace('Actual value:     CONFIG_KEXEC=y', 'Actual value:');
    const { r } = await repro(KCONFIG, mail);
    expect(r.verdict).toBe('reproduced');
    expect(r.plan.notes).toContain(
      'CONFIG_KEXEC: the report had it absent, conf now gives CONFIG_KEXEC=y (overridden)',
    );
  });

  it('is not reproduced where the pin holds, and says why it holds', async () => {
    const { r } = await repro(KCONFIG_REVERTED);
    expect(r.verdict).toBe('not-reproduced');
    expect(r.outcomes.map((o) => o.found)).toEqual([false]);
    expect(r.config?.pins).toEqual([expect.objectContaining({ symbol: 'KEXEC', status: 'holds' })]);
    expect(r.explanations[0]!.text.split('\n')[0]).toMatch(/^KEXEC=n: holds/);
  });
});
