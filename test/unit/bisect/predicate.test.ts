import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { fingerprint } from '../../../src/diagnostics/diagnostic.js';
import {
  defaultMatch,
  givenMatch,
  judgeBuild,
  judgeRequires,
} from '../../../src/bisect/predicate.js';
import type { Predicate } from '../../../src/bisect/predicate.js';

function diag(file: string, message: string, kind: Diagnostic['kind'] = 'compiler'): Diagnostic {
  const d = { severity: 'error' as const, kind, file, message };
  return { ...d, fingerprint: fingerprint(d) };
}

const CRASH = diag('arch/arm/kernel/crash_dump.c', "'kmatrix_kexec_only_symbol' undeclared");
const MAIN = diag('init/main.c', "'kmatrix_undefined_everywhere' undeclared");
const MAKE = diag('', 'make[2]: *** [scripts/Makefile.build:250: init/main.o] Error 1', 'make');

describe('judgeRequires', () => {
  const pins = [
    { symbol: 'KEXEC', value: 'n', origin: 'test' },
    { symbol: 'CRASH_DUMP', value: 'y', origin: 'test' },
  ];
  it('is bad when a required value does not hold, naming only the broken ones', () => {
    const j = judgeRequires(
      pins,
      new Map([
        ['KEXEC', 'y'],
        ['CRASH_DUMP', 'y'],
      ]),
    );
    expect(j.verdict).toBe('bad');
    expect(j.why).toBe('KEXEC=y (required n)');
    expect(j.requires.map((r) => r.holds)).toEqual([false, true]);
  });
  it('is good when every value holds; an absent symbol reads as n', () => {
    const j = judgeRequires(pins, new Map([['CRASH_DUMP', 'y']]));
    expect(j.verdict).toBe('good');
    expect(j.why).toBe('KEXEC=n, CRASH_DUMP=y');
  });
});

describe('judgeBuild', () => {
  it('is bad for a matching error, skip for other errors, good for a pass', () => {
    const m = defaultMatch([CRASH, MAKE]);
    expect(m).toEqual({ kind: 'fingerprints', fingerprints: [CRASH.fingerprint] });
    const bad = judgeBuild({ status: 'fail', diagnostics: [CRASH, MAKE] }, m);
    expect(bad.verdict).toBe('bad');
    expect(bad.why).toBe(`fails with ${CRASH.fingerprint}`);
    const other = judgeBuild({ status: 'fail', diagnostics: [MAIN, MAKE] }, m);
    expect(other.verdict).toBe('skip');
    expect(other.why).toBe(`fails with other diagnostics: ${MAIN.fingerprint}`);
    expect(judgeBuild({ status: 'pass', diagnostics: [] }, m)).toEqual({
      verdict: 'good',
      why: 'builds',
      errors: [],
    });
  });
  it('matches --match text against message, file and fingerprint', () => {
    const pred: Predicate = {
      kind: 'build',
      targets: ['kernel'],
      match: 'crash_dump',
      jobs: 1,
      runtime: undefined as never,
    };
    const m = givenMatch(pred);
    expect(m).toEqual({ kind: 'text', text: 'crash_dump' });
    expect(judgeBuild({ status: 'fail', diagnostics: [MAIN, CRASH] }, m).verdict).toBe('bad');
    expect(judgeBuild({ status: 'fail', diagnostics: [MAIN] }, m).verdict).toBe('skip');
  });
  it('skips pins that do not hold, timeouts and failed config generation; throws on infra', () => {
    expect(
      judgeBuild({ status: 'config-unsatisfied', reason: 'KEXEC=y', diagnostics: [] }, undefined),
    ).toEqual({ verdict: 'skip', why: 'pins do not hold: KEXEC=y' });
    expect(judgeBuild({ status: 'timeout', diagnostics: [] }, undefined).verdict).toBe('skip');
    expect(
      judgeBuild(
        { status: 'infra-error', reason: 'config generation failed: make\nmore', diagnostics: [] },
        undefined,
      ),
    ).toEqual({ verdict: 'skip', why: 'config generation failed: make' });
    expect(() =>
      judgeBuild({ status: 'infra-error', reason: 'daemon gone', diagnostics: [] }, undefined),
    ).toThrow(/build infrastructure failed: daemon gone/);
  });
});
