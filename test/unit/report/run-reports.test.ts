// Run reports rendered from a summary: the arch x config table, junit.xml, the HTML grid,
// and the live progress (one redrawn line on a TTY, plain lines otherwise).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Cell } from '../../../src/matrix/cell.js';
import { renderRunHtml, STATUS_COLOURS } from '../../../src/report/run-html.js';
import { renderJunit } from '../../../src/report/run-junit.js';
import { runReporter } from '../../../src/report/run-progress.js';
import {
  buildRunSummary,
  renderRunMarkdown,
  renderRunText,
} from '../../../src/report/run-summary.js';
import type { CellResult } from '../../../src/results/result.js';
import { compareRun } from '../../../src/results/compare.js';
import { cell, cellResult, diag } from '../../helpers/results.js';

const cells: Cell[] = [
  cell('aaa', { arch: 'arm64', variant: 'tiny' }),
  cell('bbb', { arch: 's390', variant: 'tiny' }),
  cell('ccc', { arch: 'arm64', variant: 'def', build: false }),
  cell('ddd', { arch: 's390', variant: 'def', build: false }),
];

const result = (id: string, o: Partial<CellResult>): CellResult =>
  cellResult(id, {
    durationMs: 61_000,
    files: {
      log: `cells/${id}/build.log`,
      config: `cells/${id}/.config`,
      reproducer: `cells/${id}/reproducer.sh`,
    },
    ...o,
  });

const results = new Map([
  ['aaa', result('aaa', {})],
  [
    'bbb',
    result('bbb', {
      status: 'fail',
      diagnostics: [diag('error', 'init-main.c:error:x-<undeclared>')],
    }),
  ],
  [
    'ccc',
    result('ccc', {
      stage: 'config',
      status: 'config-unsatisfied',
      reason: '1 pin(s) did not hold: KEXEC (overridden)',
    }),
  ],
]);
const comparison = compareRun(
  cells.map((c) => c.id),
  results,
  { runId: 'r0', results: new Map([['bbb', result('bbb', {})]]) },
);
const summary = buildRunSummary({
  runId: 'r1',
  matrix: { identity: 'name:t', file: '/m.yaml', contentHash: 'h' },
  runDir: '/runs/r1',
  store: '/db',
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: '2026-01-01T00:01:00Z',
  durationMs: 60_000,
  interrupted: false,
  exitCode: 1,
  cells,
  results,
  comparison,
});

describe('run reports', () => {
  it('renders the arch x config table with changes', () => {
    const text = renderRunText(summary);
    expect(text).toContain('compared with run r0: 2 new failure(s), 0 fixed');
    expect(text).toMatch(/debian:6\.1 tiny\s+pass\s+FAIL \(new\)\n/);
    expect(text).toMatch(/debian:6\.1 def\s+UNSAT \(new\)\s+-\n/);
    expect(text).toContain('    + init-main.c:error:x-<undeclared>');
    expect(renderRunMarkdown(summary)).toContain('| debian:6.1 tiny | pass | FAIL (new) |');
  });

  it('writes junit with failures, skipped cells and escaped text', () => {
    const x = renderJunit(summary);
    expect(x).toContain(
      '<testsuite name="debian:6.1" tests="4" failures="2" errors="0" skipped="1"',
    );
    expect(x).toContain('<failure type="fail"');
    expect(x).toContain('x-&lt;undeclared&gt;');
    expect(x).toMatch(/name="s390 tiny-ddd gcc"|name="s390 def gcc"/);
  });

  it('renders the HTML grid with one status class and colour per cell and relative links', () => {
    const h = renderRunHtml(summary);
    expect(h).toContain(
      '<td class="cell status-fail change-new-failure" id="cell-bbb" data-cell-id="bbb" data-status="fail"',
    );
    expect(h).toContain('href="cells/bbb/build.log"');
    expect(h).toContain(`td.status-fail{background:${STATUS_COLOURS.fail}}`);
    expect(h).toContain('data-status="not-run"');
    expect(h).not.toMatch(/<script|https?:\/\/(?!json)/);
  });
});

describe('progress', () => {
  const sink = () => {
    const chunks: string[] = [];
    const stream = Object.assign(
      new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) }),
      { isTTY: true },
    );
    return { stream, chunks };
  };
  const ref = { id: 'aaa', label: 'debian:6.1 arm64 tiny gcc' };
  it('redraws one status line on a TTY and prints only what did not pass', () => {
    const { stream, chunks } = sink();
    let t = 0;
    const r = runReporter(stream, { tty: true, now: () => t });
    r.emit({
      type: 'run:start',
      runId: 'r',
      runDir: '/d',
      total: 4,
      toRun: 4,
      resumed: false,
      configJobs: 2,
      buildJobs: 1,
      makeJobs: 2,
    });
    r.emit({ type: 'cell:start', cell: ref, stage: 'config', attempt: 1 });
    t = 10_000;
    r.emit({ type: 'cell:done', cell: ref, status: 'pass', ms: 10_000, dedupedFrom: null });
    r.emit({
      type: 'cell:done',
      cell: { ...ref, id: 'bbb' },
      status: 'fail',
      ms: 10_000,
      dedupedFrom: null,
    });
    r.close();
    const out = chunks.join('');
    expect(out).toContain('\r\x1b[2Kkmatrix: [1/4] running 0, failed 0, elapsed 10s, ETA 30s');
    expect(out).toContain(
      'fail 10s\nkmatrix: [2/4] running 0, failed 1, elapsed 10s, ETA 10s\r\x1b[2K',
    );
    expect(out).toContain('bbb]: fail 10s\n');
    expect(out).not.toContain('aaa]: pass');
  });
  it('prints plain lines without escape codes otherwise', () => {
    const { stream, chunks } = sink();
    const r = runReporter(stream, { tty: false });
    r.emit({ type: 'cell:done', cell: ref, status: 'pass', ms: 1000, dedupedFrom: null });
    expect(chunks.join('')).toBe('kmatrix: debian:6.1 arm64 tiny gcc [aaa]: pass 1s\n');
  });
});
