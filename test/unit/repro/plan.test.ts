// Mapping a report to a build (nearest toolchain, allow-listed make variables, plain goals,
// where the config and source come from), judging by fingerprint, and the make rewriting.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBuildLog } from '../../../src/diagnostics/parse.js';
import { MakeOverrideRuntime } from '../../../src/repro/make-overrides.js';
import { isPlainGoal, planRepro, requiredIssues } from '../../../src/repro/plan.js';
import { parseReport } from '../../../src/repro/report.js';
import { exitCodeForVerdict, judge } from '../../../src/repro/verdict.js';
import type { Runtime } from '../../../src/runtime/runtime.js';

const fixture = (name: string) =>
  parseReport(readFileSync(join(import.meta.dirname, '../../fixtures/reports', name), 'utf8'));

describe('planRepro', () => {
  it('maps a W=1 make.cross report: armel, gcc nearest, W=1 passed, kernel/ goal, commit via --repo', () => {
    const p = planRepro({
      report: fixture('2022-gcc-arm-make-cross-dir.txt'),
      repo: '/src/linux',
      configPath: '/r/config',
    });
    expect(p.missing).toEqual([]);
    expect(p.arch?.name).toBe('armel');
    expect(p.toolchain).toBe('gcc');
    expect(p.toolchainNote).toBe('report used gcc-12.1.0, using gcc 12.2.0 (nearest available)');
    expect(p.source).toEqual({
      kind: 'git',
      repo: '/src/linux',
      ref: '2b7ccb3f0ad3b1a2c4d6e8f0a1b3c5d7e9f1a2b4',
    });
    expect(p.makeVars).toEqual(['W=1']);
    expect(p.makeVarDecisions.map((d) => `${d.name}:${d.action}`)).toEqual([
      'W:pass',
      'O:ignore',
      'ARCH:use',
      'SHELL:ignore',
    ]);
    expect(p.goals).toEqual(['kernel/']);
    expect(p.required.map((i) => `${i.file}:${i.line}`)).toEqual(['kernel/crash_core.c:123']);
  });

  it('picks clang for a clang report and says which version it stands in for', () => {
    const p = planRepro({
      report: fixture('2025-clang19-arm64-quoted-warnings.txt'),
      source: '/src/linux',
      configPath: '/r/config',
    });
    expect(p.arch?.name).toBe('arm64');
    expect(p.toolchain).toBe('clang');
    expect(p.toolchainNote).toBe(
      'report used clang-19.1.7, using clang 14.0.6 (nearest available)',
    );
    expect(p.makeVars).toEqual(['W=1']);
    // a warnings-only report: the new warning is what must come back
    expect(p.required.map((i) => i.line)).toEqual([102]);
    expect(p.goals).toEqual([]);
    expect(p.notes).toContain(
      "source /src/linux is used as is; kmatrix does not check that it is at the report's commit 4701f33a1070",
    );
  });

  it('says exactly what to download and where when the config is missing, and what source to give', () => {
    const p = planRepro({
      report: fixture('2023-gcc13-x86-w1-closes.txt'),
      reportDir: '/home/dev/reports',
    });
    expect(p.missing).toEqual([
      'source: pass --source PATH (a tree with the reported code); the report names no commit',
      'config: download https://download.01.org/0day-ci/archive/20231120/202311201818.xyzWQ12a-lkp@intel.com/config and save it as /home/dev/reports/config (beside the report) or pass --config FILE',
    ]);
    const attached = planRepro({ report: fixture('2019-gcc-arm-attached.txt'), source: '/s' });
    expect(attached.missing).toEqual([
      'config: arm-allnoconfig came attached to the report mail (.config.gz); save it and pass --config FILE (gzipped is fine)',
    ]);
  });

  it('cannot run for an arch without a kmatrix toolchain, or a report with only sparse complaints', () => {
    const sh = parseReport(
      'config: sh-allmodconfig (https://x/config)\ncompiler: sh4-linux-gcc (GCC) 13.2.0\n',
    );
    expect(planRepro({ report: sh, source: '/s', configPath: '/c' }).missing[0]).toMatch(
      /^toolchain: kmatrix has no toolchain for arch "sh"/,
    );
    const sparse = planRepro({
      report: fixture('2022-gcc-sparse-i386.txt'),
      source: '/s',
      configPath: '/c',
    });
    expect(sparse.arch?.name).toBe('i386');
    expect(sparse.unchecked).toHaveLength(2);
    expect(sparse.missing).toEqual([
      'something to look for: the report lists only sparse/smatch complaints, which kmatrix builds do not produce',
    ]);
    expect(sparse.makeVarDecisions.find((d) => d.name === 'C')?.action).toBe('ignore');
  });

  it('rejects or ignores every hostile value and passes none of them on', () => {
    const report = fixture('hostile-metachars.txt');
    const p = planRepro({ report, source: '/s', configPath: '/c' });
    // nothing with $, backticks, ; or spaces reaches make
    for (const v of [...p.makeVars, ...p.goals]) expect(v).toMatch(/^[A-Za-z0-9_=./+-]+$/);
    expect(p.makeVars).toEqual([]);
    expect(p.goals).toEqual(['kernel/']);
    const by = Object.fromEntries(p.makeVarDecisions.map((d) => [d.name, d.action]));
    expect(by).toMatchObject({
      W: 'reject',
      KCFLAGS: 'reject',
      LLVM_IAS: 'reject',
      CC: 'ignore',
      ARCH: 'use',
    });
    expect(p.notes.filter((n) => n.startsWith('make goal'))).toEqual([
      'make goal "kernel/$(touch" ignored: only plain directory/ or file.o goals are taken',
      'make goal "/tmp/pwned)/" ignored: only plain directory/ or file.o goals are taken',
      'make goal "../../etc/" ignored: only plain directory/ or file.o goals are taken',
      'make goal ";rm -rf /" ignored: only plain directory/ or file.o goals are taken',
    ]);
    // the config name is not a usable arch word: the ARCH=arm on the make line decides
    expect(p.arch?.name).toBe('armel');
    // the compiler text is only read for family and version
    expect(p.toolchainNote).toBe('report used gcc-13.2.0, using gcc 12.2.0 (nearest available)');
    // and a make line with shell syntax stops the repro (exit 2) instead of building the rest
    expect(p.missing).toEqual([expect.stringMatching(/^make line 1 .* shell syntax "\$\("/)]);
  });

  it('accepts only plain directory and object goals', () => {
    expect(
      ['kernel/', 'kernel/crash_core.o', 'drivers/gpu/drm/', 'arch/arm/boot/dts/x.dtb'].every(
        isPlainGoal,
      ),
    ).toBe(true);
    for (const g of [
      '../etc/',
      '/etc/',
      'kernel/../../x/',
      'all',
      '$(shell id)/',
      'a;b/',
      'kernel/ x/',
      '-C/',
    ])
      expect(isPlainGoal(g), g).toBe(false);
  });
});

describe('judging by fingerprint', () => {
  const report = fixture('2022-gcc-arm-make-cross-dir.txt');
  const { required } = requiredIssues(report.issues);

  it('reproduced when every required error is in the build, even on another line', () => {
    const diags = parseBuildLog(
      "/t/kernel/crash_core.c:125:5: error: 'foo' undeclared (first use in this function)\nmake[2]: *** [scripts/Makefile.build:250: kernel/crash_core.o] Error 1\n",
      { stripPrefixes: ['/t'] },
    );
    const v = judge(required, { status: 'fail', diagnostics: diags });
    expect(v.kind).toBe('reproduced');
    expect(exitCodeForVerdict(v.kind)).toBe(0);
  });

  it('partially reproduced, with which ones; not reproduced carries the build status; near misses shown', () => {
    const extra = parseReport(
      readFileSync(
        join(import.meta.dirname, '../../fixtures/reports/2022-gcc-arm-make-cross-dir.txt'),
        'utf8',
      ).replace(
        '   kernel/crash_core.c: At top level:',
        ">> kernel/crash_core.c:200:9: error: implicit declaration of function 'bar'\n   kernel/crash_core.c: At top level:",
      ),
    );
    const req = requiredIssues(extra.issues).required;
    expect(req).toHaveLength(2);
    const diags = parseBuildLog(
      "kernel/crash_core.c:123:5: error: 'foo' undeclared (first use in this function)\nkernel/crash_core.c:200:9: error: implicit declaration of function 'bar'; did you mean 'baz'?\n",
    );
    const v = judge(req, { status: 'fail', diagnostics: diags.slice(0, 1) });
    expect(v.kind).toBe('partially-reproduced');
    if (v.kind !== 'partially-reproduced') throw new Error('unreachable');
    expect(v.outcomes.map((o) => o.found)).toEqual([true, false]);
    expect(exitCodeForVerdict(v.kind)).toBe(1);

    const near = judge(req, { status: 'fail', diagnostics: diags.slice(1) });
    expect(near.kind).toBe('not-reproduced');
    if (near.kind !== 'not-reproduced') throw new Error('unreachable');
    expect(near.buildStatus).toBe('fail');
    expect(near.outcomes[1]!.near?.message).toMatch(/did you mean 'baz'/);

    expect(judge(req, { status: 'pass', diagnostics: [] })).toMatchObject({
      kind: 'not-reproduced',
      buildStatus: 'pass',
    });
    expect(judge(req, { status: 'infra-error', reason: 'daemon gone', diagnostics: [] })).toEqual({
      kind: 'cannot-run',
      missing: ['a build: it ended infra-error: daemon gone'],
    });
    expect(exitCodeForVerdict('cannot-run')).toBe(2);
  });
});

describe('MakeOverrideRuntime', () => {
  const inner: Runtime = {
    info: { kind: 'local' },
    paths: (ws) => ws,
    run: async () => ({ kind: 'pass', durationMs: 0, output: '' }),
    reproduce: (_ws, cmd) => cmd.argv.join(' '),
  };

  it('adds -k, the allowed variables and the report goals to make; leaves other commands alone', async () => {
    const rt = new MakeOverrideRuntime(inner, {
      vars: ['W=1'],
      keepGoing: true,
      goals: { replace: 'zImage', with: ['kernel/'] },
    });
    const ws = { source: '/s', out: '/o' };
    expect(
      rt.reproduce(ws, { argv: ['make', '-C', '/s', 'O=/o', 'ARCH=arm', '-j2', 'zImage'] }),
    ).toBe('make -C /s O=/o ARCH=arm -j2 -k W=1 kernel/');
    expect(rt.rewrite(['make', '-j2', 'modules'])).toEqual(['make', '-j2', '-k', 'W=1', 'modules']);
    expect(rt.rewrite(['arm-linux-gnueabi-gcc', '--version'])).toEqual([
      'arm-linux-gnueabi-gcc',
      '--version',
    ]);
    await rt.run(ws, { argv: ['make', 'zImage'] });
    await rt.run(ws, { argv: ['gcc', '--version'] });
    expect(rt.ran).toEqual([['make', '-k', 'W=1', 'kernel/']]);
  });
});
