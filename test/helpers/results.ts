// Test data of the run model: cells, diagnostics and cell results with plain defaults, each
// test overriding what it is about.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigRequest, ConfigResult } from '../../src/config/generate.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import type { Cell } from '../../src/matrix/cell.js';
import type { CellResult } from '../../src/results/result.js';
import { emptySearch, type TriageRecord } from '../../src/results/triage.js';

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

/**
 * The triage record of the arm64 KEXEC=n pin that CRASH_DUMP's new `select KEXEC` overrides,
 * as kmatrix writes it for its report mail (found by bisect --require, revert-fixes).
 */
export function kexecPinRecord(commit: string, author: string): TriageRecord {
  return {
    status: 'done',
    reason: null,
    culprit: {
      commit,
      subject: 'arm64: kexec: CRASH_DUMP selects KEXEC',
      author,
      date: '2024-01-02T00:00:00Z',
    },
    verification: 'revert-fixes',
    minimalConfig: null,
    report: 'reports/2.txt',
    suspect: null,
    fingerprints: ['pin:KEXEC:overridden'],
    cell: '9e1f00aa11bb',
    sharedWith: [],
    search: { ...emptySearch(null), method: 'require', outcome: 'found' },
    verify: [],
    minimization: null,
    durationMs: 1,
    finishedAt: 'now',
  };
}

/**
 * What generateConfig gives for `req` when every pin holds: `text` written as the .config in
 * req.outDir, the result saying so (each test overriding what it is about).
 */
export async function configWritten(
  req: ConfigRequest,
  text: string,
  o: Partial<ConfigResult> = {},
): Promise<ConfigResult> {
  await mkdir(req.outDir, { recursive: true });
  await writeFile(join(req.outDir, '.config'), text);
  return {
    verdict: 'satisfied',
    arch: req.arch.name,
    base: req.base.kind,
    seed: null,
    probability: null,
    toolchain: req.toolchain,
    source: {
      spec: req.tree.path,
      label: req.tree.label,
      version: req.tree.version,
      path: req.tree.path,
    },
    configPath: join(req.outDir, '.config'),
    outDir: req.outDir,
    pins: req.pins.map((p) => ({
      symbol: p.symbol,
      requested: p.value,
      effective: p.value,
      status: 'holds',
      origin: p.origin,
    })),
    kconfigWarnings: [],
    diagnostics: [],
    commands: [`make ${req.base.kind}`],
    durationMs: 1,
    ...o,
  };
}
