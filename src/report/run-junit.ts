// junit.xml for CI systems: one testsuite per source, one testcase per cell; broken cells
// are failures, infrastructure problems errors, cells that did not run skipped. Pure.
import type { CellSummary, RunSummary } from './run-summary.js';

export function xmlEscape(s: string): string {
  return (
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

function testcase(c: CellSummary): string {
  const name = `${c.arch} ${c.variant} ${c.toolchain}`;
  const attrs = `classname="${xmlEscape(`kmatrix.${c.source}`)}" name="${xmlEscape(name)}" time="${(c.durationMs / 1000).toFixed(3)}"`;
  const detail = [
    `cell ${c.id}: ${c.status}${c.change !== 'ok' ? ` (${c.change})` : ''}`,
    ...(c.reason ? [c.reason] : []),
    ...c.diagnostics
      .filter((d) => d.severity === 'error')
      .slice(0, 20)
      .map((d) => `${d.file}${d.line ? `:${d.line}` : ''}: ${d.message} [${d.fingerprint}]`),
    ...(c.files.log ? [`log: ${c.files.log}`] : []),
  ].join('\n');
  switch (c.status) {
    case 'pass':
      return `    <testcase ${attrs}/>`;
    case 'fail':
    case 'config-unsatisfied':
    case 'timeout':
      return `    <testcase ${attrs}>\n      <failure type="${c.status}" message="${xmlEscape((c.reason ?? c.status).split('\n')[0]!)}">${xmlEscape(detail)}</failure>\n    </testcase>`;
    case 'infra-error':
      return `    <testcase ${attrs}>\n      <error type="infra-error" message="${xmlEscape((c.reason ?? '').split('\n')[0]!)}">${xmlEscape(detail)}</error>\n    </testcase>`;
    case 'cancelled':
    case 'not-run':
      return `    <testcase ${attrs}>\n      <skipped message="${c.status}"/>\n    </testcase>`;
  }
}

export function renderJunit(s: RunSummary): string {
  const sources = [...new Set(s.cells.map((c) => c.source))];
  const suites = sources.map((src) => {
    const cells = s.cells.filter((c) => c.source === src);
    const n = (f: (c: CellSummary) => boolean) => cells.filter(f).length;
    const failures = n((c) => ['fail', 'config-unsatisfied', 'timeout'].includes(c.status));
    const errors = n((c) => c.status === 'infra-error');
    const skipped = n((c) => c.status === 'cancelled' || c.status === 'not-run');
    const time = cells.reduce((t, c) => t + c.durationMs, 0) / 1000;
    return [
      `  <testsuite name="${xmlEscape(src)}" tests="${cells.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time.toFixed(3)}" timestamp="${s.startedAt}">`,
      ...cells.map(testcase),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kmatrix run ${xmlEscape(s.runId)}" tests="${s.counts.total}" time="${(s.durationMs / 1000).toFixed(3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
