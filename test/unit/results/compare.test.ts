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
