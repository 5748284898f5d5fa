// `kmatrix config-bisect`: the smallest set of symbol changes that turns a good config bad
// (ddmin with olddefconfig closure). Exit 0 found, 1 not reproducible from the differing
// values, 3 the good config is not good or the bad one not bad, 2 usage or infrastructure.
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  configBisect,
  type ConfigBisectEvent,
  type ConfigBisectResult,
} from '../../bisect/config-bisect.js';
import type { Predicate } from '../../bisect/run.js';
import { DEFAULT_TARGETS, parseDuration, parseTargets } from '../../build/targets.js';
import { readConfigFile } from '../../config/fragment.js';
import { parsePins } from '../../config/pin.js';
import { KmatrixError, unreachable } from '../../core/errors.js';
import { defaultCacheDir } from '../../fsutil/cache.js';
import { bisectRunner } from '../../bisect/runner.js';
import { progressReporter } from '../../report/progress.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import { selectRuntime, type RuntimeChoice } from '../../runtime/select.js';
import { resolveSource } from '../../source/resolve.js';
import { parseSourceSpec } from '../../source/spec.js';
import { TOOLCHAINS } from '../../toolchain/toolchains.js';
import type { CliIo } from '../io.js';
import { parseArch, parseToolchain } from '../options.js';
import { withAbort } from './bisect.js';

const collect = (v: string, acc: string[]) => [...acc, v];

interface RawConfigBisect {
  source: string;
  arch: string;
  good: string;
  bad: string;
  toolchain: string;
  cacheDir?: string;
  require: string[];
  build?: boolean;
  targets: string;
  match?: string;
  runtime: string;
  jobs?: string;
  timeout?: string;
  ccache: boolean;
  json?: boolean;
}

function eventLine(e: ConfigBisectEvent): string {
  switch (e.type) {
    case 'cbisect:endpoint':
      return `${e.which} config: ${e.verdict} (${e.why})`;
    case 'cbisect:diff':
      return `${e.symbols} differing symbol(s) to minimize${e.excluded.length ? ` (not counting required ${e.excluded.join(', ')})` : ''}`;
    case 'cbisect:test':
      return `test ${e.n}: ${e.size} change(s) -> ${e.verdict}${e.cached ? ' (same config as an earlier test)' : ''}: ${e.why}`;
    default:
      return unreachable(e);
  }
}

export function renderConfigBisect(r: ConfigBisectResult): string {
  const out: string[] = [];
  const stats = `${r.tests} test(s), ${r.configRuns} olddefconfig run(s), ${(r.durationMs / 1000).toFixed(1)}s`;
  switch (r.kind) {
    case 'found':
      out.push(
        `minimal change: ${r.minimal.length} symbol(s) of ${r.differing} differing (${stats})`,
      );
      for (const c of r.minimal) out.push(`  ${c.symbol.padEnd(28)} ${c.good} -> ${c.bad}`);
      if (r.consequences.length) {
        out.push(`olddefconfig then also changes:`);
        for (const c of r.consequences.slice(0, 30))
          out.push(`  ${c.symbol.padEnd(28)} ${c.good} -> ${c.bad}`);
        if (r.consequences.length > 30) out.push(`  ... ${r.consequences.length - 30} more`);
      }
      out.push(
        `result: ${r.outcome.verdict === 'fail' ? 'bad' : r.outcome.verdict}: ${r.outcome.why}`,
      );
      break;
    case 'endpoints':
      out.push('the configs do not bracket a regression:');
      for (const p of r.problems) out.push(`  ${p}`);
      break;
    case 'not-reproduced':
      out.push(`not reproduced: ${r.why} (${stats})`);
      break;
    default:
      unreachable(r);
  }
  return out.join('\n') + '\n';
}

export function configBisectExitCode(r: ConfigBisectResult): 0 | 1 | 3 {
  switch (r.kind) {
    case 'found':
      return 0;
    case 'not-reproduced':
      return 1;
    case 'endpoints':
      return 3;
    default:
      return unreachable(r);
  }
}

export function registerConfigBisect(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  program
    .command('config-bisect')
    .description(
      'find the smallest set of symbol changes that turns a good .config bad (ddmin, olddefconfig closure at each step)',
    )
    .requiredOption('--source <src>', 'kernel tree: a path, git:PATH@REF, or debian:VERSION')
    .requiredOption('--arch <arch>', 'architecture')
    .requiredOption('--good <file>', 'a .config where the predicate holds')
    .requiredOption('--bad <file>', 'a .config where it does not')
    .option('--toolchain <tc>', `toolchain: ${TOOLCHAINS.join(', ')}`, 'gcc')
    .option('--cache-dir <dir>', 'cache (default $KMATRIX_CACHE or $XDG_CACHE_HOME/kmatrix)')
    .option('--require <SYM=VAL>', 'config predicate (repeatable)', collect, [])
    .option('--build', 'build predicate: bad when the build fails with the matching diagnostic')
    .option('--targets <list>', 'build targets', DEFAULT_TARGETS.join(','))
    .option('--match <text>', 'diagnostic fingerprint or text (default: the bad config’s errors)')
    .option('--runtime <rt>', `build runtime: ${RUNTIME_KINDS.join(', ')}`, 'local')
    .option('-j, --jobs <n>', 'make -j for builds')
    .option('--timeout <duration>', 'per-build limit')
    .option('--no-ccache', 'do not use the shared ccache')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (raw: RawConfigBisect) => {
      const arch = parseArch(raw.arch);
      const toolchain = parseToolchain(raw.toolchain);
      const cacheDir = raw.cacheDir ? resolve(io.cwd, raw.cacheDir) : defaultCacheDir(io.env);
      const readConfig = (p: string, what: string) =>
        readConfigFile(resolve(io.cwd, p), { what: `${what} config`, shown: p });
      const goodText = await readConfig(raw.good, '--good');
      const badText = await readConfig(raw.bad, '--bad');
      if (raw.build && raw.require.length)
        throw new KmatrixError('usage', 'give either --require or --build, not both');
      if (!raw.build && raw.require.length === 0)
        throw new KmatrixError(
          'usage',
          'give a predicate: --require SYM=VAL (repeatable) or --build',
        );
      let predicate: Predicate;
      if (raw.build) {
        const selected = await selectRuntime(parseRuntime(raw.runtime), {
          env: io.env,
          toolchain,
          runner: bisectRunner,
        });
        io.stderr.write(`kmatrix: ${selected.note}\n`);
        const jobs = raw.jobs ? Number(raw.jobs) : availableParallelism();
        if (!Number.isInteger(jobs) || jobs < 1)
          throw new KmatrixError('usage', `bad --jobs ${JSON.stringify(raw.jobs)}`);
        predicate = {
          kind: 'build',
          targets: parseTargets(raw.targets),
          ...(raw.match ? { match: raw.match } : {}),
          jobs,
          runtime: selected.runtime,
          ...(raw.timeout ? { timeoutMs: parseDuration(raw.timeout) } : {}),
          ...(raw.ccache ? { ccacheDir: join(cacheDir, 'ccache') } : {}),
        };
      } else {
        predicate = { kind: 'config', requires: parsePins(raw.require, '--require') };
      }
      const tree = await resolveSource(parseSourceSpec(raw.source), {
        runner: bisectRunner,
        cacheDir,
        cwd: io.cwd,
        emit: progressReporter(io.stderr),
      });
      const result = await withAbort((signal) =>
        configBisect(
          { tree, arch, toolchain, goodText, badText, predicate, cacheDir, signal },
          {
            runner: bisectRunner,
            env: io.env,
            emit: (e) => io.stderr.write(`kmatrix: ${eventLine(e)}\n`),
          },
        ),
      );
      io.stdout.write(
        raw.json ? JSON.stringify(result, null, 2) + '\n' : renderConfigBisect(result),
      );
      setExit(configBisectExitCode(result));
    });
}

function parseRuntime(text: string): RuntimeChoice {
  if (text === 'auto' || (RUNTIME_KINDS as readonly string[]).includes(text))
    return text as RuntimeChoice;
  throw new KmatrixError(
    'usage',
    `unknown runtime ${JSON.stringify(text)}; accepted: auto, ${RUNTIME_KINDS.join(', ')}`,
  );
}
