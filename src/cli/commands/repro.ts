// `kmatrix repro REPORT|-`: rebuild what a kernel test robot report describes and say whether
// its errors come back. Exit 0 reproduced, 1 partially or not reproduced, 2 cannot run
// (missing config/source/toolchain), usage or infrastructure.
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../../build/targets.js';
import type { BuildEvent } from '../../build/events.js';
import { generateConfig } from '../../config/generate.js';
import { symbolLookup } from '../../config/kconfig-bridge.js';
import { KmatrixError } from '../../core/errors.js';
import { defaultCacheDir } from '../../fsutil/cache.js';
import { execaRunner } from '../../process/runner.js';
import { buildProgressReporter } from '../../report/build-progress.js';
import { progressReporter } from '../../report/progress.js';
import { renderRepro } from '../../repro/render.js';
import { runRepro } from '../../repro/run.js';
import { exitCodeForVerdict } from '../../repro/verdict.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import { selectRuntime, type RuntimeChoice } from '../../runtime/select.js';
import { resolveSource } from '../../source/resolve.js';
import type { CliIo } from '../io.js';

interface RawReproOptions {
  config?: string;
  source?: string;
  repo?: string;
  runtime: string;
  out?: string;
  jobs?: string;
  timeout?: string;
  cacheDir?: string;
  ccache: boolean;
  verbose?: boolean;
  json?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function progress(io: CliIo, verbose: boolean) {
  const build = buildProgressReporter(io.stderr, { verbose, commands: false });
  return (e: BuildEvent | { type: 'repro:note'; note: string }) => {
    if (e.type === 'repro:note') io.stderr.write(`kmatrix: ${e.note}\n`);
    else build(e);
  };
}

export function registerRepro(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('repro')
    .description(
      'rebuild what a kernel test robot (0-day/LKP) report describes and check whether its errors come back',
    )
    .argument('<report>', 'the report text (a saved mail, quoted or not), or - for stdin')
    .option(
      '--config <file>',
      "the report's .config (default: config, <config name> or .config beside the report; gzipped is fine)",
    )
    .option(
      '--source <src>',
      'kernel tree with the reported code: a path, git:PATH@REF, debian:VERSION',
    )
    .option('--repo <path>', "a git clone holding the report's commit (built as git:PATH@COMMIT)")
    .option('--runtime <rt>', `where make runs: auto, ${RUNTIME_KINDS.join(', ')}`, 'auto')
    .option('--out <dir>', 'result and O= directory (default ./kmatrix-out/repro-<config name>)')
    .option('-j, --jobs <n>', 'make -j (default: number of CPUs)')
    .option('--timeout <duration>', 'limit for the make steps: 90s, 30m, 2h')
    .option('--cache-dir <dir>', 'cache for trees and tools (default $KMATRIX_CACHE)')
    .option('--no-ccache', 'do not use the shared ccache')
    .option('--verbose', 'stream make output to stderr')
    .option('--json', 'print repro.json on stdout')
    .action(async (reportArg: string, raw: RawReproOptions) => {
      if (raw.source !== undefined && raw.repo !== undefined)
        throw new KmatrixError('usage', 'give --source or --repo, not both');
      const choice = raw.runtime as RuntimeChoice;
      if (choice !== 'auto' && !(RUNTIME_KINDS as readonly string[]).includes(choice))
        throw new KmatrixError(
          'usage',
          `unknown runtime ${JSON.stringify(raw.runtime)}; accepted: auto, ${RUNTIME_KINDS.join(', ')}`,
        );
      let jobs = Number(io.env['KMATRIX_JOBS'] ?? 0) || Math.max(1, availableParallelism());
      if (raw.jobs !== undefined) {
        jobs = Number(raw.jobs);
        if (!Number.isInteger(jobs) || jobs < 1)
          throw new KmatrixError(
            'usage',
            `bad -j ${JSON.stringify(raw.jobs)}: need a positive integer`,
          );
      }
      const timeoutMs = raw.timeout !== undefined ? parseDuration(raw.timeout) : undefined;
      const reportPath = reportArg === '-' ? undefined : resolve(io.cwd, reportArg);
      let reportText: string;
      try {
        reportText = reportPath ? await readFile(reportPath, 'utf8') : await readStdin();
      } catch {
        throw new KmatrixError('usage', `cannot read report ${reportArg}`);
      }
      const cacheDir = raw.cacheDir ? resolve(io.cwd, raw.cacheDir) : defaultCacheDir(io.env);
      const runner = execaRunner;
      const emit = progressReporter(io.stderr);
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const result = await runRepro(
          {
            reportText,
            ...(reportPath ? { reportPath } : {}),
            ...(raw.config ? { configPath: resolve(io.cwd, raw.config) } : {}),
            ...(raw.source !== undefined ? { source: raw.source } : {}),
            ...(raw.repo !== undefined ? { repo: resolve(io.cwd, raw.repo) } : {}),
            outDir: (_plan, report) => {
              if (raw.out) return resolve(io.cwd, raw.out);
              const name = report.config?.name ?? '';
              const safe = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,100}$/.test(name) ? name : 'report';
              return resolve(io.cwd, 'kmatrix-out', `repro-${safe}`);
            },
            jobs,
            ...(timeoutMs ? { timeoutMs } : {}),
            signal: abort.signal,
          },
          {
            selectRuntime: (toolchain) => selectRuntime(choice, { env: io.env, toolchain, runner }),
            resolveSource: (spec) => resolveSource(spec, { runner, cacheDir, cwd: io.cwd, emit }),
            generateConfig: (req) =>
              generateConfig(req, {
                runner,
                cacheDir,
                env: io.env,
                emit,
                symbols: symbolLookup,
                signal: abort.signal,
              }),
            emit: progress(io, raw.verbose ?? false),
            ...(raw.ccache ? { ccacheDir: join(cacheDir, 'ccache') } : {}),
          },
        );
        io.stdout.write(raw.json ? JSON.stringify(result, null, 2) + '\n' : renderRepro(result));
        setExit(exitCodeForVerdict(result.verdict));
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });
}
