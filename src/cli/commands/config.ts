// `kmatrix config`: generate a config with the tree's own Kconfig and verify every pin,
// for one arch or several in parallel (`--arch arm,arm64,s390,x86_64`).
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Command } from 'commander';
import PQueue from 'p-queue';
import type { Arch } from '../../arch/arches.js';
import { explainResult, symbolLookup, type PinExplanation } from '../../config/kconfig-bridge.js';
import { generateConfig, type ConfigResult } from '../../config/generate.js';
import { KmatrixError } from '../../core/errors.js';
import { execaRunner } from '../../process/runner.js';
import { renderConfigResult } from '../../report/config-table.js';
import { progressReporter } from '../../report/progress.js';
import { resolveSource } from '../../source/resolve.js';
import type { CliIo } from '../io.js';
import {
  addConfigOptions,
  parseConfigOptions,
  type ConfigOptions,
  type RawConfigOptions,
} from '../options.js';

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

interface Cell {
  result: ConfigResult;
  explanations: Map<string, PinExplanation>;
}

function cellJson(c: Cell) {
  return {
    ...c.result,
    pins: c.result.pins.map((p) => ({
      ...p,
      explanation: c.explanations.get(p.symbol)?.tree ?? null,
    })),
  };
}

export function registerConfig(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addConfigOptions(
    program
      .command('config')
      .description('generate a kernel config from a base plus pins and verify that every pin holds')
      .option(
        '--out <dir>',
        'output (O=) directory (default ./kmatrix-out/<source>-<arch>-<base>; with several archs, DIR/<arch>)',
      )
      .option('--jobs <n>', 'cells configured in parallel (default: number of CPUs)')
      .option('--json', 'print one JSON object on stdout'),
  ).action(async (raw: RawConfigOptions & { out?: string; json?: boolean; jobs?: string }) => {
    const opts = await parseConfigOptions(raw, io.env, io.cwd, { multiArch: true });
    const jobs = raw.jobs === undefined ? availableParallelism() : Number(raw.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) {
      throw new KmatrixError('usage', `bad --jobs "${raw.jobs}": expected a whole number >= 1`);
    }
    const emit = progressReporter(io.stderr);
    const runner = execaRunner;
    const tree = await resolveSource(opts.source, {
      runner,
      cacheDir: opts.cacheDir,
      cwd: io.cwd,
      mirror: io.env['KMATRIX_DEBIAN_MIRROR'],
      emit,
    });
    const several = opts.arches.length > 1;
    const outFor = (arch: Arch) =>
      raw.out
        ? several
          ? join(resolve(io.cwd, raw.out), arch.name)
          : resolve(io.cwd, raw.out)
        : defaultOutDir(io.cwd, tree.label, opts, arch);
    const queue = new PQueue({ concurrency: jobs });
    const cells = await Promise.all(
      opts.arches.map((arch) =>
        queue.add(async (): Promise<Cell> => {
          const result = await generateConfig(
            {
              tree,
              arch,
              toolchain: opts.toolchain,
              base: opts.base,
              pins: opts.pins,
              outDir: outFor(arch),
            },
            { runner, cacheDir: opts.cacheDir, env: io.env, emit, symbols: symbolLookup },
          );
          return { result, explanations: await explainResult(tree, arch, result) };
        }),
      ),
    );
    const satisfied = cells.every((c) => c.result.verdict === 'satisfied');
    if (raw.json) {
      const body = several
        ? { verdict: satisfied ? 'satisfied' : 'unsatisfied', cells: cells.map(cellJson) }
        : cellJson(cells[0]!);
      io.stdout.write(JSON.stringify(body, null, 2) + '\n');
    } else {
      io.stdout.write(
        cells
          .map((c) =>
            renderConfigResult(c.result, new Map([...c.explanations].map(([k, v]) => [k, v.text]))),
          )
          .join('\n'),
      );
      if (several) {
        const bad = cells.filter((c) => c.result.verdict !== 'satisfied').map((c) => c.result.arch);
        io.stdout.write(
          `\n${cells.length} cells: ${cells.length - bad.length} satisfied, ${bad.length} unsatisfied${bad.length ? ` (${bad.join(', ')})` : ''}\n`,
        );
      }
    }
    setExit(satisfied ? 0 : 1);
  });
}
