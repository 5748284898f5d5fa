// The human view of a config result: one header line, a compact pin table, for each pin that
// did not hold its explanation, what conf warned about, and the config path; and the --json
// form of the cells.
import type { ConfigResult } from '../config/generate.js';
import type { PinExplanation } from '../config/kconfig-bridge.js';
import type { PinStatus } from '../config/verify.js';

const MARK: Record<PinStatus, string> = {
  holds: 'ok',
  overridden: 'OVERRIDDEN',
  dropped: 'DROPPED',
  unavailable: 'UNAVAILABLE',
};

export function table(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map(
      (r) =>
        indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

export function renderConfigResult(
  r: ConfigResult,
  explanations: ReadonlyMap<string, string> = new Map(),
): string {
  const seed = r.seed !== null ? ` seed=${r.seed}` : '';
  const head = `${r.source.label} (${r.source.version}) ${r.arch} ${r.base}${seed} ${r.toolchain}: ${r.verdict.toUpperCase()}`;
  const lines = [head];
  if (r.pins.length > 0) {
    lines.push(
      table([
        ['SYMBOL', 'REQUESTED', 'EFFECTIVE', 'STATUS'],
        ...r.pins.map((p) => [p.symbol, p.requested, p.effective, MARK[p.status]]),
      ]),
    );
  } else {
    lines.push('  (no pins)');
  }
  for (const p of r.pins) {
    const ex = explanations.get(p.symbol);
    if (p.status !== 'holds' && ex) {
      lines.push(
        '',
        `why ${p.symbol}=${p.effective} (asked ${p.requested}):`,
        ex.trimEnd().replace(/^/gm, '  '),
      );
    }
  }
  if (r.diagnostics.length > 0) {
    lines.push('', 'conf warned:');
    for (const d of r.diagnostics)
      lines.push(
        `  ${d.file ? `${d.file}${d.line !== undefined ? `:${d.line}` : ''}: ` : ''}${d.message}`,
      );
  }
  lines.push('', `config: ${r.configPath}`);
  return lines.join('\n') + '\n';
}

/** One cell of `kmatrix config`: its result and the explanation of each pin that did not hold. */
export interface ExplainedConfig {
  result: ConfigResult;
  explanations: ReadonlyMap<string, PinExplanation>;
}

/** The --json form of a cell: the result with each pin's explanation tree (null when it held). */
function configCellJson(c: ExplainedConfig) {
  return {
    ...c.result,
    pins: c.result.pins.map((p) => ({
      ...p,
      explanation: c.explanations.get(p.symbol)?.tree ?? null,
    })),
  };
}

/** `kmatrix config --json`: the cell, or with several arches an overall verdict and the cells. */
export function configJson(cells: readonly ExplainedConfig[]) {
  if (cells.length === 1) return configCellJson(cells[0]!);
  const satisfied = cells.every((c) => c.result.verdict === 'satisfied');
  return { verdict: satisfied ? 'satisfied' : 'unsatisfied', cells: cells.map(configCellJson) };
}

/** `kmatrix config`: a table per cell, and with several arches a count of the verdicts. */
export function renderConfigCells(cells: readonly ExplainedConfig[]): string {
  const text = cells
    .map((c) =>
      renderConfigResult(c.result, new Map([...c.explanations].map(([k, v]) => [k, v.text]))),
    )
    .join('\n');
  if (cells.length === 1) return text;
  const bad = cells.filter((c) => c.result.verdict !== 'satisfied').map((c) => c.result.arch);
  return `${text}\n${cells.length} cells: ${cells.length - bad.length} satisfied, ${bad.length} unsatisfied${bad.length ? ` (${bad.join(', ')})` : ''}\n`;
}
