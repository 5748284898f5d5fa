// The human view of a config result: one header line, a compact pin table, for each pin that
// did not hold its explanation, what conf warned about, and the config path.
import type { ConfigResult } from '../config/generate.js';
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
