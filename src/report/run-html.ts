// A self-contained HTML page of a run: the matrix as a grid (rows source x config, columns
// arch), one colour per status, each cell linking to its log, .config, reproducer and
// diagnostics by paths relative to the run directory. No scripts, no external resources.
import { xmlEscape as esc } from './run-junit.js';
import {
  cellText,
  solveLine,
  type CellSummary,
  type DisplayStatus,
  type RunSummary,
} from './run-summary.js';
import { triageLines, whyLines } from './run-why.js';

export const STATUS_COLOURS: Record<DisplayStatus, string> = {
  pass: '#2e7d32',
  fail: '#c62828',
  'config-unsatisfied': '#ef6c00',
  timeout: '#6a1b9a',
  'infra-error': '#455a64',
  cancelled: '#9e9e9e',
  'not-run': '#e0e0e0',
};

function links(c: CellSummary): string {
  const l: string[] = [];
  const a = (href: string | undefined, text: string, cls: string) => {
    if (href) l.push(`<a class="${cls}" href="${esc(href)}">${text}</a>`);
  };
  a(c.files.log, 'log', 'link-log');
  a(c.files.config, '.config', 'link-config');
  a(c.files.reproducer, 'reproducer', 'link-reproducer');
  a(c.files.diagnostics, 'diagnostics', 'link-diagnostics');
  a(c.files.solve, 'solve', 'link-solve');
  return l.join(' ');
}

function cellTd(c: CellSummary | undefined): string {
  if (!c) return '<td class="empty"></td>';
  const title = [
    `${c.source} ${c.arch} ${c.variant} ${c.toolchain}`,
    `cell ${c.id}: ${c.status}${c.change !== 'ok' ? ` (${c.change})` : ''}`,
    ...(c.reason ? [c.reason.split('\n')[0]!] : []),
    ...(c.dedupedFrom ? [`identical config to cell ${c.dedupedFrom}: built once`] : []),
    ...(c.solve ? [solveLine(c)!] : []),
  ].join('\n');
  return (
    `<td class="cell status-${c.status} change-${c.change}" id="cell-${c.id}" data-cell-id="${c.id}" data-status="${c.status}" title="${esc(title)}">` +
    `<div class="st">${esc(cellText(c))}</div>` +
    `<div class="meta">${(c.durationMs / 1000).toFixed(0)}s${c.counts.errors || c.counts.warnings ? ` · ${c.counts.errors}E ${c.counts.warnings}W` : ''}</div>` +
    `<div class="links">${links(c)}</div>` +
    (c.why ? `<div class="why" title="details under Why, below">${esc(shortWhy(c))}</div>` : '') +
    `</td>`
  );
}

/** The first thing to know about a broken cell, for its grid cell. */
function shortWhy(c: CellSummary): string {
  const p = c.why?.pins[0];
  if (p) return `${p.symbol}=${p.requested}: ${p.status}`;
  const d = c.why?.errors[0];
  if (d) return `${d.file ? `${d.file}: ` : ''}${d.message}`.slice(0, 80);
  return (c.reason ?? c.status).split('\n')[0]!.slice(0, 80);
}

/** Every broken cell with its why, and for new failures the triage and its report. */
function whySection(s: RunSummary): string {
  const broken = s.cells.filter((c) => c.why);
  if (broken.length === 0) return '';
  const items = broken.map((c) => {
    const title = `${c.source} ${c.arch} ${c.variant} ${c.toolchain}: ${c.status}${c.change === 'new-failure' ? ' (new)' : ''}`;
    const lines = [...whyLines(c.why!, ''), ...(c.triage ? triageLines(c.triage, '') : [])];
    const report = c.triage?.report
      ? ` <a class="link-report" href="${esc(c.triage.report)}">report</a>`
      : '';
    return `<div class="why-cell" id="why-${c.id}"><h3><a href="#cell-${c.id}">${esc(title)}</a>${report}</h3><pre>${esc(lines.join('\n'))}</pre></div>`;
  });
  return `<h2>Why</h2>${items.join('\n')}`;
}

export function renderRunHtml(s: RunSummary): string {
  const css = [
    'body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}',
    'table.grid{border-collapse:collapse}',
    '.grid th,.grid td{border:1px solid #bbb;padding:4px 8px;vertical-align:top}',
    '.grid th.row{text-align:left;font-weight:normal;font-family:monospace}',
    'td.cell{min-width:8em;color:#fff}',
    'td.cell a{color:#fff;margin-right:.4em}',
    '.st{font-weight:bold}.meta{font-size:12px;opacity:.9}.links{font-size:12px}',
    '.why{font-size:11px;max-width:16em}',
    'td.change-new-failure{outline:3px solid #000;outline-offset:-3px}',
    ...Object.entries(STATUS_COLOURS).map(([k, v]) => `td.status-${k}{background:${v}}`),
    'td.status-not-run{color:#333}td.status-not-run a{color:#333}',
    '.legend span{display:inline-block;padding:2px 8px;margin-right:4px;color:#fff}',
    'pre{background:#f5f5f5;padding:8px;overflow:auto}',
  ].join('\n');
  const byPos = (row: RunSummary['rows'][number], arch: string) =>
    s.cells.find(
      (c) =>
        c.arch === arch &&
        c.source === row.source &&
        c.variant === row.variant &&
        c.toolchain === row.toolchain,
    );
  const grid = [
    '<table class="grid">',
    `<thead><tr><th>source / config</th>${s.arches.map((a) => `<th class="arch">${esc(a)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...s.rows.map(
      (row) =>
        `<tr><th class="row">${esc(row.key)}</th>${s.arches.map((a) => cellTd(byPos(row, a))).join('')}</tr>`,
    ),
    '</tbody></table>',
  ].join('\n');
  const st = s.counts.status;
  const ch = s.counts.change;
  const changes = s.cells
    .filter((c) => c.change === 'new-failure' || c.change === 'fixed' || c.change === 'new-warning')
    .map(
      (c) =>
        `<li class="chg-${c.change}"><a href="#cell-${c.id}">${esc(`${c.source} ${c.arch} ${c.variant}`)}</a>: ${c.change}` +
        `<ul>${[
          ...c.newProblems.map((p) => `+ ${p}`),
          ...c.fixedProblems.map((p) => `- ${p}`),
          ...c.newWarnings.map((p) => `+ ${p}`),
        ]
          .map((p) => `<li><code>${esc(p)}</code></li>`)
          .join('')}</ul></li>`,
    );
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>kmatrix run ${esc(s.runId)}</title>`,
    `<style>${css}</style></head><body>`,
    `<h1>kmatrix run ${esc(s.runId)}</h1>`,
    `<p class="summary">${s.counts.total} cells: ${Object.entries(st)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(
        ', ',
      )}. ${s.baselineRunId ? `Compared with run ${esc(s.baselineRunId)}` : 'No earlier completed run to compare with'}: ${ch['new-failure']} new failure(s), ${ch.fixed} fixed, ${ch['still-failing']} still failing. Exit code ${s.exitCode}.</p>`,
    `<p class="legend">${Object.entries(STATUS_COLOURS)
      .map(
        ([k, v]) =>
          `<span class="status-${k}" style="background:${v}${k === 'not-run' ? ';color:#333' : ''}">${k}</span>`,
      )
      .join('')}</p>`,
    grid,
    changes.length ? `<h2>Changes</h2><ul class="changes">${changes.join('')}</ul>` : '',
    whySection(s),
    `<p>Matrix ${esc(s.matrix.identity)} (${esc(s.matrix.file)}), started ${esc(s.startedAt)}, ${(s.durationMs / 1000).toFixed(1)}s. <a href="results.json">results.json</a> · <a href="junit.xml">junit.xml</a> · <a href="summary.md">summary.md</a></p>`,
    '</body></html>',
    '',
  ].join('\n');
}
