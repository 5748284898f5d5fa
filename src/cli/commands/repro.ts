// `kmatrix repro REPORT|-`: rebuild what a kernel test robot report describes and say whether
// its errors come back. Exit 0 reproduced, 1 partially or not reproduced, 2 cannot run
// (missing config/source/toolchain), usage or infrastructure.
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { buildWiring } from '../../build/deps.js';
import { KmatrixError } from '../../core/errors.js';
import { modelFor } from '../../config/kconfig-bridge.js';
import { decodeOrFail, MAX_BYTES, readTextFile } from '../../fsutil/text-file.js';
import { execaRunner } from '../../process/runner.js';
import { commitInRepo } from '../../source/git.js';
import { progressReporter } from '../../report/progress.js';
import { renderRepro, reproReporter } from '../../report/repro.js';
import { runRepro } from '../../repro/run.js';
import { exitCodeForVerdict } from '../../repro/verdict.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import type { RuntimeChoice } from '../../runtime/select.js';
import { interruptible, type CliIo } from '../io.js';
import {
  cacheDirOption,
  defaultMakeJobs,
  durationOption,
  jsonOption,
  noCcacheOption,
  pathOption,
  runtimeOption,
  wholeNumberOption,
} from '../options.js';

interface ReproOptions {
  config?: string;
  source?: string;
  repo?: string;
  runtime: RuntimeChoice;
  out?: string;
  jobs?: number;
  timeout?: number;
  cacheDir: string;
  ccache: boolean;
  verbose?: boolean;
  json?: boolean;
}

/** At most `max` bytes of a stream (a report on stdin is read whole, up to the limit). */
async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of stream) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(String(c));
    chunks.push(b);
    total += b.length;
    if (total >= max) break;
  }
  return Buffer.concat(chunks);
}

/** ./kmatrix-out/repro-<config name>, when the name is safe to use as a directory name. */
function defaultReproOut(cwd: string, configName: string | undefined): string {
  const name = configName ?? '';
  const safe = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,100}$/.test(name) ? name : 'report';
  return resolve(cwd, 'kmatrix-out', `repro-${safe}`);
}

export function registerRepro(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('repro')
    .description(
      'rebuild what a kernel test robot (0-day/LKP) report describes and check whether its errors come back',
    )
    .argument('<report>', 'the report text (a saved mail, quoted or not), or - for stdin')
    .addOption(
      pathOption(
        '--config <file>',
        "the report's .config (default: config, <config name> or .config beside the report; gzipped is fine)",
        io,
      ),
    )
    .option(
      '--source <src>',
      'kernel tree with the reported code: a path, git:PATH@REF, debian:VERSION',
    )
    .addOption(
      pathOption(
        '--repo <path>',
        "a git clone holding the report's commit (built as git:PATH@COMMIT)",
        io,
      ),
    )
    .addOption(runtimeOption(`where make runs: auto, ${RUNTIME_KINDS.join(', ')}`, 'auto'))
    .addOption(
      pathOption(
        '--out <dir>',
        'result and O= directory (default ./kmatrix-out/repro-<config name>)',
        io,
      ),
    )
    .addOption(wholeNumberOption('-j, --jobs <n>', 'make -j (default: number of CPUs)'))
    .addOption(durationOption('--timeout <duration>', 'limit for the make steps: 90s, 30m, 2h'))
    .addOption(cacheDirOption(io))
    .addOption(noCcacheOption())
    .option('--verbose', 'stream make output to stderr')
    .addOption(jsonOption('print repro.json on stdout'))
    .action(async (reportArg: string, raw: ReproOptions) => {
      if (raw.source !== undefined && raw.repo !== undefined)
        throw new KmatrixError('usage', 'give --source or --repo, not both');
      const reportPath = reportArg === '-' ? undefined : resolve(io.cwd, reportArg);
      // Mail may be 8-bit (decoded with U+FFFD); NUL bytes or a huge file are not a report.
      const asReport = { what: 'report', maxBytes: MAX_BYTES.report, utf8: 'replace' } as const;
      const reportText = reportPath
        ? await readTextFile(reportPath, { ...asReport, shown: reportArg })
        : decodeOrFail(await readAll(io.stdin, MAX_BYTES.report + 1), '(stdin)', asReport);
      const wiring = buildWiring({
        env: io.env,
        cwd: io.cwd,
        cacheDir: raw.cacheDir,
        runner: execaRunner,
        emit: progressReporter(io.stderr),
        ccache: raw.ccache,
        signal: io.signal,
      });
      const result = await interruptible(io.signal, (signal) =>
        runRepro(
          {
            reportText,
            ...(reportPath ? { reportPath } : {}),
            ...(raw.config ? { configPath: raw.config } : {}),
            ...(raw.source !== undefined ? { source: raw.source } : {}),
            ...(raw.repo !== undefined ? { repo: raw.repo } : {}),
            outDir: (_plan, report) => raw.out ?? defaultReproOut(io.cwd, report.config?.name),
            jobs: raw.jobs ?? defaultMakeJobs(io.env),
            ...(raw.timeout ? { timeoutMs: raw.timeout } : {}),
            signal,
          },
          {
            selectRuntime: (toolchain) => wiring.selectRuntime(raw.runtime, toolchain),
            resolveSource: wiring.resolveSource,
            generateConfig: (req) => wiring.generateConfig(req),
            kconfigModel: modelFor,
            commitInRepo: (repo, sha) => commitInRepo(execaRunner, repo, sha),
            emit: reproReporter(io.stderr, raw.verbose ?? false),
            ...(wiring.ccacheDir ? { ccacheDir: wiring.ccacheDir } : {}),
          },
        ),
      );
      io.stdout.write(raw.json ? JSON.stringify(result, null, 2) + '\n' : renderRepro(result));
      setExit(exitCodeForVerdict(result.verdict));
    });
}
