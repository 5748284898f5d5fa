// `kmatrix config-bisect`: the smallest set of symbol changes that turns a good config bad
// (ddmin with olddefconfig closure). Exit 0 found, 1 not reproducible from the differing
// values, 3 the good config is not good or the bad one not bad, 2 usage or infrastructure.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Arch } from '../../arch/arches.js';
import { configBisect } from '../../bisect/config-bisect.js';
import { configBisectExitCode } from '../../bisect/exit-code.js';
import type { Predicate } from '../../bisect/run.js';
import { bisectRunner } from '../../bisect/runner.js';
import { buildWiring } from '../../build/deps.js';
import { readConfigFile } from '../../config/fragment.js';
import { parsePins } from '../../config/pin.js';
import { kconfigTools } from '../../config/tools.js';
import { KmatrixError } from '../../core/errors.js';
import { configBisectEventLine, renderConfigBisect } from '../../report/config-bisect.js';
import { lineReporter, progressReporter } from '../../report/progress.js';
import type { SourceSpec } from '../../source/spec.js';
import { TOOLCHAINS, type ToolchainName } from '../../toolchain/toolchains.js';
import { interruptible, type CliIo } from '../io.js';
import {
  cacheDirOption,
  collect,
  jsonOption,
  parseArch,
  parseToolchain,
  sourceOption,
} from '../options.js';
import { addPredicateOptions, buildPredicate, type BuildPredicateOptions } from './bisect.js';

interface ConfigBisectOptions extends BuildPredicateOptions {
  source: SourceSpec;
  arch: Arch;
  good: string;
  bad: string;
  toolchain: ToolchainName;
  require: string[];
  build?: boolean;
  json?: boolean;
}

function readConfig(cwd: string, path: string, option: string): Promise<string> {
  return readConfigFile(resolve(cwd, path), { what: `${option} config`, shown: path });
}

export function registerConfigBisect(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const cmd = program
    .command('config-bisect')
    .description(
      'find the smallest set of symbol changes that turns a good .config bad (ddmin, olddefconfig closure at each step)',
    )
    .addOption(sourceOption('kernel tree: a path, git:PATH@REF, or debian:VERSION'))
    .requiredOption('--arch <arch>', 'architecture', parseArch)
    .requiredOption('--good <file>', 'a .config where the predicate holds')
    .requiredOption('--bad <file>', 'a .config where it does not')
    .option('--toolchain <tc>', `toolchain: ${TOOLCHAINS.join(', ')}`, parseToolchain, 'gcc')
    .addOption(cacheDirOption(io, 'cache'))
    .option('--require <SYM=VAL>', 'config predicate (repeatable)', collect, []);
  addPredicateOptions(cmd, 'the bad config’s errors')
    .addOption(jsonOption('print the result as JSON on stdout'))
    .action(async (raw: ConfigBisectOptions) => {
      const goodText = await readConfig(io.cwd, raw.good, '--good');
      const badText = await readConfig(io.cwd, raw.bad, '--bad');
      if (raw.build && raw.require.length)
        throw new KmatrixError('usage', 'give either --require or --build, not both');
      if (!raw.build && raw.require.length === 0)
        throw new KmatrixError(
          'usage',
          'give a predicate: --require SYM=VAL (repeatable) or --build',
        );
      const predicate: Predicate = raw.build
        ? await buildPredicate(raw, raw.toolchain, io)
        : { kind: 'config', requires: parsePins(raw.require, '--require') };
      const tree = await buildWiring({
        env: io.env,
        cwd: io.cwd,
        cacheDir: raw.cacheDir,
        runner: bisectRunner,
        emit: progressReporter(io.stderr),
        ccache: false,
      }).resolveSource(raw.source);
      const { arch, toolchain, cacheDir } = raw;
      // conf built once per tree into the cache, as `kmatrix config` does, not in each bisect
      const tools = await kconfigTools(tree, {
        runner: bisectRunner,
        cacheDir,
        emit: progressReporter(io.stderr),
        env: io.env,
      });
      const result = await interruptible(io.signal, (signal) =>
        configBisect(
          { tree, arch, toolchain, goodText, badText, predicate, cacheDir, signal, tools },
          {
            runner: bisectRunner,
            env: io.env,
            emit: lineReporter(io.stderr, configBisectEventLine),
          },
        ),
      );
      io.stdout.write(
        raw.json ? JSON.stringify(result, null, 2) + '\n' : renderConfigBisect(result),
      );
      setExit(configBisectExitCode(result));
    });
}
