// Test data of the run model: cells, diagnostics and cell results with plain defaults, each
// test overriding what it is about.
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import type { Cell } from '../../src/matrix/cell.js';
import type { CellResult } from '../../src/results/result.js';

export function cell(id: string, o: Partial<Cell> = {}): Cell {
  return {
    id,
    source: 'debian:6.1',
    sourceResolved: 'debian:6.1',
    arch: 'arm64',
    toolchain: 'gcc',
    config: 'tiny',
    variant: `tiny-${id}`,
    base: { kind: 'tinyconfig' },
    pins: [],
    build: true,
    targets: ['kernel'],
    allowUnsatisfied: false,
    ...o,
  };
}

export function diag(severity: 'error' | 'warning', fingerprint: string): Diagnostic {
  return {
    severity,
    kind: 'compiler',
    file: 'init/main.c',
    line: 1,
    message: fingerprint,
    fingerprint,
  };
}

/** A passed build cell's result. */
export function cellResult(id: string, o: Partial<CellResult> = {}): CellResult {
  return {
    cellId: id,
    status: 'pass',
    stage: 'build',
    verdict: 'satisfied',
    pins: [],
    diagnostics: [],
    counts: { errors: 0, warnings: 0 },
    durationMs: 1,
    configMs: 1,
    buildMs: 1,
    workMs: 1,
    attempts: 1,
    configHash: null,
    dedupedFrom: null,
    files: {},
    artifacts: [],
    finishedAt: '',
    ...o,
  };
}
