// `kmatrix bisect`: first commit where a config requirement stops holding (--require) or a
// build starts failing with a diagnostic (--build). Exit 0 found, 1 inconclusive, 3 the
// endpoints are not good/bad, 2 usage or infrastructure.
import type { Command } from 'commander';
import { bisectExitCode } from '../../bisect/exit-code.js';
import { bisect, type Predicate } from '../../bisect/run.js';
import { bisectRunner } from '../../bisect/runner.js';
import { buildWiring } from '../../build/deps.js';
import type { BuildEvent } from '../../build/events.js';
import type { BuildTarget } from '../../build/targets.js';
import { parsePins, type Pin } from '../../config/pin.js';
import { KmatrixError } from '../../core/errors.js';
import { writeFileAtomic } from '../../fsutil/atomic.js';
import { bisectBuildReporter, bisectEventLine, renderBisectResult } from '../../report/bisect.js';
import { lineReporter, progressReporter } from '../../report/progress.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import type { RuntimeChoice } from '../../runtime/select.js';
import type { ToolchainName } from '../../toolchain/toolchains.js';
import { interruptible, type CliIo } from '../io.js';
import {
  addConfigOptions,
  collect,
  cpuCount,
  durationOption,
  jsonOption,
  noCcacheOption,
  parseConfigOptions,
  pathOption,
  runtimeOption,
  targetsOption,
  wholeNumberOption,
  type RawConfigOptions,
} from '../options.js';

interface BisectOptions extends RawConfigOptions, BuildPredicateOptions {
  repo: string;
  good: string;
  bad: string;
  require: string[];
  build?: boolean;
  workers?: number;
  log?: string;
  json?: boolean;
  verbose?: boolean;
}

/** The build options of bisect and config-bisect, as a build predicate. */
export interface BuildPredicateOptions {
  targets: BuildTarget[];
  match?: string;
  runtime: RuntimeChoice;
  jobs?: number;
  timeout?: number;
  ccache: boolean;
  cacheDir: string;
}

/** --build: the runtime (chosen now, so a missing daemon fails first) and the build's settings. */
export async function buildPredicate(
  raw: BuildPredicateOptions,
  toolchain: ToolchainName,
  io: CliIo,
  onBuildEvent?: (e: BuildEvent) => void,
): Promise<Predicate> {
  const wiring = buildWiring({
    env: io.env,
    cwd: io.cwd,
    cacheDir: raw.cacheDir,
    runner: bisectRunner,
    emit: progressReporter(io.stderr),
    ccache: raw.ccache,
  });
  const selected = await wiring.selectRuntime(raw.runtime, toolchain);
  io.stderr.write(`kmatrix: ${selected.note}\n`);
  return {
    kind: 'build',
    targets: raw.targets,
    ...(raw.match ? { match: raw.match } : {}),
    jobs: raw.jobs ?? cpuCount(),
    runtime: selected.runtime,
    ...(raw.timeout ? { timeoutMs: raw.timeout } : {}),
    ...(wiring.ccacheDir ? { ccacheDir: wiring.ccacheDir } : {}),
    ...(onBuildEvent ? { onBuildEvent } : {}),
  };
}

/** --require, or the pins (they are required by default). */
function configPredicate(raw: BisectOptions, pins: Pin[]): Predicate {
  const requires = raw.require.length ? parsePins(raw.require, '--require') : pins;
  if (requires.length === 0)
    throw new KmatrixError(
      'usage',
      'nothing to bisect: give --require SYM=VAL, pins with --set/--fragment (they are required by default), or --build',
    );
  return { kind: 'config', requires };
}

/** The options bisect and config-bisect share after their endpoints. */
export function addPredicateOptions(cmd: Command, defaultMatch: string): Command {
  return cmd
    .option('--build', 'build predicate: bad when the build fails with the matching diagnostic')
    .addOption(targetsOption('build targets: kernel, modules, dtbs'))
    .option(
      '--match <text>',
      `diagnostic fingerprint or text that makes a failed build bad (default: ${defaultMatch})`,
    )
    .addOption(runtimeOption(`build runtime: ${RUNTIME_KINDS.join(', ')}`, 'local'))
    .addOption(wholeNumberOption('-j, --jobs <n>', 'make -j for builds (default: number of CPUs)'))
    .addOption(
      durationOption('--timeout <duration>', 'per-build limit (a step that times out is skipped)'),
    )
    .addOption(noCcacheOption('do not use the shared ccache for builds'));
}

export function registerBisect(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command('bisect')
    .description(
      'find the first commit where a config requirement stops holding (--require) or a build starts failing (--build); runs in a private clone, never in REPO',
    )
    .addOption(
      pathOption(
        '--repo <path>',
        'git repository of the kernel (read only)',
        io,
      ).makeOptionMandatory(),
    )
    .requiredOption('--good <ref>', 'a commit where the predicate holds')
    .requiredOption('--bad <ref>', 'a later commit where it does not');
  addConfigOptions(cmd, io).option(
    '--require <SYM=VAL>',
    'config predicate: bad when a required value does not hold (repeatable; default: the pins)',
    collect,
    [],
  );
  addPredicateOptions(cmd, 'the bad endpoint’s errors')
    .addOption(
      wholeNumberOption(
        '--workers <n>',
        'config predicate: commits tested in parallel (default: CPUs, max 4)',
      ),
    )
    .addOption(pathOption('--log <file>', 'write a log `git bisect replay` accepts', io))
    .addOption(jsonOption('print the result as JSON on stdout'))
    .option('--verbose', 'stream build output to stderr')
    .action(async (raw: BisectOptions) => {
      const opts = await parseConfigOptions(raw, io.cwd);
      if (raw.build && raw.require.length > 0)
        throw new KmatrixError('usage', 'give either --require or --build, not both');
      const predicate = raw.build
        ? await buildPredicate(
            raw,
            opts.toolchain,
            io,
            bisectBuildReporter(io.stderr, raw.verbose ?? false),
          )
        : configPredicate(raw, opts.pins);
      const result = await interruptible(io.signal, (signal) =>
        bisect(
          {
            repo: raw.repo,
            good: raw.good,
            bad: raw.bad,
            arch: opts.arch,
            toolchain: opts.toolchain,
            base: opts.base,
            pins: opts.pins,
            predicate,
            workers: raw.workers ?? Math.min(4, cpuCount()),
            cacheDir: opts.cacheDir,
            signal,
          },
          {
            runner: bisectRunner,
            env: io.env,
            emit: lineReporter(io.stderr, bisectEventLine),
          },
        ),
      );
      if (raw.log) await writeFileAtomic(raw.log, result.log);
      io.stdout.write(
        raw.json
          ? JSON.stringify({ ...result, logFile: raw.log ?? null }, null, 2) + '\n'
          : renderBisectResult(result, raw.log),
      );
      setExit(bisectExitCode(result));
    });
}
