// Triage planning, pure: the same failure on several cells is one failure (and which cell is
// triaged), the budget, continuing and --cell, which bisect predicate a failure gets, when
// object-only steps are possible, and where a bisect can start from.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { parseBuildLog } from '../../../src/diagnostics/parse.js';
import { compareRun } from '../../../src/results/compare.js';
import type { CellResult } from '../../../src/results/result.js';
import { placeholderRecord } from '../../../src/results/triage.js';
import {
  culpritPredicate,
  groupFailures,
  historyFor,
  minimizable,
  objectGoals,
  objectsFailedInBuild,
  selectGroups,
} from '../../../src/triage/plan.js';
import { cell, cellResult } from '../../helpers/results.js';

function result(id: string, o: Partial<CellResult> = {}): CellResult {
  return cellResult(id, { buildMs: 0, finishedAt: '2026-01-01T00:00:00Z', ...o });
}

const err = (file: string, message: string, kind: Diagnostic['kind'] = 'compiler'): Diagnostic => ({
  severity: 'error',
  kind,
  file,
  line: 3,
  message,
  fingerprint: `${file.replace(/\//g, '-')}:error:${message}`,
});

const BREAK = err('arch/arm/kernel/crash_dump.c', 'undeclared');
const pinFail = (id: string) =>
  result(id, {
    status: 'config-unsatisfied',
    stage: 'config',
    pins: [{ symbol: 'KEXEC', requested: 'n', effective: 'y', status: 'overridden', origin: 'm' }],
  });

describe('groupFailures', () => {
  const cells = [
    cell('a', { arch: 'armel' }),
    cell('b', { arch: 'armhf' }),
    cell('c', {
      arch: 'arm64',
      build: false,
      pins: [{ symbol: 'KEXEC', value: 'n', origin: 'm' }],
    }),
    cell('d', { arch: 'arm64', pins: [{ symbol: 'KEXEC', value: 'n', origin: 'm' }] }),
    cell('e', { arch: 'armel', toolchain: 'clang' }),
    cell('f', { arch: 'x86_64' }),
  ];
  const results = new Map<string, CellResult>([
    ['a', result('a', { status: 'fail', diagnostics: [BREAK] })],
    ['b', result('b', { status: 'fail', diagnostics: [BREAK] })],
    ['c', pinFail('c')],
    ['d', pinFail('d')],
    ['e', result('e', { status: 'fail', diagnostics: [BREAK] })],
    ['f', result('f')],
  ]);
  const cmp = compareRun(
    cells.map((c) => c.id),
    results,
    undefined,
  );

  it('one failure per (source, toolchain, new fingerprints), numbered in display order', () => {
    const groups = groupFailures(cells, results, cmp.cells);
    expect(groups.map((g) => [g.n, g.cell.id, g.members.map((c) => c.id), g.fingerprints])).toEqual(
      [
        [1, 'a', ['a', 'b'], [BREAK.fingerprint]],
        // the config-only cell is triaged: a pin bisect needs no build
        [2, 'c', ['c', 'd'], ['pin:KEXEC:overridden']],
        // another toolchain is another failure
        [3, 'e', ['e'], [BREAK.fingerprint]],
      ],
    );
  });

  it('leaves out cells that are not new failures', () => {
    const baseline = { runId: 'r0', results: new Map([['a', results.get('a')!]]) };
    const again = compareRun(['a', 'f'], results, baseline);
    expect(groupFailures(cells, results, again.cells)).toEqual([]);
  });

  const groups = groupFailures(cells, results, cmp.cells);
  const record = (status: 'done' | 'incomplete') => ({
    ...placeholderRecord({
      status: 'skipped',
      reason: 'x',
      cell: 'a',
      sharedWith: [],
      fingerprints: [],
    }),
    status,
  });

  it('triages the first max_failures failures and skips the rest with the way to get them', () => {
    const sel = selectGroups(groups, new Map(), 2);
    expect(sel.map((s) => s.action)).toEqual(['triage', 'triage', 'skip']);
    expect(sel[2]).toMatchObject({
      action: 'skip',
      reason:
        'over the budget: triage.max_failures is 2 (run kmatrix triage RUN_ID --cell e for this one)',
    });
  });

  it('continuing keeps finished records and redoes incomplete ones', () => {
    const existing = new Map([
      ['a', record('done')],
      ['c', record('incomplete')],
    ]);
    expect(selectGroups(groups, existing, 10).map((s) => s.action)).toEqual([
      'keep',
      'triage',
      'triage',
    ]);
  });

  it('--cell triages exactly the failures of those cells again, past the budget', () => {
    const existing = new Map([['a', record('done')]]);
    const sel = selectGroups(groups, existing, 0, new Set(['b', 'e']));
    expect(sel.map((s) => s.action)).toEqual(['triage', 'skip', 'triage']);
  });
});

describe('culpritPredicate', () => {
  const c = cell('x', {
    pins: [
      { symbol: 'CRASH_DUMP', value: 'y', origin: 'm' },
      { symbol: 'KEXEC', value: 'n', origin: 'm' },
    ],
  });

  it('requires the pins that stopped holding', () => {
    expect(culpritPredicate(['pin:KEXEC:overridden'], c, result('x'))).toEqual({
      kind: 'require',
      requires: [{ symbol: 'KEXEC', value: 'n', origin: 'm' }],
    });
  });

  it('matches the new error fingerprints, building only their objects when they are compiler errors', () => {
    const r = result('x', { diagnostics: [BREAK, err('init/main.c', 'other')] });
    expect(culpritPredicate([BREAK.fingerprint], c, r)).toEqual({
      kind: 'build',
      match: [BREAK.fingerprint],
      objects: ['arch/arm/kernel/crash_dump.o'],
    });
  });

  it('does not bisect timeouts', () => {
    expect(culpritPredicate(['status:timeout:build'], c, result('x'))).toMatchObject({
      kind: 'none',
      reason: expect.stringMatching(/timeout is not bisected/),
    });
  });
});

describe('objectGoals', () => {
  it('is null when an error needs the full build: a header, the linker, make', () => {
    const h = err('include/linux/kexec.h', 'bad');
    const ld = err('kernel/kexec_core.c', "undefined reference to 'x'", 'linker');
    const mk = err('kernel/foo.o', 'Error 1', 'make');
    for (const d of [h, ld, mk]) expect(objectGoals([d.fingerprint], [d])).toBeNull();
    expect(objectGoals([BREAK.fingerprint, h.fingerprint], [BREAK, h])).toBeNull();
  });

  it('maps .c and .S files to their objects', () => {
    const s = err('arch/arm/kernel/entry-armv.S', 'bad insn', 'assembler');
    expect(objectGoals([BREAK.fingerprint, s.fingerprint], [BREAK, s])).toEqual([
      'arch/arm/kernel/crash_dump.o',
      'arch/arm/kernel/entry-armv.o',
    ]);
  });

  it('is null when a fingerprint has no diagnostic to say where it came from', () => {
    expect(objectGoals(['x:error:y'], [BREAK])).toBeNull();
  });
});

describe('objectsFailedInBuild', () => {
  // A kbuild log as the run's container build writes it (-j2, no -k), parsed as the run does.
  const compile = (file: string, ident: string) =>
    `  CC      ${file.replace(/\.c$/, '.o')}
/src/${file}: In function 'f':
/src/${file}:3:9: error: '${ident}' undeclared (first use in this function)
`;
  const failed = (obj: string, dir: string) =>
    `make[3]: *** [/src/scripts/Makefile.build:250: ${obj}] Error 1
make[2]: *** [/src/scripts/Makefile.build:500: ${dir}] Error 2
`;
  const top = `make[1]: *** [/src/Makefile:1992: .] Error 2
make: *** [Makefile:231: __sub-make] Error 2
`;
  const parse = (log: string) => parseBuildLog(log, { stripPrefixes: ['/src', '/out'] });
  const CRASH = 'arch/arm/kernel/crash_dump.c';
  const OBJ = 'arch/arm/kernel/crash_dump.o';

  it('is true when the only file make failed to make is the object with the errors', () => {
    const ds = parse(compile(CRASH, 'kexec_sym') + failed(OBJ, 'arch/arm/kernel') + top);
    expect(
      objectGoals(
        ['arch-arm-kernel-crash_dump.c:error:kexec_sym-undeclared-first-use-in-this-function'],
        ds,
      ),
    ).toEqual([OBJ]);
    expect(objectsFailedInBuild([OBJ], ds)).toBe(true);
  });

  it('is false when another file target failed too (it may #include the file with the errors)', () => {
    const ds = parse(
      compile(CRASH, 'kexec_sym') +
        failed(OBJ, 'arch/arm/kernel') +
        failed('arch/arm/kernel/machine_kexec.o', 'arch/arm/kernel') +
        top,
    );
    expect(objectsFailedInBuild([OBJ], ds)).toBe(false);
  });

  it('is false when make did not name the object (the error came from compiling another file)', () => {
    const ds = parse(
      compile(CRASH, 'kexec_sym') + failed('arch/arm/kernel/setup.o', 'arch/arm/kernel') + top,
    );
    expect(objectsFailedInBuild([OBJ], ds)).toBe(false);
    expect(objectsFailedInBuild([OBJ], parse(compile(CRASH, 'kexec_sym')))).toBe(false);
  });

  it('needs every object to have failed', () => {
    const ds = parse(compile(CRASH, 'kexec_sym') + failed(OBJ, 'arch/arm/kernel') + top);
    expect(objectsFailedInBuild([OBJ, 'kernel/kexec_core.o'], ds)).toBe(false);
    expect(objectsFailedInBuild([], ds)).toBe(false);
  });
});

describe('historyFor', () => {
  const git = cell('x', { source: 'git:/src/linux@master' });
  const now = { repo: '/src/linux', commit: 'b'.repeat(40) };
  const baseline = (o: { status?: CellResult['status']; commit?: string | undefined } = {}) => ({
    runId: 'r1',
    result: { status: o.status ?? 'pass' },
    commit: 'commit' in o ? o.commit : 'a'.repeat(40),
  });

  it('bisects from the baseline commit of a git source', () => {
    expect(historyFor({ cell: git, now, baseline: baseline() })).toEqual({
      ok: true,
      repo: '/src/linux',
      good: 'a'.repeat(40),
      bad: 'b'.repeat(40),
      baselineRunId: 'r1',
      baselinePassed: true,
    });
  });

  it('says why it cannot bisect', () => {
    const why = (h: ReturnType<typeof historyFor>) => (h.ok ? 'ok' : h.reason);
    expect(why(historyFor({ cell: cell('x'), now: undefined, baseline: baseline() }))).toMatch(
      /^source debian:6.1 has no history to bisect .* the config is minimized only$/,
    );
    expect(why(historyFor({ cell: git, now, baseline: undefined }))).toMatch(
      /no earlier completed run/,
    );
    expect(
      why(
        historyFor({ cell: git, now, baseline: { runId: 'r1', result: undefined, commit: 'a' } }),
      ),
    ).toMatch(/the cell is new since run r1/);
    expect(
      why(historyFor({ cell: git, now, baseline: baseline({ status: 'infra-error' }) })),
    ).toMatch(/did not run in run r1 \(infra-error\)/);
    expect(why(historyFor({ cell: git, now, baseline: baseline({ commit: undefined }) }))).toMatch(
      /run r1 did not record its commit/,
    );
    expect(why(historyFor({ cell: git, now, baseline: baseline({ commit: now.commit }) }))).toMatch(
      /built the same commit b{12}: the failure did not come with a commit/,
    );
  });
});

describe('minimizable', () => {
  it('minimizes build failures only', () => {
    const build = { kind: 'build' as const, match: ['x'], objects: null };
    expect(minimizable({ status: 'fail', stage: 'build' }, build)).toBeNull();
    expect(minimizable({ status: 'config-unsatisfied', stage: 'config' }, build)).toMatch(
      /explained by the Kconfig model/,
    );
    expect(minimizable({ status: 'timeout', stage: 'build' }, build)).toMatch(
      /timeout in the build stage/,
    );
  });
});
