// `kmatrix gc`: remove old run directories (--keep-runs N; the store keeps their results) and
// cache entries nobody used for a while (--cache), so a nightly does not fill the disk.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { KmatrixError } from '../../core/errors.js';
import { printable } from '../../core/text.js';
import { renderGc, type GcReport } from '../../report/gc.js';
import { STORE_FILE } from '../../store/file.js';
import type { CliIo } from '../io.js';
import {
  cacheDirOption,
  jsonOption,
  pathOption,
  resultsDirOption,
  wholeNumberOption,
} from '../options.js';

interface GcOptions {
  results: string;
  store?: string;
  keepRuns?: number;
  cache?: boolean;
  unusedDays: number;
  ccacheMax?: string;
  cacheDir: string;
  dryRun?: boolean;
  json?: boolean;
}

/** ccache's size syntax: 5G, 500M, 1.5Gi, 0 (no limit). */
function parseCcacheSize(v: string): string {
  if (/^\d+(\.\d+)?([kMGT]i?)?$/.test(v)) return v;
  throw new KmatrixError(
    'usage',
    `bad --ccache-max ${JSON.stringify(v)}: expected a size as ccache writes it, e.g. 5G, 500M, 1.5Gi, or 0 for no limit`,
  );
}

export function registerGc(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('gc')
    .description(
      'remove old run directories (their results stay in the store) and unused cache entries',
    )
    .addOption(resultsDirOption(io, 'where runs/<run-id>/ and the store live'))
    .addOption(
      pathOption(
        '--store <file>',
        `the SQLite results store (default <results>/${STORE_FILE})`,
        io,
      ),
    )
    .addOption(
      wholeNumberOption(
        '--keep-runs <n>',
        'keep the directories of the newest N runs of each matrix, remove the older ones',
      ),
    )
    .option(
      '--cache',
      'remove cache entries (trees, Kconfig tools, base configs, packages) not used for --unused-days',
    )
    .addOption(
      wholeNumberOption('--unused-days <n>', 'with --cache: how long unused (default 30)').default(
        30,
      ),
    )
    .addOption(
      new Option(
        '--ccache-max <size>',
        "with --cache: set ccache's max_size (5G, 500M; ccache keeps itself under it)",
      ).argParser(parseCcacheSize),
    )
    .addOption(cacheDirOption(io))
    .option('--dry-run', 'say what would be removed, remove nothing')
    .addOption(jsonOption('print what was removed as JSON'))
    .action(async (o: GcOptions) => {
      if (o.keepRuns === undefined && !o.cache)
        throw new KmatrixError('usage', 'nothing to do: give --keep-runs N, --cache, or both');
      const { gcCache, pruneRuns } = await import('../../run/gc.js');
      const report: GcReport = { runs: null, cache: null, dryRun: o.dryRun ?? false };
      if (o.keepRuns !== undefined) {
        const { ResultStore } = await import('../../store/store.js');
        const file = o.store ?? resolve(o.results, STORE_FILE);
        // Opening a store creates it: a mistyped --results must not leave an empty one.
        if (!existsSync(file))
          throw new KmatrixError(
            'usage',
            `no results store at ${printable(file)}; give the --results DIR (or --store FILE) kmatrix run used`,
          );
        const store = new ResultStore(file);
        try {
          report.runs = await pruneRuns(store, {
            resultsDir: o.results,
            keepRuns: o.keepRuns,
            dryRun: report.dryRun,
          });
        } finally {
          store.close();
        }
      }
      if (o.cache)
        report.cache = await gcCache(o.cacheDir, {
          unusedDays: o.unusedDays,
          dryRun: report.dryRun,
          ...(o.ccacheMax !== undefined ? { ccacheMax: o.ccacheMax } : {}),
        });
      io.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : renderGc(report));
      setExit(0);
    });
}
