// `kmatrix solve`: can these pins hold together? The fewest extra pins (checked by conf) or
// the Kconfig facts that make them impossible, per arch. Exit 0 satisfiable, 1 unsatisfiable,
// 2 usage/infrastructure, 3 undecided.
import type { Command } from 'commander';
import { buildWiring } from '../../build/deps.js';
import { ACCEPTED_BASES } from '../../config/base.js';
import { parsePins } from '../../config/pin.js';
import { KmatrixError } from '../../core/errors.js';
import type { KmatrixEvent } from '../../core/events.js';
import { createExecaRunner } from '../../process/runner.js';
import { progressLine, lineReporter } from '../../report/progress.js';
import { renderSolveReport, solveEventLine } from '../../report/solve.js';
import { createSolveDeps } from '../../solve/deps.js';
import type { SolveEvent } from '../../solve/result.js';
import { solvePins } from '../../solve/solve.js';
import type { SourceSpec } from '../../source/spec.js';
import { interruptible, type CliIo } from '../io.js';
import {
  addConfigOptions,
  collect,
  cpuCount,
  jsonOption,
  parseConfigOptions,
  sourceOption,
  wholeNumberOption,
  type RawConfigOptions,
} from '../options.js';

interface SolveOptions extends RawConfigOptions {
  source: SourceSpec;
  forbid: string[];
  keepBase?: boolean;
  maxExtra: number;
  jobs?: number;
  json?: boolean;
}

const EXIT = { satisfiable: 0, unsatisfiable: 1, undecided: 3 } as const;

export function registerSolve(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command('solve')
    .description(
      'the fewest extra pins that make the pins hold (checked by conf), or the Kconfig facts that make them impossible',
    )
    .addOption(sourceOption());
  addConfigOptions(cmd, io)
    .option('--forbid <SYM=VAL>', 'the answer must not have this value (repeatable)', collect, [])
    .option('--keep-base', 'extra pins may not switch off anything base + pins has on')
    .addOption(wholeNumberOption('--max-extra <n>', 'most extra pins to look for', 0).default(8))
    .addOption(wholeNumberOption('--jobs <n>', 'conf runs at once (default: number of CPUs)'))
    .addOption(jsonOption('print one JSON object on stdout'))
    .action(async (raw: SolveOptions) => {
      const opts = await parseConfigOptions(raw, io.cwd, { multiArch: true });
      const b = opts.base.kind;
      if (b !== 'defconfig' && b !== 'tinyconfig' && b !== 'file') {
        throw new KmatrixError(
          'usage',
          `kmatrix solve takes --base defconfig, tinyconfig or a config file, not ${b} (kmatrix config takes ${ACCEPTED_BASES})`,
        );
      }
      if (opts.pins.length === 0)
        throw new KmatrixError('usage', 'kmatrix solve needs at least one --set SYM=VAL pin');
      const forbid = parsePins(raw.forbid, '--forbid');
      const emit = lineReporter<KmatrixEvent | SolveEvent>(io.stderr, (e) =>
        e.type.startsWith('solve:')
          ? solveEventLine(e as SolveEvent)
          : progressLine(e as KmatrixEvent),
      );
      // children are cancelled through the abort signal (see src/bisect/runner.ts for why)
      const runner = createExecaRunner({ cleanup: false });
      const wiring = buildWiring({
        env: io.env,
        cwd: io.cwd,
        cacheDir: opts.cacheDir,
        runner,
        emit,
        ccache: false,
      });
      const tree = await wiring.resolveSource(raw.source);
      const report = await interruptible(io.signal, async (signal) =>
        solvePins(
          {
            tree,
            arches: opts.arches,
            toolchain: opts.toolchain,
            base: opts.base,
            pins: opts.pins,
            forbid,
            keepBase: raw.keepBase === true,
            maxExtra: raw.maxExtra,
          },
          await createSolveDeps({
            runner,
            cacheDir: opts.cacheDir,
            env: io.env,
            emit,
            jobs: raw.jobs ?? cpuCount(),
            signal,
          }),
        ),
      );
      io.stdout.write(
        raw.json ? JSON.stringify(report, null, 2) + '\n' : renderSolveReport(report),
      );
      setExit(EXIT[report.verdict]);
    });
}
