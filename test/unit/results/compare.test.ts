// Problem fingerprints and the cell comparison they drive (pure).
import { describe, expect, it } from 'vitest';
import { compareCell, problemFingerprints } from '../../../src/results/compare.js';
import { cellResult, diag } from '../../helpers/results.js';

describe('problem fingerprints', () => {
  it('prefer specific diagnostics over make lines, and name pins and timeouts', () => {
    const base = cellResult('x', { durationMs: 0, configMs: 0, buildMs: 0, workMs: 0 });
    const mk = { ...diag('error', 'make:error:init-main.o-error-1'), kind: 'make' as const };
    expect(
      problemFingerprints({
        ...base,
        status: 'fail',
        diagnostics: [mk, diag('error', 'a:error:b')],
      }),
    ).toEqual(['a:error:b']);
    expect(problemFingerprints({ ...base, status: 'fail', diagnostics: [mk] })).toEqual([
      'make:error:init-main.o-error-1',
    ]);
    expect(problemFingerprints({ ...base, status: 'timeout', diagnostics: [] })).toEqual([
      'status:timeout:build',
    ]);
    expect(
      compareCell(
        { ...base, status: 'infra-error', diagnostics: [] },
        { ...base, status: 'fail', diagnostics: [mk] },
      ).change,
    ).toBe('infra');
  });
});

describe('Kconfig warnings between runs', () => {
  const cellResult = (fingerprints: string[]) => ({
    cellId: 'debian-6.1/arm/defconfig',
    status: 'pass' as const,
    stage: 'config' as const,
    verdict: 'satisfied' as const,
    pins: [],
    diagnostics: fingerprints.map((f) => ({ ...diag('warning', f), kind: 'kconfig' as const })),
    counts: { errors: 0, warnings: fingerprints.length },
    durationMs: 0,
    configMs: 0,
    buildMs: 0,
    workMs: 0,
    attempts: 1,
    configHash: null,
    dedupedFrom: null,
    files: {},
    artifacts: [],
    finishedAt: '',
  });
  const OLD =
    'kconfig:warning:unmet-direct-dependencies-detected-for-pinctrl_single-selected-by-arch_davinci';
  const NEW = 'kconfig:warning:unmet-direct-dependencies-detected-for-kexec-selected-by-crash_dump';

  it('tells a new unmet dependency from one the previous run had', () => {
    const c = compareCell(cellResult([OLD, NEW]), cellResult([OLD]));
    expect(c).toMatchObject({ change: 'new-warning', newWarnings: [NEW] });
    expect(compareCell(cellResult([OLD]), cellResult([OLD])).change).toBe('ok');
  });
});
