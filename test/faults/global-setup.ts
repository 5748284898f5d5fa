// Fault suite setup: the Debian trees (as the slow suite), a fresh figures file; teardown
// prints the fault table and writes it into docs/reliability.md (the queue's rows, group
// `queue`, into docs/scale-out.md).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import slowSetup from '../slow/global-setup.js';
import { FIGURES_ENV, renderFigures, spliceTable, type FigureRow } from './figures.js';

const DOC = resolve('docs/reliability.md');
/** Groups whose rows go into another document than reliability.md. */
const DOC_OF_GROUP: Record<string, { path: string; title: string }> = {
  queue: { path: resolve('docs/scale-out.md'), title: '# Scale-out\n' },
};

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
    const docs = new Map<string, { title: string; rows: FigureRow[] }>();
    for (const r of rows) {
      const target = DOC_OF_GROUP[r.group] ?? { path: DOC, title: '# Reliability\n' };
      const entry = docs.get(target.path) ?? { title: target.title, rows: [] };
      entry.rows.push(r);
      docs.set(target.path, entry);
    }
    for (const [path, { title, rows: mine }] of docs) {
      const table = renderFigures(mine);
      const failed = mine.filter((r) => !r.ok).length;
      process.stderr.write(`\nfault table (${mine.length} rows, ${failed} not met):\n${table}\n`);
      const header = `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run test:faults\` (${mine.length} faults, ${failed} not met).`;
      const doc = existsSync(path) ? readFileSync(path, 'utf8') : title;
      writeFileSync(path, spliceTable(doc, table, header));
    }
  };
}
