// `kmatrix build`: generate and verify a config, then build it in a container (or on the
// host), and report per-target status, diagnostics and where the result dir is.
import type { Command } from 'commander';
import { buildWiring } from '../../build/deps.js';
import { exitCodeFor } from '../../build/result.js';
import { runBuild } from '../../build/run.js';
import type { BuildTarget } from '../../build/targets.js';
import { execaRunner } from '../../process/runner.js';
import { buildReporter, renderBuildResult } from '../../report/build.js';
import { progressReporter } from '../../report/progress.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import type { RuntimeChoice } from '../../runtime/select.js';
import type { SourceSpec } from '../../source/spec.js';
import { interruptible, type CliIo } from '../io.js';
import {
  addConfigOptions,
  defaultMakeJobs,
  durationOption,
  jsonOption,
  noCcacheOption,
  parseConfigOptions,
  pathOption,
  positiveNumberOption,
  runtimeOption,
  sourceOption,
  targetsOption,
  wholeNumberOption,
  type RawConfigOptions,
} from '../options.js';
import { defaultOutDir } from './config.js';

interface BuildOptions extends RawConfigOptions {
  source: SourceSpec;
  targets: BuildTarget[];
  runtime: RuntimeChoice;
  jobs?: number;
  out?: string;
  allowUnsatisfied?: boolean;
  timeout?: number;
  json?: boolean;
  ccache: boolean;
  verbose?: boolean;
  image?: string;
  memory: number;
  cpus?: number;
}

export function registerBuild(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command('build')
    .description(
      'generate and verify a config, then build it in a container (docker) or on the host (local)',
    )
    .addOption(sourceOption());
  addConfigOptions(cmd, io)
    .addOption(targetsOption('kernel, modules, dtbs (comma-separated)'))
    .addOption(
      runtimeOption(
        `where make runs: auto, ${RUNTIME_KINDS.join(', ')} (auto: docker when a daemon answers)`,
        'auto',
      ),
    )
    .addOption(wholeNumberOption('-j, --jobs <n>', 'make -j (default: number of CPUs)'))
    .addOption(
      pathOption(
        '--out <dir>',
        'result and O= directory (default ./kmatrix-out/<source>-<arch>-<base>-<toolchain>)',
        io,
      ),
    )
    .option('--allow-unsatisfied', 'build even when a pin did not hold')
    .addOption(durationOption('--timeout <duration>', 'limit for the make steps: 90s, 30m, 2h'))
    .addOption(noCcacheOption())
    .option('--image <ref>', 'docker runtime: image to run in (default kmatrix/<toolchain>:latest)')
    .addOption(
      positiveNumberOption('--memory <GiB>', 'docker runtime: memory limit in GiB').default(8),
    )
    .addOption(positiveNumberOption('--cpus <n>', 'docker runtime: CPU limit (default: no limit)'))
    .option('--verbose', 'stream make output to stderr')
    .addOption(jsonOption('print result.json on stdout'))
    .action(async (raw: BuildOptions) => {
      const opts = await parseConfigOptions(raw, io.cwd);
      const wiring = buildWiring({
        env: io.env,
        cwd: io.cwd,
        cacheDir: opts.cacheDir,
        runner: execaRunner,
        emit: progressReporter(io.stderr),
        ccache: raw.ccache,
        signal: io.signal,
      });
      const emit = buildReporter(io.stderr, raw.verbose ?? false);

      // Runtime first: a missing daemon or image should fail before any work is done.
      const selected = await wiring.selectRuntime(raw.runtime, opts.toolchain, {
        ...(raw.image ? { imageRef: raw.image } : {}),
        memoryBytes: Math.round(raw.memory * 2 ** 30),
        ...(raw.cpus ? { cpus: raw.cpus } : {}),
      });
      emit({ type: 'build:runtime', note: selected.note });
      const tree = await wiring.resolveSource(raw.source);
      const outDir = raw.out ?? `${defaultOutDir(io.cwd, tree.label, opts)}-${opts.toolchain}`;
      const result = await interruptible(io.signal, (signal) =>
        runBuild(
          {
            tree,
            arch: opts.arch,
            toolchain: opts.toolchain,
            base: opts.base,
            pins: opts.pins,
            outDir,
            targets: raw.targets,
            jobs: raw.jobs ?? defaultMakeJobs(io.env),
            allowUnsatisfied: raw.allowUnsatisfied ?? false,
            ...(raw.timeout ? { timeoutMs: raw.timeout } : {}),
            signal,
          },
          wiring.buildDeps(selected.runtime, emit),
        ),
      );
      io.stdout.write(
        raw.json ? JSON.stringify(result, null, 2) + '\n' : renderBuildResult(result),
      );
      setExit(exitCodeFor(result.status));
    });
}
