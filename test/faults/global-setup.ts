// Fault suite setup: the Debian trees (as the slow suite), a fresh figures file; teardown
// prints the fault tables and, after a run of every fault file of a document, writes them into
// docs/reliability.md (the queue's rows, group `queue`, into docs/scale-out.md).
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
const testFiles = (dir: string) => readdirSync(resolve(dir)).filter((f) => f.endsWith('.test.ts'));

/** Each document, the groups whose rows it tables, and the fault files that must all report. */
const DOCS: readonly { path: string; title: string; groups?: string[]; files: string[] }[] = [
  {
    path: resolve('docs/scale-out.md'),
    title: '# Scale-out\n',
    groups: ['queue'],
    files: testFiles('test/faults/queue'),
  },
  { path: DOC, title: '# Reliability\n', files: testFiles('test/faults') },
];

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
    for (const d of DOCS) {
      const mine = rows.filter((r) =>
        d.groups ? d.groups.includes(r.group) : !DOCS.some((o) => o.groups?.includes(r.group)),
      );
      if (mine.length === 0) continue;
      const table = renderFigures(mine);
      const failed = mine.filter((r) => !r.ok).length;
      process.stderr.write(`\nfault table (${mine.length} rows, ${failed} not met):\n${table}\n`);
      const missing = filesWithoutRows(mine, d.files);
      if (missing.length > 0) {
        process.stderr.write(`no rows from ${missing.join(', ')}: ${d.path} not rewritten\n`);
        continue;
      }
      const header = `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run test:faults\` (${mine.length} faults, ${failed} not met).`;
      const doc = existsSync(d.path) ? readFileSync(d.path, 'utf8') : d.title;
      writeFileSync(d.path, spliceTable(doc, table, header));
    }
  };
}
