// Fault suite setup: the Debian trees (as the slow suite), a fresh figures file; teardown
// prints the fault table and, after a run of every fault file, writes it into
// docs/reliability.md.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import slowSetup from '../slow/global-setup.js';
import {
  FIGURES_ENV,
  filesWithoutRows,
  renderFigures,
  spliceTable,
  type FigureRow,
} from './figures.js';

const DOC = resolve('docs/reliability.md');
const FAULT_FILES = readdirSync(resolve('test/faults')).filter((f) => f.endsWith('.test.ts'));

export default async function setup(): Promise<() => void> {
  await slowSetup();
  const dir = mkdtempSync(join(tmpdir(), 'kmatrix-faults-'));
  const file = join(dir, 'figures.jsonl');
  writeFileSync(file, '');
  process.env[FIGURES_ENV] = file;
  return () => {
    const rows = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as FigureRow);
    rmSync(dir, { recursive: true, force: true });
    if (rows.length === 0) return;
    const table = renderFigures(rows);
    const failed = rows.filter((r) => !r.ok).length;
    process.stderr.write(`\nfault table (${rows.length} rows, ${failed} not met):\n${table}\n`);
    const missing = filesWithoutRows(rows, FAULT_FILES);
    if (missing.length > 0) {
      process.stderr.write(
        `no rows from ${missing.join(', ')}: docs/reliability.md not rewritten\n`,
      );
      return;
    }
    const header = `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run test:faults\` (${rows.length} faults, ${failed} not met).`;
    const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Reliability\n';
    writeFileSync(DOC, spliceTable(doc, table, header));
  };
}
