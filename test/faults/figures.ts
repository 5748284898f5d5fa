// The fault suite's figures: each fault test records one row (fault | expected | measured,
// and whether the measurement met the expectation) after asserting on the same values.
// Rows go to a JSON-lines file named by global setup; global teardown prints the table and
// writes it into docs/reliability.md (test/faults/global-setup.ts) when every fault file
// recorded its rows (a run of one file must not wipe the others' figures).
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';
import { expect } from 'vitest';

export interface FigureRow {
  /** Group in the table: process, storage, input, scripts, container, disk. */
  group: string;
  fault: string;
  expected: string;
  measured: string;
  ok: boolean;
  /** The test file that recorded it (set by figure()). */
  file?: string;
}

export const FIGURES_ENV = 'KMATRIX_FAULT_FIGURES';

/** Record one row. Call it after measuring, with `ok` computed from the same values you assert. */
export function figure(row: FigureRow): void {
  const file = process.env[FIGURES_ENV];
  if (!file) throw new Error(`${FIGURES_ENV} is not set: run the fault suite through vitest`);
  const testPath = expect.getState().testPath;
  const from = testPath ? { file: basename(testPath) } : {};
  appendFileSync(file, JSON.stringify({ ...row, ...from }) + '\n');
}

/** The fault files that recorded no row: the run was partial (or they failed first). */
export function filesWithoutRows(rows: readonly FigureRow[], files: readonly string[]): string[] {
  return files.filter((f) => !rows.some((r) => r.file === f));
}

const GROUP_ORDER = ['process', 'storage', 'input', 'scripts', 'container', 'disk'];

/** The markdown table, grouped in a fixed order, rows in the order they were recorded. */
export function renderFigures(rows: readonly FigureRow[]): string {
  const rank = (g: string) => {
    const i = GROUP_ORDER.indexOf(g);
    return i === -1 ? GROUP_ORDER.length : i;
  };
  const sorted = rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r.group) - rank(b.r.group) || a.i - b.i)
    .map(({ r }) => r);
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '| group | fault | expected | measured | |',
    '| --- | --- | --- | --- | --- |',
    ...sorted.map(
      (r) =>
        `| ${cell(r.group)} | ${cell(r.fault)} | ${cell(r.expected)} | ${cell(r.measured)} | ${r.ok ? 'ok' : 'FAILED'} |`,
    ),
  ].join('\n');
}

export const TABLE_BEGIN = '<!-- fault-table:begin (written by npm run test:faults) -->';
export const TABLE_END = '<!-- fault-table:end -->';

/** Replace the table between the markers in a document (or append markers and table). */
export function spliceTable(doc: string, table: string, header: string): string {
  const block = `${TABLE_BEGIN}\n${header}\n\n${table}\n${TABLE_END}`;
  const a = doc.indexOf(TABLE_BEGIN);
  const b = doc.indexOf(TABLE_END);
  if (a === -1 || b === -1 || b < a) return `${doc.trimEnd()}\n\n${block}\n`;
  return doc.slice(0, a) + block + doc.slice(b + TABLE_END.length);
}
