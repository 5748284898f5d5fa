// `kmatrix run`: run a matrix file's cells (or a --filter'ed subset, or --resume an
// interrupted run), record them in the results store, compare with the previous completed
// run of the same matrix, and write the reports. Exit 0 nothing newly broken, 1 something
// is, 2 usage, infrastructure, or an interrupted run.
import { createWriteStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { KmatrixError } from '../../core/errors.js';
import { printable } from '../../core/text.js';
import { applyFilters, parseFilter } from '../../matrix/filter.js';
import { renderCellList } from '../../report/cell-list.js';
import { ndjsonReporter, runReporter, type RunReporter } from '../../report/run-progress.js';
import { renderRunText } from '../../report/run-summary.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import type { RuntimeChoice } from '../../runtime/select.js';
import { STORE_FILE } from '../../store/file.js';
import { interruptible, type CliIo } from '../io.js';
import {
  cacheDirOption,
  collect,
  durationOption,
  executorOption,
  jsonOption,
  noCcacheOption,
  pathOption,
  redisOption,
  resultsDirOption,
  runtimeOption,
  wholeNumberOption,
} from '../options.js';

interface RunOptions {
  filter: string[];
  resume?: string | boolean;
  results: string;
  store?: string;
  runtime?: RuntimeChoice;
  timeout?: number;
  retries?: number;
  jobs?: number;
  makeJobs?: number;
  configJobs?: number;
  cacheDir: string;
  ccache: boolean;
  triage: boolean;
  keepBuildDirs?: boolean;
  events?: string;
  json?: boolean;
  list?: boolean;
  executor?: 'local' | 'queue';
  redis?: string;
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
    .addOption(resultsDirOption(io, 'where runs/<run-id>/ and the store live'))
    .addOption(
      pathOption(
        '--store <file>',
        `the SQLite results store (default <results>/${STORE_FILE})`,
        io,
      ),
    )
    .addOption(runtimeOption(`override the matrix's runtime: auto, ${RUNTIME_KINDS.join(', ')}`))
    .addOption(
      durationOption(
        '--timeout <duration>',
        "override the matrix's per-cell timeout: 90s, 30m, 2h",
      ),
    )
    .addOption(
      wholeNumberOption(
        '--retries <n>',
        "override the matrix's retries after infrastructure errors",
        0,
      ),
    )
    .addOption(
      wholeNumberOption(
        '--jobs <n>',
        'builds at once (default: about sqrt(CPUs), capped by memory)',
      ),
    )
    .addOption(
      wholeNumberOption('-j, --make-jobs <n>', 'make -j of each build (default: CPUs / builds)'),
    )
    .addOption(wholeNumberOption('--config-jobs <n>', 'config stages at once (default: CPUs)'))
    .addOption(
      executorOption(
        "where cells run: local (this machine) or queue (kmatrix workers via Redis); default: the matrix's executor.kind",
      ),
    )
    .addOption(
      redisOption(
        "the queue's Redis (redis://HOST:PORT, rediss://..., unix:///PATH); default: the matrix's executor.url, else $KMATRIX_REDIS_URL",
      ),
    )
    .addOption(cacheDirOption(io))
    .addOption(noCcacheOption())
    .option('--no-triage', 'do not triage new failures this time (the matrix has triage.enabled)')
    .option(
      '--keep-build-dirs',
      "keep each built cell's O= object tree (by default only .config, logs, reproducer, results and the kernel image, System.map, dtbs and modules stay)",
    )
    .addOption(pathOption('--events <file>', 'append every run event to FILE as JSON lines', io))
    .option('--list', 'print the cells (id and label) the run would have and exit')
    .addOption(jsonOption('print the run summary (results.json) on stdout'))
    .action((matrix: string, raw: RunOptions) => runAction(matrix, raw, io, setExit));
}

async function runAction(
  matrix: string,
  raw: RunOptions,
  io: CliIo,
  setExit: (code: number) => void,
): Promise<void> {
  // Loaded here, not at startup: yaml, zod and better-sqlite3 are for this command only.
  const [{ loadMatrix }, { runMatrix }] = await Promise.all([
    import('../../matrix/load.js'),
    import('../../run/run-matrix.js'),
  ]);
  if (raw.list) {
    const loaded = await loadMatrix(matrix, io.cwd);
    const cells = applyFilters(loaded.cells, raw.filter.map(parseFilter));
    io.stdout.write(
      raw.json
        ? JSON.stringify({ identity: loaded.identity, cells }, null, 2) + '\n'
        : renderCellList(cells),
    );
    setExit(0);
    return;
  }
  const reporters: RunReporter[] = [runReporter(io.stderr)];
  if (raw.events) reporters.push(await eventsReporter(raw.events, io));
  try {
    const summary = await interruptible(io.signal, (signal) =>
      runMatrix({
        matrixPath: matrix,
        cwd: io.cwd,
        env: io.env,
        resultsDir: raw.results,
        storePath: raw.store ?? resolve(raw.results, STORE_FILE),
        cacheDir: raw.cacheDir,
        filters: raw.filter,
        resume: raw.resume ?? false,
        ...(raw.runtime ? { runtime: raw.runtime } : {}),
        ...(raw.timeout !== undefined ? { timeoutMs: raw.timeout } : {}),
        ...(raw.retries !== undefined ? { retries: raw.retries } : {}),
        sizing: {
          ...(raw.jobs ? { buildJobs: raw.jobs } : {}),
          ...(raw.makeJobs ? { makeJobs: raw.makeJobs } : {}),
          ...(raw.configJobs ? { configJobs: raw.configJobs } : {}),
        },
        ccache: raw.ccache,
        ...(raw.triage ? {} : { triage: false }),
        ...(raw.executor ? { executor: raw.executor } : {}),
        ...(raw.redis !== undefined ? { redisUrl: raw.redis } : {}),
        ...(raw.keepBuildDirs ? { keepBuildDirs: true } : {}),
        signal,
        emit: (e) => reporters.forEach((r) => r.emit(e)),
      }),
    );
    io.stdout.write(raw.json ? JSON.stringify(summary, null, 2) + '\n' : renderRunText(summary));
    setExit(summary.exitCode);
  } finally {
    reporters.forEach((r) => r.close());
  }
}

/** --events FILE: every run event appended as a JSON line. */
async function eventsReporter(file: string, io: CliIo): Promise<RunReporter> {
  // Fail now, as a usage error, rather than from a stream's 'error' event mid-run.
  await appendFile(file, '').catch((e: NodeJS.ErrnoException) => {
    throw new KmatrixError(
      'usage',
      `cannot write --events ${printable(file)}: ${e.code ?? e.message}`,
    );
  });
  const out = createWriteStream(file, { flags: 'a' });
  out.on('error', (e) =>
    io.stderr.write(`kmatrix: warning: --events ${file}: ${e.message}; no more events written\n`),
  );
  return ndjsonReporter((l) => out.write(l));
}
