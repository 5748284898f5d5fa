// Writing a run's reports into its directory: results.json, junit.xml, summary.md, index.html,
// and per cell a diagnostics.json that the HTML page links to.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fsutil/atomic.js';
import { renderRunHtml } from './run-html.js';
import { renderJunit } from './run-junit.js';
import { renderRunMarkdown, type RunSummary } from './run-summary.js';

const RUN_FILES = {
  results: 'results.json',
  junit: 'junit.xml',
  markdown: 'summary.md',
  html: 'index.html',
} as const;

/** Adds files.diagnostics to every cell that ran, then writes every report. */
export async function writeRunReports(s: RunSummary): Promise<RunSummary> {
  const cells = await Promise.all(
    s.cells.map(async (c) => {
      if (c.status === 'not-run') return c;
      const rel = join('cells', c.id, 'diagnostics.json');
      await mkdir(join(s.runDir, 'cells', c.id), { recursive: true });
      await writeFile(
        join(s.runDir, rel),
        JSON.stringify(
          {
            cell: c.id,
            status: c.status,
            reason: c.reason,
            change: c.change,
            newProblems: c.newProblems,
            fixedProblems: c.fixedProblems,
            newWarnings: c.newWarnings,
            pins: c.pins,
            diagnostics: c.diagnostics,
          },
          null,
          2,
        ) + '\n',
      );
      return { ...c, files: { ...c.files, diagnostics: rel } };
    }),
  );
  const out: RunSummary = { ...s, cells };
  await writeFileAtomic(join(s.runDir, RUN_FILES.results), JSON.stringify(out, null, 2) + '\n');
  await writeFileAtomic(join(s.runDir, RUN_FILES.junit), renderJunit(out));
  await writeFileAtomic(join(s.runDir, RUN_FILES.markdown), renderRunMarkdown(out));
  await writeFileAtomic(join(s.runDir, RUN_FILES.html), renderRunHtml(out));
  return out;
}
