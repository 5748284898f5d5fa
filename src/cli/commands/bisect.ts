// `kmatrix bisect`: first commit where a config requirement stops holding (--require) or a
// build starts failing with a diagnostic (--build). Exit 0 found, 1 inconclusive, 3 the
// endpoints are not good/bad, 2 usage or infrastructure.
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { bisectEventLine } from '../../bisect/events.js';
import { bisectExitCode, renderBisectResult } from '../../bisect/render.js';
import { bisect, type Predicate } from '../../bisect/run.js';
import { DEFAULT_TARGETS, parseDuration, parseTargets } from '../../build/targets.js';
import { parsePins } from '../../config/pin.js';
import { KmatrixError } from '../../core/errors.js';
import { writeFileAtomic } from '../../fsutil/atomic.js';
import { bisectRunner } from '../../bisect/runner.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import { selectRuntime, type RuntimeChoice } from '../../runtime/select.js';
import { TOOLCHAINS } from '../../toolchain/toolchains.js';
import type { CliIo } from '../io.js';
import { parseConfigOptions } from '../options.js';

const collect = (v: string, acc: string[]) => [...acc, v];

interface RawBisect {
  repo: string;
  good: string;
  bad: string;
  arch: string;
  base: string;
  seed?: string;
  probability?: string;
  set: string[];
  fragment: string[];
  toolchain: string;
  cacheDir?: string;
  require: string[];
  build?: boolean;
  targets: string;
  match?: string;
  runtime: string;
  jobs?: string;
  timeout?: string;
  ccache: boolean;
  workers?: string;
  log?: string;
  json?: boolean;
  verbose?: boolean;
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new KmatrixError(
      'usage',
      `bad ${what} ${JSON.stringify(text)}: need a whole number >= 1`,
    );
  return n;
}

/** Install SIGINT/SIGTERM -> abort for the duration of fn; cleanup runs in fn's finally. */
export async function withAbort<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(abort.signal);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

export function registerBisect(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('bisect')
    .description(
      'find the first commit where a config requirement stops holding (--require) or a build starts failing (--build); runs in a private clone, never in REPO',
    )
    .requiredOption('--repo <path>', 'git repository of the kernel (read only)')
    .requiredOption('--good <ref>', 'a commit where the predicate holds')
    .requiredOption('--bad <ref>', 'a later commit where it does not')
    .requiredOption('--arch <arch>', 'architecture')
    .option('--base <base>', 'config base (as for kmatrix config)', 'defconfig')
    .option('--seed <n>', 'KCONFIG_SEED for randconfig')
    .option('--probability <p>', 'KCONFIG_PROBABILITY for randconfig')
    .option('--set <SYM=VAL>', 'pin a symbol (repeatable)', collect, [])
    .option('--fragment <file>', 'merge a config fragment (repeatable)', collect, [])
    .option('--toolchain <tc>', `toolchain: ${TOOLCHAINS.join(', ')}`, 'gcc')
    .option('--cache-dir <dir>', 'cache (default $KMATRIX_CACHE or $XDG_CACHE_HOME/kmatrix)')
    .option(
      '--require <SYM=VAL>',
      'config predicate: bad when a required value does not hold (repeatable; default: the pins)',
      collect,
      [],
    )
    .option('--build', 'build predicate: bad when the build fails with the matching diagnostic')
    .option('--targets <list>', 'build targets: kernel, modules, dtbs', DEFAULT_TARGETS.join(','))
    .option(
      '--match <text>',
      'diagnostic fingerprint or text that makes a failed build bad (default: the bad endpoint’s errors)',
    )
    .option('--runtime <rt>', `build runtime: ${RUNTIME_KINDS.join(', ')}`, 'local')
    .option('-j, --jobs <n>', 'make -j for builds (default: number of CPUs)')
    .option('--timeout <duration>', 'per-build limit (a step that times out is skipped)')
    .option('--no-ccache', 'do not use the shared ccache for builds')
    .option('--workers <n>', 'config predicate: commits tested in parallel (default: CPUs, max 4)')
    .option('--log <file>', 'write a log `git bisect replay` accepts')
    .option('--json', 'print the result as JSON on stdout')
    .option('--verbose', 'stream build output to stderr')
    .action(async (raw: RawBisect) => {
      const opts = await parseConfigOptions({ ...raw, source: raw.repo }, io.env, io.cwd);
      const say = (line: string | undefined) => {
        if (line) io.stderr.write(`kmatrix: ${line}\n`);
      };
      if (raw.build && raw.require.length > 0)
        throw new KmatrixError('usage', 'give either --require or --build, not both');
      let predicate: Predicate;
      if (raw.build) {
        const selected = await selectRuntime(parseRuntime(raw.runtime), {
          env: io.env,
          toolchain: opts.toolchain,
          runner: bisectRunner,
        });
        say(selected.note);
        predicate = {
          kind: 'build',
          targets: parseTargets(raw.targets),
          ...(raw.match ? { match: raw.match } : {}),
          jobs: raw.jobs ? positiveInt(raw.jobs, '--jobs') : availableParallelism(),
          runtime: selected.runtime,
          ...(raw.timeout ? { timeoutMs: parseDuration(raw.timeout) } : {}),
          ...(raw.ccache ? { ccacheDir: join(opts.cacheDir, 'ccache') } : {}),
          onBuildEvent: (e) => {
            if (e.type === 'build:output' && raw.verbose) io.stderr.write(e.chunk);
            if (e.type === 'build:target-start') say(`  ${e.command}`);
          },
        };
      } else {
        const requires = raw.require.length ? parsePins(raw.require, '--require') : opts.pins;
        if (requires.length === 0)
          throw new KmatrixError(
            'usage',
            'nothing to bisect: give --require SYM=VAL, pins with --set/--fragment (they are required by default), or --build',
          );
        predicate = { kind: 'config', requires };
      }
      const workers = raw.workers
        ? positiveInt(raw.workers, '--workers')
        : Math.min(4, Math.max(1, availableParallelism()));
      const result = await withAbort((signal) =>
        bisect(
          {
            repo: resolve(io.cwd, raw.repo),
            good: raw.good,
            bad: raw.bad,
            arch: opts.arch,
            toolchain: opts.toolchain,
            base: opts.base,
            pins: opts.pins,
            predicate,
            workers,
            cacheDir: opts.cacheDir,
            signal,
          },
          { runner: bisectRunner, env: io.env, emit: (e) => say(bisectEventLine(e)) },
        ),
      );
      const logFile = raw.log ? resolve(io.cwd, raw.log) : undefined;
      if (logFile) await writeFileAtomic(logFile, result.log);
      io.stdout.write(
        raw.json
          ? JSON.stringify({ ...result, logFile: logFile ?? null }, null, 2) + '\n'
          : renderBisectResult(result, logFile),
      );
      setExit(bisectExitCode(result));
    });
}

function parseRuntime(text: string): RuntimeChoice {
  if (text === 'auto' || (RUNTIME_KINDS as readonly string[]).includes(text))
    return text as RuntimeChoice;
  throw new KmatrixError(
    'usage',
    `unknown runtime ${JSON.stringify(text)}; accepted: auto, ${RUNTIME_KINDS.join(', ')}`,
  );
}
