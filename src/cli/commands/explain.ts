// `kmatrix explain SYMBOL[=VALUE]`: why a symbol has its value in a .config, as a tree
// of Kconfig causes (text, or JSON with --json).
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { acceptedArchSpellings, findArch } from '../../arch/arches.js';
import { parseDotConfig } from '../../config/dotconfig.js';
import { KmatrixError, errorMessage } from '../../core/errors.js';
import {
  explainPinInTree,
  findDefinitionsAllArches,
  loadKconfigModel,
  renderExplanation,
  type PinStatus,
} from '../../kconfig/index.js';
import type { CliIo } from '../io.js';

interface ExplainOptions {
  source: string;
  arch: string;
  config: string;
  json?: boolean;
  pin?: string[];
}

const ORDER: Record<string, number> = { n: 0, m: 1, y: 2 };

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
    .requiredOption('--source <path>', 'kernel source tree')
    .requiredOption('--arch <arch>', `architecture (${acceptedArchSpellings()})`)
    .requiredOption('--config <file>', 'the .config to explain')
    .option('--pin <SYM=VALUE...>', 'other pinned symbols (explanations stop at them)')
    .option('--json', 'print the explanation tree as JSON')
    .action(async (symbolArg: string, opts: ExplainOptions) => {
      const [rawSym, requested = 'y'] = symbolArg.split('=', 2) as [string, string | undefined];
      const symbol = rawSym.replace(/^CONFIG_/, '');
      if (!/^[A-Za-z0-9_]+$/.test(symbol)) {
        throw new KmatrixError(
          'bad-pin',
          `bad symbol "${symbolArg}": expected NAME or NAME=VALUE (e.g. KEXEC=n)`,
        );
      }
      const arch = findArch(opts.arch);
      if (!arch)
        throw new KmatrixError(
          'bad-arch',
          `unknown arch "${opts.arch}": accepted are ${acceptedArchSpellings()}`,
        );
      const srcTree = resolve(io.cwd, opts.source);
      const isTree = await stat(resolve(srcTree, 'Kconfig')).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!isTree)
        throw new KmatrixError(
          'not-a-kernel-tree',
          `--source ${opts.source}: no Kconfig file there; expected a kernel source tree`,
        );
      let configText: string;
      try {
        configText = await readFile(resolve(io.cwd, opts.config), 'utf8');
      } catch (e) {
        throw new KmatrixError(
          'bad-config-file',
          `cannot read --config ${opts.config}: ${errorMessage(e)}; expected a readable .config file`,
        );
      }
      const pins = new Map<string, string>([[symbol, requested]]);
      for (const p of opts.pin ?? []) {
        const [s, v] = p.split('=', 2);
        if (!s || v === undefined)
          throw new KmatrixError('bad-pin', `bad --pin "${p}": expected SYM=VALUE`);
        pins.set(s.replace(/^CONFIG_/, ''), v);
      }
      const model = await loadKconfigModel({ srcTree, arch });
      const values = parseDotConfig(configText);
      const effective = values.get(symbol) ?? 'n';
      const status = pinStatus(model.isDefined(symbol), requested, effective);
      const tree = await explainPinInTree(
        srcTree,
        model,
        values,
        { symbol, requested, effective, status },
        pins,
        findDefinitionsAllArches,
      );
      io.stdout.write(opts.json ? JSON.stringify(tree, null, 2) + '\n' : renderExplanation(tree));
      setExit(0);
    });
}

function pinStatus(defined: boolean, requested: string, effective: string): PinStatus {
  if (!defined) return 'unavailable';
  if (requested === effective) return 'holds';
  const r = ORDER[requested];
  const e = ORDER[effective];
  if (r !== undefined && e !== undefined && e < r) return 'dropped';
  return 'overridden';
}
