// `kmatrix build`: generate and verify a config, then build it in a container (or on the
// host), and report per-target status, diagnostics and where the result dir is.
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { exitCodeFor, type BuildResult } from '../../build/result.js';
import { runBuild } from '../../build/run.js';
import { DEFAULT_TARGETS, parseDuration, parseTargets } from '../../build/targets.js';
import { generateConfig } from '../../config/generate.js';
import { symbolLookup } from '../../config/kconfig-bridge.js';
import { KmatrixError } from '../../core/errors.js';
import { execaRunner } from '../../process/runner.js';
import { buildProgressReporter } from '../../report/build-progress.js';
import { progressReporter } from '../../report/progress.js';
import { RUNTIME_KINDS } from '../../runtime/runtime.js';
import { selectRuntime, type RuntimeChoice } from '../../runtime/select.js';
import { resolveSource } from '../../source/resolve.js';
import type { CliIo } from '../io.js';
import { addConfigOptions, parseConfigOptions, type RawConfigOptions } from '../options.js';
import { defaultOutDir } from './config.js';

interface RawBuildOptions extends RawConfigOptions {
  targets: string;
  runtime: string;
  jobs?: string;
  out?: string;
  allowUnsatisfied?: boolean;
  timeout?: string;
  json?: boolean;
  ccache: boolean;
  verbose?: boolean;
  image?: string;
  memory?: string;
  cpus?: string;
}

function parseJobs(text: string | undefined, env: NodeJS.ProcessEnv): number {
  if (text === undefined) return Number(env['KMATRIX_JOBS'] ?? 0) || defaultJobs();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new KmatrixError('usage', `bad -j ${JSON.stringify(text)}: need a positive integer`);
  return n;
}

function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

function parsePositive(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new KmatrixError('usage', `bad ${what} ${JSON.stringify(text)}: need a positive number`);
  return n;
}

function parseRuntime(text: string): RuntimeChoice {
  if (text === 'auto' || (RUNTIME_KINDS as readonly string[]).includes(text))
    return text as RuntimeChoice;
  throw new KmatrixError(
    'usage',
    `unknown runtime ${JSON.stringify(text)}; accepted: auto, ${RUNTIME_KINDS.join(', ')}`,
  );
}

export function renderBuildResult(r: BuildResult): string {
  const out: string[] = [];
  const c = r.cell;
  out.push(
    `${r.status.toUpperCase()}  ${c.source.label} ${c.arch} ${c.base} ${c.toolchain}  (${(r.durationMs / 1000).toFixed(1)}s)`,
  );
  if (r.reason) out.push(`  reason: ${r.reason.split('\n')[0]}`);
  const rt =
    r.runtime.kind === 'docker'
      ? `docker ${r.runtime.image} ${r.runtime.imageId?.slice(0, 19)}`
      : 'local';
  out.push(`  runtime: ${rt}; compiler: ${r.toolchain.version || r.toolchain.compiler}`);
  out.push(
    `  config: ${r.config.verdict}${r.config.pins.length ? ` (${r.config.pins.filter((p) => p.status === 'holds').length}/${r.config.pins.length} pins hold)` : ''}`,
  );
  const drift = r.config.changedByBuild;
  if (drift.length) {
    const pinned = new Set(r.config.pins.map((p) => p.symbol));
    const shown = drift
      .slice(0, 8)
      .map(
        (c) =>
          `${c.symbol}${pinned.has(c.symbol) ? ' (PINNED)' : ''}: ${c.generated ?? 'unset'} -> ${c.built ?? 'unset'}`,
      );
    out.push(
      `  warning: the build changed ${drift.length} config symbol(s) (compiler probes differ from the host's): ${shown.join(', ')}${drift.length > 8 ? ', ...' : ''}`,
    );
  }
  for (const t of r.targets) {
    const extra =
      t.status === 'skipped' || t.status === 'infra-error'
        ? ` (${t.reason})`
        : t.exitCode !== undefined
          ? ` (exit ${t.exitCode})`
          : '';
    out.push(
      `  ${t.target.padEnd(8)} ${(t.goal ?? '').padEnd(8)} ${t.status}${extra}  ${(t.durationMs / 1000).toFixed(1)}s`,
    );
  }
  const errors = r.diagnostics.filter((d) => d.severity === 'error' && d.kind !== 'make');
  const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
  if (errors.length || warnings.length)
    out.push(`  diagnostics: ${r.counts.errors} error(s), ${r.counts.warnings} warning(s)`);
  for (const d of [...errors, ...warnings].slice(0, 20)) {
    const where = d.file
      ? `${d.file}${d.line ? `:${d.line}` : ''}${d.column ? `:${d.column}` : ''}`
      : d.kind;
    out.push(`    ${where}: ${d.severity}: ${d.message}`);
  }
  if (r.artifacts.length) out.push(`  artifacts: ${r.artifacts.join(', ')}`);
  out.push(`  result: ${r.files.result}`);
  out.push(`  log: ${r.files.log}`);
  out.push(`  reproducer: ${r.files.reproducer}`);
  return out.join('\n') + '\n';
}

export function registerBuild(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addConfigOptions(
    program
      .command('build')
      .description(
        'generate and verify a config, then build it in a container (docker) or on the host (local)',
      )
      .option(
        '--targets <list>',
        'kernel, modules, dtbs (comma-separated)',
        DEFAULT_TARGETS.join(','),
      )
      .option(
        '--runtime <rt>',
        `where make runs: auto, ${RUNTIME_KINDS.join(', ')} (auto: docker when a daemon answers)`,
        'auto',
      )
      .option('-j, --jobs <n>', 'make -j (default: number of CPUs)')
      .option(
        '--out <dir>',
        'result and O= directory (default ./kmatrix-out/<source>-<arch>-<base>-<toolchain>)',
      )
      .option('--allow-unsatisfied', 'build even when a pin did not hold')
      .option('--timeout <duration>', 'limit for the make steps: 90s, 30m, 2h')
      .option('--no-ccache', 'do not use the shared ccache')
      .option(
        '--image <ref>',
        'docker runtime: image to run in (default kmatrix/<toolchain>:latest)',
      )
      .option('--memory <GiB>', 'docker runtime: memory limit in GiB (default 8)')
      .option('--cpus <n>', 'docker runtime: CPU limit (default: no limit)')
      .option('--verbose', 'stream make output to stderr')
      .option('--json', 'print result.json on stdout'),
  ).action(async (raw: RawBuildOptions) => {
    const opts = await parseConfigOptions(raw, io.env, io.cwd);
    const targets = parseTargets(raw.targets);
    const jobs = parseJobs(raw.jobs, io.env);
    const choice = parseRuntime(raw.runtime);
    const timeoutMs = raw.timeout !== undefined ? parseDuration(raw.timeout) : undefined;
    const runner = execaRunner;
    const emit = progressReporter(io.stderr);
    const buildEmit = buildProgressReporter(io.stderr, {
      verbose: raw.verbose ?? false,
      commands: true,
    });

    // Runtime first: a missing daemon or image should fail before any work is done.
    const selected = await selectRuntime(choice, {
      env: io.env,
      toolchain: opts.toolchain,
      runner,
      ...(raw.image ? { imageRef: raw.image } : {}),
      memoryBytes: Math.round(parsePositive(raw.memory ?? '8', '--memory') * 2 ** 30),
      ...(raw.cpus ? { cpus: parsePositive(raw.cpus, '--cpus') } : {}),
    });
    buildEmit({ type: 'build:runtime', note: selected.note });

    const tree = await resolveSource(opts.source, {
      runner,
      cacheDir: opts.cacheDir,
      cwd: io.cwd,
      emit,
    });
    const outDir = raw.out
      ? resolve(io.cwd, raw.out)
      : `${defaultOutDir(io.cwd, tree.label, opts)}-${opts.toolchain}`;
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const result = await runBuild(
        {
          tree,
          arch: opts.arch,
          toolchain: opts.toolchain,
          base: opts.base,
          pins: opts.pins,
          outDir,
          targets,
          jobs,
          allowUnsatisfied: raw.allowUnsatisfied ?? false,
          ...(timeoutMs ? { timeoutMs } : {}),
          signal: abort.signal,
        },
        {
          runtime: selected.runtime,
          generateConfig: (req) =>
            generateConfig(req, {
              runner,
              cacheDir: opts.cacheDir,
              env: io.env,
              emit,
              symbols: symbolLookup,
              signal: abort.signal,
            }),
          emit: buildEmit,
          ...(raw.ccache ? { ccacheDir: join(opts.cacheDir, 'ccache') } : {}),
        },
      );
      io.stdout.write(
        raw.json ? JSON.stringify(result, null, 2) + '\n' : renderBuildResult(result),
      );
      setExit(exitCodeFor(result.status));
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  });
}
