// `kmatrix config`: generate a config with the tree's own Kconfig and verify every pin,
// for one arch or several in parallel (`--arch arm,arm64,s390,x86_64`).
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import PQueue from 'p-queue';
import type { Arch } from '../../arch/arches.js';
import { buildWiring } from '../../build/deps.js';
import { explainResult } from '../../config/kconfig-bridge.js';
import { execaRunner } from '../../process/runner.js';
import { configJson, renderConfigCells, type ExplainedConfig } from '../../report/config-table.js';
import { progressReporter } from '../../report/progress.js';
import type { SourceSpec } from '../../source/spec.js';
import { KmatrixError } from '../../core/errors.js';
import { interruptible, type CliIo } from '../io.js';
import {
  addConfigOptions,
  cpuCount,
  jsonOption,
  parseConfigOptions,
  pathOption,
  sourceOption,
  wholeNumberOption,
  type ConfigOptions,
  type RawConfigOptions,
} from '../options.js';

interface ConfigCommandOptions extends RawConfigOptions {
  source: SourceSpec;
  out?: string;
  jobs?: number;
  json?: boolean;
}

export function defaultOutDir(
  cwd: string,
  label: string,
  o: Pick<ConfigOptions, 'base' | 'arch'>,
  arch: Arch = o.arch,
): string {
  const base =
    o.base.kind === 'file'
      ? `file-${basename(o.base.path)}`
      : o.base.kind === 'randconfig'
        ? `randconfig-${o.base.seed}`
        : o.base.kind;
  return resolve(cwd, 'kmatrix-out', `${label}-${arch.name}-${base}`);
}

export function registerConfig(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command('config')
    .description('generate a kernel config from a base plus pins and verify that every pin holds')
    .addOption(sourceOption());
  addConfigOptions(cmd, io)
    .addOption(
      pathOption(
        '--out <dir>',
        'output (O=) directory (default ./kmatrix-out/<source>-<arch>-<base>; with several archs, DIR/<arch>)',
        io,
      ),
    )
    .addOption(
      wholeNumberOption('--jobs <n>', 'cells configured in parallel (default: number of CPUs)'),
    )
    .addOption(jsonOption('print one JSON object on stdout'))
    .action(async (raw: ConfigCommandOptions) => {
      const opts = await parseConfigOptions(raw, io.cwd, { multiArch: true });
      const wiring = buildWiring({
        env: io.env,
        cwd: io.cwd,
        cacheDir: opts.cacheDir,
        runner: execaRunner,
        emit: progressReporter(io.stderr),
        ccache: false,
      });
      const tree = await wiring.resolveSource(raw.source);
      const several = opts.arches.length > 1;
      const outFor = (arch: Arch) =>
        raw.out
          ? several
            ? join(raw.out, arch.name)
            : raw.out
          : defaultOutDir(io.cwd, tree.label, opts, arch);
      const queue = new PQueue({ concurrency: raw.jobs ?? cpuCount() });
      const cells = await interruptible(io.signal, async (signal) => {
        // Every arch settles (an interrupted one removes its staging dir) before we go on.
        const settled = await Promise.allSettled(
          opts.arches.map((arch) =>
            queue.add(async (): Promise<ExplainedConfig> => {
              if (signal.aborted) throw stopped(signal);
              const result = await wiring.generateConfig(
                {
                  tree,
                  arch,
                  toolchain: opts.toolchain,
                  base: opts.base,
                  pins: opts.pins,
                  outDir: outFor(arch),
                },
                signal,
              );
              return { result, explanations: await explainResult(tree, arch, result) };
            }),
          ),
        );
        if (signal.aborted) throw stopped(signal);
        return settled.map((s) => {
          if (s.status === 'rejected') throw s.reason;
          return s.value;
        });
      });
      io.stdout.write(
        raw.json ? JSON.stringify(configJson(cells), null, 2) + '\n' : renderConfigCells(cells),
      );
      setExit(cells.every((c) => c.result.verdict === 'satisfied') ? 0 : 1);
    });
}

function stopped(signal: AbortSignal): KmatrixError {
  return new KmatrixError(
    'command-failed',
    `stopped (${String(signal.reason)}): nothing was written (an output dir is published only once complete)`,
  );
}
