// `kmatrix triage [RUN_ID] [--cell ID]...`: triage the new failures of a stored run later, or
// again, or continue a triage that was stopped. Exit 0 when every failure it looked at got a
// final record, 2 when one is incomplete or hit an infrastructure error (or on usage errors).
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { KmatrixError } from '../../core/errors.js';
import { defaultCacheDir } from '../../fsutil/cache.js';
import { ndjsonReporter, runReporter, type RunReporter } from '../../report/run-progress.js';
import { renderRunText } from '../../report/run-summary.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import type { RuntimeChoice } from '../../runtime/select.js';
import { STORE_FILE } from '../../store/file.js';
import type { CliIo } from '../io.js';
import { withAbort } from './bisect.js';

interface RawTriage {
  cell: string[];
  results?: string;
  store?: string;
  runtime?: string;
  makeJobs?: string;
  cacheDir?: string;
  ccache: boolean;
  events?: string;
  json?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerTriage(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('triage')
    .description(
      "triage a finished run's new failures (culprit commit, verification, smallest config, report), or continue a stopped triage",
    )
    .argument('[run-id]', 'the run (default: the newest completed run in the store)')
    .option(
      '--cell <id>',
      'triage this new failure again (a cell id or prefix; repeatable)',
      collect,
      [],
    )
    .option(
      '--results <dir>',
      'where runs/ and the store live (default $KMATRIX_RESULTS or ./kmatrix-results)',
    )
    .option('--store <file>', `the SQLite results store (default <results>/${STORE_FILE})`)
    .option(
      '--runtime <rt>',
      `where builds run: auto, ${RUNTIME_KINDS.join(', ')} (default: the matrix's)`,
    )
    .option('-j, --make-jobs <n>', 'make -j of each build (default: CPUs)')
    .option(
      '--cache-dir <dir>',
      'cache for trees and tools (default $KMATRIX_CACHE or $XDG_CACHE_HOME/kmatrix)',
    )
    .option('--no-ccache', 'do not use the shared ccache')
    .option('--events <file>', 'append every event to FILE as JSON lines')
    .option('--json', 'print the run summary (results.json) on stdout')
    .action(async (runId: string | undefined, raw: RawTriage) => {
      const [{ defaultResultsDir }, { triageStoredRun }] = await Promise.all([
        import('../../run/run-matrix.js'),
        import('../../run/triage-run.js'),
      ]);
      const resultsDir = raw.results
        ? resolve(io.cwd, raw.results)
        : defaultResultsDir(io.env, io.cwd);
      const storePath = raw.store ? resolve(io.cwd, raw.store) : resolve(resultsDir, STORE_FILE);
      const jobs = raw.makeJobs === undefined ? undefined : Number(raw.makeJobs);
      if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1))
        throw new KmatrixError(
          'usage',
          `bad -j ${JSON.stringify(raw.makeJobs)}: need a whole number >= 1`,
        );
      const runtime = parseRuntime(raw.runtime);
      const reporters: RunReporter[] = [runReporter(io.stderr)];
      if (raw.events) {
        const out = createWriteStream(resolve(io.cwd, raw.events), { flags: 'a' });
        reporters.push(ndjsonReporter((l) => out.write(l)));
      }
      try {
        const { summary, triageComplete } = await withAbort((signal) =>
          triageStoredRun({
            storePath,
            ...(runId ? { runId } : {}),
            cells: raw.cell,
            cwd: io.cwd,
            env: io.env,
            cacheDir: raw.cacheDir ? resolve(io.cwd, raw.cacheDir) : defaultCacheDir(io.env),
            ccache: raw.ccache,
            ...(jobs ? { jobs } : {}),
            ...(runtime ? { runtime } : {}),
            signal,
            emit: (e) => reporters.forEach((r) => r.emit(e)),
          }),
        );
        io.stdout.write(
          raw.json ? JSON.stringify(summary, null, 2) + '\n' : renderRunText(summary),
        );
        const infra = summary.cells.some((c) => c.triage?.status === 'infra-error');
        setExit(triageComplete && !infra ? 0 : 2);
      } finally {
        reporters.forEach((r) => r.close());
      }
    });
}

function parseRuntime(text: string | undefined): RuntimeChoice | undefined {
  if (text === undefined) return undefined;
  if (text === 'auto' || (RUNTIME_KINDS as readonly string[]).includes(text))
    return text as RuntimeChoice;
  throw new KmatrixError(
    'usage',
    `unknown runtime ${JSON.stringify(text)}; accepted: auto, ${RUNTIME_KINDS.join(', ')}`,
  );
}
