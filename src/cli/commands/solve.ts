// `kmatrix solve`: can these pins hold together? The fewest extra pins (checked by conf) or
// the Kconfig facts that make them impossible, per arch. Exit 0 satisfiable, 1 unsatisfiable,
// 3 undecided, 2 usage/infrastructure.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { ACCEPTED_BASES } from '../../config/base.js';
import { parsePins } from '../../config/pin.js';
import { KmatrixError } from '../../core/errors.js';
import { execaRunner } from '../../process/runner.js';
import { progressReporter } from '../../report/progress.js';
import { renderSolveReport, solveEventLine, type SolveEvent } from '../../report/solve.js';
import { createSolveDeps } from '../../solve/deps.js';
import { solvePins } from '../../solve/solve.js';
import { resolveSource } from '../../source/resolve.js';
import type { KmatrixEvent } from '../../core/events.js';
import type { CliIo } from '../io.js';
import { addConfigOptions, parseConfigOptions, type RawConfigOptions } from '../options.js';

interface RawSolveOptions extends RawConfigOptions {
  forbid: string[];
  keepBase?: boolean;
  maxExtra: string;
  jobs?: string;
  json?: boolean;
}

const EXIT = { satisfiable: 0, unsatisfiable: 1, undecided: 3 } as const;

function wholeNumber(text: string, option: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min)
    throw new KmatrixError('usage', `bad ${option} "${text}": expected a whole number >= ${min}`);
  return n;
}

export function registerSolve(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addConfigOptions(
    program
      .command('solve')
      .description(
        'find the fewest extra pins that make the pins hold (checked by conf), or prove that no config can',
      )
      .option(
        '--forbid <SYM=VAL>',
        'the answer must not have this value (repeatable)',
        (v: string, acc: string[]) => [...acc, v],
        [],
      )
      .option('--keep-base', 'extra pins may not switch off anything base + pins has on')
      .option('--max-extra <n>', 'most extra pins to look for', '8')
      .option('--jobs <n>', 'conf runs at once (default: number of CPUs)')
      .option('--json', 'print one JSON object on stdout'),
  ).action(async (raw: RawSolveOptions) => {
    const opts = await parseConfigOptions(raw, io.env, io.cwd, { multiArch: true });
    const b = opts.base.kind;
    if (b !== 'defconfig' && b !== 'tinyconfig' && b !== 'file') {
      throw new KmatrixError(
        'usage',
        `kmatrix solve takes --base defconfig, tinyconfig or a config file, not ${b} (accepted by config: ${ACCEPTED_BASES})`,
      );
    }
    if (opts.pins.length === 0)
      throw new KmatrixError('usage', 'kmatrix solve needs at least one --set SYM=VAL pin');
    const forbid = parsePins(raw.forbid, '--forbid');
    const maxExtra = wholeNumber(raw.maxExtra, '--max-extra', 0);
    const jobs =
      raw.jobs === undefined ? availableParallelism() : wholeNumber(raw.jobs, '--jobs', 1);
    const progress = progressReporter(io.stderr);
    const emit = (e: KmatrixEvent | SolveEvent) => {
      if (e.type.startsWith('solve:')) {
        const line = solveEventLine(e as SolveEvent);
        if (line) io.stderr.write(`kmatrix: ${line}\n`);
      } else progress(e as KmatrixEvent);
    };
    const runner = execaRunner;
    const tree = await resolveSource(opts.source, {
      runner,
      cacheDir: opts.cacheDir,
      cwd: io.cwd,
      mirror: io.env['KMATRIX_DEBIAN_MIRROR'],
      emit,
    });
    const deps = await createSolveDeps({
      runner,
      cacheDir: opts.cacheDir,
      env: io.env,
      emit,
      jobs,
    });
    const report = await solvePins(
      {
        tree,
        arches: opts.arches,
        toolchain: opts.toolchain,
        base: opts.base,
        pins: opts.pins,
        forbid,
        keepBase: raw.keepBase === true,
        maxExtra,
      },
      deps,
    );
    io.stdout.write(raw.json ? JSON.stringify(report, null, 2) + '\n' : renderSolveReport(report));
    setExit(EXIT[report.verdict]);
  });
}
