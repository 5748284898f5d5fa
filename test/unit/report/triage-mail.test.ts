// The triage report mail read back by kmatrix repro's parser: the robot's fields, the make
// lines and goals, and every error with the same fingerprint it had in the build (new ones
// marked), so `kmatrix repro` plans the same build and looks for the same errors.
import { describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { parseBuildLog } from '../../../src/diagnostics/parse.js';
import {
  diagnosticLine,
  mailConfigName,
  renderTriageMail,
} from '../../../src/report/triage-mail.js';
import { planRepro } from '../../../src/repro/plan.js';
import { parseReport } from '../../../src/repro/report.js';
import { emptySearch, type TriageRecord } from '../../../src/results/triage.js';

const armel = findArch('armel')!;

const diags: Diagnostic[] = parseBuildLog(
  [
    "arch/arm/kernel/crash_dump.c: In function 'kmatrix_needs_kexec':",
    "arch/arm/kernel/crash_dump.c:62:20: error: 'kmatrix_kexec_only_symbol' undeclared (first use in this function)",
    'arch/arm/kernel/setup.c:10:5: error: old problem here',
    "arm-linux-gnueabi-ld: kernel/kexec_core.o: in function `kimage_crash_copy_vmcoreinfo':",
    "kexec_core.c:(.text+0x4a8): undefined reference to `crash_update_vmcoreinfo_safecopy'",
    'make[3]: *** [scripts/Makefile.build:250: arch/arm/kernel/crash_dump.o] Error 1',
  ].join('\n'),
);
const NEW = [diags[0]!.fingerprint, diags[2]!.fingerprint];

const record: TriageRecord = {
  status: 'done',
  reason: null,
  culprit: {
    commit: 'c'.repeat(40),
    subject: 'arm: crash_dump: use the kexec image',
    author: 'A U Thor',
    date: '2024-01-03T00:00:00Z',
  },
  verification: 'revert-fixes',
  minimalConfig: [{ symbol: 'CRASH_DUMP', value: 'y' }],
  report: 'reports/1.txt',
  suspect: null,
  fingerprints: NEW,
  cell: '3f2a9c1b2c3d',
  sharedWith: [],
  search: {
    ...emptySearch(null),
    method: 'build',
    command: 'kmatrix bisect ...',
    objects: ['arch/arm/kernel/crash_dump.o'],
    outcome: 'found',
  },
  verify: [
    { what: 'culprit', commit: 'c'.repeat(40), expected: 'bad', got: 'bad', why: 'fails', ms: 1 },
    { what: 'parent', commit: 'b'.repeat(40), expected: 'good', got: 'good', why: 'builds', ms: 1 },
    { what: 'revert', commit: 'e'.repeat(40), expected: 'good', got: 'good', why: 'builds', ms: 1 },
  ],
  minimization: {
    outcome: 'found',
    note: null,
    good: 'the passing cell x',
    symbols: [{ symbol: 'CRASH_DUMP', value: 'y', from: 'n', why: 'CRASH_DUMP=y: set in .config' }],
    derived: [],
    tests: 3,
    durationMs: 1,
  },
  durationMs: 1,
  finishedAt: 'now',
};

const name = mailConfigName(armel, 'tiny-crash@2', '3f2a9c1b2c3d');
const mail = renderTriageMail({
  runId: '20240103-000000-abcd',
  n: 1,
  cell: {
    id: '3f2a9c1b2c3d',
    source: 'git:/src/linux@master',
    variant: 'tiny-crash@2',
    toolchain: 'gcc',
    base: { kind: 'tinyconfig' },
    pins: [],
    build: true,
  },
  arch: armel,
  record,
  diagnostics: diags,
  why: undefined,
  repo: '/src/linux',
  ref: 'master',
  head: 'e'.repeat(40),
  configName: name,
  compiler: 'arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0',
});

describe('the triage report mail', () => {
  it('has a 0-day style config name a report parser takes', () => {
    expect(name).toBe('arm-tiny-crash-2-3f2a9c1b2c3d');
  });

  it('parses back into the robot fields', () => {
    const r = parseReport(mail);
    expect(r).toMatchObject({
      tree: { url: '/src/linux', branch: 'master' },
      head: 'e'.repeat(40),
      commit: { sha: 'c'.repeat(40), subject: 'arm: crash_dump: use the kexec image' },
      config: { name, attached: true },
      compiler: { family: 'gcc', version: '12.2.0' },
      reportedBy: 'kmatrix <kmatrix@localhost>',
      missing: [],
      unparsed: [],
    });
    expect(r.makeLines.map((m) => m.goals)).toEqual([['olddefconfig'], ['arch/arm/kernel/']]);
  });

  it('lists every error with the fingerprint it had, the new ones marked', () => {
    const r = parseReport(mail);
    const errors = diags.filter((d) => d.severity === 'error' && d.kind !== 'make');
    expect(r.issues.map((i) => [i.fingerprint, i.new])).toEqual(
      errors.map((d) => [d.fingerprint, NEW.includes(d.fingerprint)]),
    );
  });

  it('plans the same build for kmatrix repro: arm, gcc, the report commit, the directory', () => {
    const plan = planRepro({
      report: parseReport(mail),
      repo: '/src/linux',
      configPath: '/r/x.config',
    });
    expect(plan).toMatchObject({
      arch: { name: 'armel' },
      toolchain: 'gcc',
      source: { kind: 'git', repo: '/src/linux', ref: 'c'.repeat(40) },
      goals: ['arch/arm/kernel/'],
      missing: [],
    });
    expect(plan.required.map((i) => i.fingerprint)).toEqual(NEW);
  });

  it('carries the findings a developer reads: culprit, verification, smallest config', () => {
    expect(mail).toContain(
      'first bad commit: cccccccccccc ("arm: crash_dump: use the kexec image")',
    );
    expect(mail).toContain('verification: revert-fixes');
    expect(mail).toContain(
      'smallest config: fails when CONFIG_CRASH_DUMP=y (applied to the passing cell x)',
    );
  });
});

describe('diagnosticLine', () => {
  it('writes each kind so the build-log parser reads the same fingerprint back', () => {
    const assembler = parseBuildLog('arch/arm/kernel/entry.S:12: Error: bad instruction `foo r0`');
    const modpost = parseBuildLog(
      'ERROR: modpost: "kexec_crash_image" [drivers/foo/bar.ko] undefined!',
    );
    for (const d of [...diags, ...assembler, ...modpost])
      expect(parseBuildLog(diagnosticLine(d)).map((x) => x.fingerprint)).toEqual([d.fingerprint]);
  });
});
