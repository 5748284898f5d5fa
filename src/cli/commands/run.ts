// `kmatrix run`: run a matrix file's cells (or a --filter'ed subset, or --resume an
// interrupted run), record them in the results store, compare with the previous completed
// run of the same matrix, and write the reports. Exit 0 nothing newly broken, 1 something
// is, 2 usage, infrastructure, or an interrupted run.
import { createWriteStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../../build/targets.js';
import { KmatrixError } from '../../core/errors.js';
import { printable } from '../../core/text.js';
import { defaultCacheDir } from '../../fsutil/cache.js';
import { cellLabel } from '../../matrix/cell.js';
import { applyFilters, parseFilter } from '../../matrix/filter.js';
import { ndjsonReporter, runReporter, type RunReporter } from '../../report/run-progress.js';
import { renderRunText } from '../../report/run-summary.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import type { RuntimeChoice } from '../../runtime/select.js';
import { STORE_FILE } from '../../store/file.js';
import type { CliIo } from '../io.js';

interface RawRunOptions {
  filter: string[];
  resume?: string | boolean;
  results?: string;
  store?: string;
  runtime?: string;
  timeout?: string;
  retries?: string;
  jobs?: string;
  makeJobs?: string;
  configJobs?: string;
  cacheDir?: string;
  ccache: boolean;
  events?: string;
  json?: boolean;
  list?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];

function positiveInt(text: string | undefined, what: string, min = 1): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new KmatrixError(
      'usage',
      `bad ${what} ${JSON.stringify(text)}: need a whole number >= ${min}`,
    );
  return n;
}

function parseRuntimeChoice(text: string | undefined): RuntimeChoice | undefined {
  if (text === undefined) return undefined;
  if (text === 'auto' || (RUNTIME_KINDS as readonly string[]).includes(text))
    return text as RuntimeChoice;
  throw new KmatrixError(
    'usage',
    `unknown runtime ${JSON.stringify(text)}; accepted: auto, ${RUNTIME_KINDS.join(', ')}`,
  );
}

export function registerRun(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('run a build matrix (matrix.yaml), store the results, and report what newly broke')
    .argument('[matrix]', 'matrix file', 'matrix.yaml')
    .option(
      '--filter <expr>',
      'run a subset (repeatable, union): KEY=VALUE[,KEY=VALUE] with KEY id, source, arch, toolchain, config, variant, base, build; VALUE may be A|B and use *; a bare hex word is a cell id prefix',
      collect,
      [],
    )
    .option(
      '--resume [run-id]',
      'continue an interrupted run (default: the newest unfinished run of this matrix)',
    )
    .option(
      '--results <dir>',
      'where runs/<run-id>/ and the store live (default $KMATRIX_RESULTS or ./kmatrix-results)',
    )
    .option('--store <file>', `the SQLite results store (default <results>/${STORE_FILE})`)
    .option('--runtime <rt>', `override the matrix's runtime: auto, ${RUNTIME_KINDS.join(', ')}`)
    .option('--timeout <duration>', "override the matrix's per-cell timeout: 90s, 30m, 2h")
    .option('--retries <n>', "override the matrix's retries after infrastructure errors")
    .option('--jobs <n>', 'builds at once (default: about sqrt(CPUs), capped by memory)')
    .option('-j, --make-jobs <n>', 'make -j of each build (default: CPUs / builds)')
    .option('--config-jobs <n>', 'config stages at once (default: CPUs)')
    .option(
      '--cache-dir <dir>',
      'cache for trees and tools (default $KMATRIX_CACHE or $XDG_CACHE_HOME/kmatrix)',
    )
    .option('--no-ccache', 'do not use the shared ccache')
    .option('--events <file>', 'append every run event to FILE as JSON lines')
    .option('--list', 'print the cells (id and label) the run would have and exit')
    .option('--json', 'print the run summary (results.json) on stdout')
    .action(async (matrix: string, raw: RawRunOptions) => {
      // Loaded here, not at startup: yaml, zod and better-sqlite3 are for this command only.
      const [{ loadMatrix }, { defaultResultsDir, runMatrix }] = await Promise.all([
        import('../../matrix/load.js'),
        import('../../run/run-matrix.js'),
      ]);
      if (raw.list) {
        const loaded = await loadMatrix(matrix, io.cwd);
        const cells = applyFilters(loaded.cells, raw.filter.map(parseFilter));
        if (raw.json)
          io.stdout.write(JSON.stringify({ identity: loaded.identity, cells }, null, 2) + '\n');
        else
          io.stdout.write(
            cells
              .map((c) => `${c.id}  ${cellLabel(c)}${c.build ? '' : '  (config only)'}\n`)
              .join(''),
          );
        setExit(0);
        return;
      }
      const resultsDir = raw.results
        ? resolve(io.cwd, raw.results)
        : defaultResultsDir(io.env, io.cwd);
      const storePath = raw.store ? resolve(io.cwd, raw.store) : resolve(resultsDir, STORE_FILE);
      const timeoutMs = raw.timeout !== undefined ? parseDuration(raw.timeout) : undefined;
      const retries = positiveInt(raw.retries, '--retries', 0);
      const buildJobs = positiveInt(raw.jobs, '--jobs');
      const makeJobs = positiveInt(raw.makeJobs, '-j');
      const configJobs = positiveInt(raw.configJobs, '--config-jobs');
      const runtime = parseRuntimeChoice(raw.runtime);

      const reporters: RunReporter[] = [runReporter(io.stderr)];
      if (raw.events) {
        const file = resolve(io.cwd, raw.events);
        // Fail now, as a usage error, rather than from a stream's 'error' event mid-run.
        await appendFile(file, '').catch((e: NodeJS.ErrnoException) => {
          throw new KmatrixError(
            'usage',
            `cannot write --events ${printable(raw.events!)}: ${e.code ?? e.message}`,
          );
        });
        const out = createWriteStream(file, { flags: 'a' });
        out.on('error', (e) =>
          io.stderr.write(
            `kmatrix: warning: --events ${file}: ${e.message}; no more events written\n`,
          ),
        );
        reporters.push(ndjsonReporter((l) => out.write(l)));
      }
      const abort = new AbortController();
      const onSignal = (sig: NodeJS.Signals) => abort.abort(sig);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await runMatrix({
          matrixPath: matrix,
          cwd: io.cwd,
          env: io.env,
          resultsDir,
          storePath,
          cacheDir: raw.cacheDir ? resolve(io.cwd, raw.cacheDir) : defaultCacheDir(io.env),
          filters: raw.filter,
          resume: raw.resume ?? false,
          ...(runtime ? { runtime } : {}),
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          ...(retries !== undefined ? { retries } : {}),
          sizing: {
            ...(buildJobs ? { buildJobs } : {}),
            ...(makeJobs ? { makeJobs } : {}),
            ...(configJobs ? { configJobs } : {}),
          },
          ccache: raw.ccache,
          signal: abort.signal,
          emit: (e) => reporters.forEach((r) => r.emit(e)),
        });
        io.stdout.write(
          raw.json ? JSON.stringify(summary, null, 2) + '\n' : renderRunText(summary),
        );
        setExit(summary.exitCode);
      } finally {
        reporters.forEach((r) => r.close());
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });
}
