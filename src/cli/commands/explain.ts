// `kmatrix explain SYMBOL[=VALUE]`: why a symbol has its value in a .config, as a tree
// of Kconfig causes (text, or JSON with --json).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { acceptedArchSpellings } from '../../arch/arches.js';
import { parseDotConfig } from '../../config/dotconfig.js';
import { modelFor } from '../../config/kconfig-bridge.js';
import { readConfigFile } from '../../config/fragment.js';
import { parsePin, parsePins } from '../../config/pin.js';
import { pinStatus } from '../../config/verify.js';
import { KmatrixError } from '../../core/errors.js';
import {
  explainPinInTree,
  findDefinitionsAllArches,
  renderExplanation,
} from '../../kconfig/index.js';
import { buildWiring } from '../../build/deps.js';
import { execaRunner } from '../../process/runner.js';
import { progressReporter } from '../../report/progress.js';
import type { SourceSpec } from '../../source/spec.js';
import type { Arch } from '../../arch/arches.js';
import { cacheDirOption, jsonOption, parseArch, sourceOption } from '../options.js';
import type { CliIo } from '../io.js';

interface ExplainOptions {
  source: SourceSpec;
  arch: Arch;
  config: string;
  json?: boolean;
  pin?: string[];
  cacheDir: string;
}

export function registerExplain(program: Command, io: CliIo, setExit: (n: number) => void): void {
  program
    .command('explain')
    .description(
      'explain why SYMBOL (optionally SYMBOL=VALUE, the value you asked for) has its value in a .config',
    )
    .argument(
      '<symbol>',
      'Kconfig symbol, with or without CONFIG_, optionally =y|m|n|value (default y)',
    )
    .addOption(sourceOption('kernel tree: a path, git:PATH@REF, or debian:VERSION'))
    .requiredOption('--arch <arch>', `architecture (${acceptedArchSpellings()})`, parseArch)
    .requiredOption('--config <file>', 'the .config to explain')
    .option('--pin <SYM=VALUE...>', 'other pinned symbols (explanations stop at them)')
    .addOption(jsonOption('print the explanation tree as JSON'))
    .addOption(cacheDirOption(io, 'cache for trees'))
    .action(async (symbolArg: string, opts: ExplainOptions) => {
      const withValue = symbolArg.includes('=') ? symbolArg : `${symbolArg}=y`;
      const asked = parsePin(withValue, 'SYMBOL argument');
      if (!asked.ok) throw new KmatrixError('bad-pin', asked.message);
      const others = parsePins(opts.pin ?? [], '--pin');
      const arch = opts.arch;
      const configText = await readConfigFile(resolve(io.cwd, opts.config), {
        what: '--config',
        shown: opts.config,
      });
      const tree = await buildWiring({
        env: io.env,
        cwd: io.cwd,
        cacheDir: opts.cacheDir,
        runner: execaRunner,
        emit: progressReporter(io.stderr),
        ccache: false,
      }).resolveSource(opts.source);
      const model = await modelFor(tree, arch);
      const values = parseDotConfig(configText);
      const result = pinStatus(asked.pin, values, model);
      const pins = new Map<string, string>([
        ...others.map((p) => [p.symbol, p.value] as const),
        [asked.pin.symbol, asked.pin.value],
      ]);
      const node = await explainPinInTree(
        tree.path,
        model,
        values,
        result,
        pins,
        findDefinitionsAllArches,
      );
      io.stdout.write(opts.json ? JSON.stringify(node, null, 2) + '\n' : renderExplanation(node));
      setExit(0);
    });
}
