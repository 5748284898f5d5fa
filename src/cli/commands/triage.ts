// `kmatrix triage [RUN_ID] [--cell ID]...`: triage the new failures of a stored run later, or
// again, or continue a triage that was stopped. Exit 0 when every failure it looked at got a
// final record, 2 when one is incomplete or hit an infrastructure error (or on usage errors).
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ndjsonReporter, runReporter, type RunReporter } from '../../report/run-progress.js';
import { renderRunText } from '../../report/run-summary.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import type { RuntimeChoice } from '../../runtime/select.js';
import { STORE_FILE } from '../../store/file.js';
import { interruptible, type CliIo } from '../io.js';
import {
  cacheDirOption,
  collect,
  jsonOption,
  noCcacheOption,
  pathOption,
  resultsDirOption,
  runtimeOption,
  wholeNumberOption,
} from '../options.js';

interface TriageOptions {
  cell: string[];
  results: string;
  store?: string;
  runtime?: RuntimeChoice;
  makeJobs?: number;
  cacheDir: string;
  ccache: boolean;
  events?: string;
  json?: boolean;
}

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
    .addOption(resultsDirOption(io, 'where runs/ and the store live'))
    .addOption(
      pathOption(
        '--store <file>',
        `the SQLite results store (default <results>/${STORE_FILE})`,
        io,
      ),
    )
    .addOption(
      runtimeOption(`where builds run: auto, ${RUNTIME_KINDS.join(', ')} (default: the matrix's)`),
    )
    .addOption(wholeNumberOption('-j, --make-jobs <n>', 'make -j of each build (default: CPUs)'))
    .addOption(cacheDirOption(io))
    .addOption(noCcacheOption())
    .addOption(pathOption('--events <file>', 'append every event to FILE as JSON lines', io))
    .addOption(jsonOption('print the run summary (results.json) on stdout'))
    .action(async (runId: string | undefined, raw: TriageOptions) => {
      const { triageStoredRun } = await import('../../run/triage-run.js');
      const reporters: RunReporter[] = [runReporter(io.stderr)];
      if (raw.events) {
        const out = createWriteStream(raw.events, { flags: 'a' });
        reporters.push(ndjsonReporter((l) => out.write(l)));
      }
      try {
        const { summary, triageComplete } = await interruptible(io.signal, (signal) =>
          triageStoredRun({
            storePath: raw.store ?? resolve(raw.results, STORE_FILE),
            ...(runId ? { runId } : {}),
            cells: raw.cell,
            cwd: io.cwd,
            env: io.env,
            cacheDir: raw.cacheDir,
            ccache: raw.ccache,
            ...(raw.makeJobs ? { jobs: raw.makeJobs } : {}),
            ...(raw.runtime ? { runtime: raw.runtime } : {}),
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
