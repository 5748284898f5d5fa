import { describe, expect, it } from 'vitest';
import {
  TABLE_BEGIN,
  TABLE_END,
  filesWithoutRows,
  renderFigures,
  spliceTable,
  type FigureRow,
} from '../faults/figures.js';

const row = (group: string, fault: string, ok = true): FigureRow => ({
  group,
  fault,
  expected: 'exit 2',
  measured: ok ? 'exit 2' : 'exit 1',
  ok,
});

describe('the fault table', () => {
  it('groups rows in a fixed order, keeps recording order within a group, marks misses', () => {
    const table = renderFigures([
      row('input', 'a | b'),
      row('process', 'kill -9', false),
      row('input', 'NUL bytes'),
    ]);
    expect(table.split('\n').slice(2)).toEqual([
      '| process | kill -9 | exit 2 | exit 1 | FAILED |',
      '| input | a \\| b | exit 2 | exit 2 | ok |',
      '| input | NUL bytes | exit 2 | exit 2 | ok |',
    ]);
  });

  it('replaces only the block between the markers and keeps the prose around it', () => {
    const doc = `# Reliability\n\nintro\n\n${TABLE_BEGIN}\nold\n${TABLE_END}\n\nafter\n`;
    const out = spliceTable(doc, 'NEW', 'header');
    expect(out).toBe(
      `# Reliability\n\nintro\n\n${TABLE_BEGIN}\nheader\n\nNEW\n${TABLE_END}\n\nafter\n`,
    );
    expect(spliceTable('# R\n', 'T', 'h')).toBe(`# R\n\n${TABLE_BEGIN}\nh\n\nT\n${TABLE_END}\n`);
  });

  it('names the fault files that recorded no row (the doc is rewritten only when none)', () => {
    const rows = [
      { ...row('storage', 'full'), file: 'disk-full.test.ts' },
      { ...row('storage', 'full 2'), file: 'disk-full.test.ts' },
    ];
    expect(filesWithoutRows(rows, ['disk-full.test.ts', 'store.test.ts'])).toEqual([
      'store.test.ts',
    ]);
    expect(filesWithoutRows(rows, ['disk-full.test.ts'])).toEqual([]);
  });
});
