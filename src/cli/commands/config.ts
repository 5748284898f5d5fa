// `kmatrix config`: generate a config with the tree's own Kconfig and verify every pin.
import { basename, resolve } from 'node:path';
import { Command } from 'commander';
import { generateConfig, type ConfigResult } from '../../config/generate.js';
import { progressReporter } from '../../report/progress.js';
import { renderConfigResult } from '../../report/config-table.js';
import { execaRunner } from '../../process/runner.js';
import { resolveSource } from '../../source/resolve.js';
import type { CliIo } from '../io.js';
import {
  addConfigOptions,
  parseConfigOptions,
  type ConfigOptions,
  type RawConfigOptions,
} from '../options.js';
import { explainResult, symbolLookup } from '../../config/kconfig-bridge.js';

export function defaultOutDir(
  cwd: string,
  label: string,
  o: Pick<ConfigOptions, 'arch' | 'base'>,
): string {
  const base =
    o.base.kind === 'file'
      ? `file-${basename(o.base.path)}`
      : o.base.kind === 'randconfig'
        ? `randconfig-${o.base.seed}`
        : o.base.kind;
  return resolve(cwd, 'kmatrix-out', `${label}-${o.arch.name}-${base}`);
}

export function registerConfig(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addConfigOptions(
    program
      .command('config')
      .description('generate a kernel config from a base plus pins and verify that every pin holds')
      .option('--out <dir>', 'output (O=) directory (default ./kmatrix-out/<source>-<arch>-<base>)')
      .option('--json', 'print one JSON object on stdout'),
  ).action(async (raw: RawConfigOptions & { out?: string; json?: boolean }) => {
    const opts = await parseConfigOptions(raw, io.env, io.cwd);
    const emit = progressReporter(io.stderr);
    const runner = execaRunner;
    const tree = await resolveSource(opts.source, {
      runner,
      cacheDir: opts.cacheDir,
      cwd: io.cwd,
      mirror: io.env['KMATRIX_DEBIAN_MIRROR'],
      emit,
    });
    const outDir = raw.out ? resolve(io.cwd, raw.out) : defaultOutDir(io.cwd, tree.label, opts);
    const result: ConfigResult = await generateConfig(
      {
        tree,
        arch: opts.arch,
        toolchain: opts.toolchain,
        base: opts.base,
        pins: opts.pins,
        outDir,
      },
      { runner, cacheDir: opts.cacheDir, env: io.env, emit, symbols: symbolLookup },
    );
    const explanations = await explainResult(tree, opts.arch, result);
    if (raw.json) {
      io.stdout.write(
        JSON.stringify(
          {
            ...result,
            pins: result.pins.map((p) => ({
              ...p,
              explanation: explanations.get(p.symbol)?.tree ?? null,
            })),
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      const text = new Map([...explanations].map(([k, v]) => [k, v.text]));
      io.stdout.write(renderConfigResult(result, text));
    }
    setExit(result.verdict === 'satisfied' ? 0 : 1);
  });
}
