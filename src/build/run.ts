// One build cell: generate and verify the config, then make each target in the chosen
// runtime, and leave a result dir that explains itself (.config, build.log, result.json,
// reproducer.sh) whatever happened.
import { access, appendFile, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import type { Base } from '../config/base.js';
import type { ConfigRequest, ConfigResult } from '../config/generate.js';
import type { Pin } from '../config/pin.js';
import { isKmatrixError } from '../core/errors.js';
import { countBySeverity, parseBuildLog } from '../diagnostics/parse.js';
import { reproducerUserLines } from '../runtime/hardening.js';
import type { CommandOwner, Runtime, RunOutcome, Workspace } from '../runtime/runtime.js';
import { shellJoin, shellQuote } from '../process/shell-quote.js';
import { formatSourceSpec } from '../source/spec.js';
import type { KernelTree } from '../source/tree.js';
import { compilerCommand, toolchainMakeVars, type ToolchainName } from '../toolchain/toolchains.js';
import type { BuildEvent } from './events.js';
import { OUT_PLACEHOLDER, renderReproducer } from './reproducer.js';
import type { BuildResult, BuildStatus, TargetResult } from './result.js';
import { configChanges, configValues, planTargets, type BuildTarget } from './targets.js';

export interface BuildRequest {
  tree: KernelTree;
  arch: Arch;
  toolchain: ToolchainName;
  base: Base;
  pins: readonly Pin[];
  /** Result dir and make's O= dir (created by config generation). */
  outDir: string;
  targets: readonly BuildTarget[];
  jobs: number;
  allowUnsatisfied: boolean;
  /** Limit for the make steps (config generation is not counted). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The matrix run and cell this build is for (names and labels its containers). */
  owner?: CommandOwner;
}

export interface BuildDeps {
  runtime: Runtime;
  /** The lead's generateConfig with its deps bound (host make; see src/config). */
  generateConfig: (req: ConfigRequest) => Promise<ConfigResult>;
  emit: (e: BuildEvent) => void;
  /** Shared compiler cache; undefined disables ccache. */
  ccacheDir?: string;
}

export const RESULT_JSON = 'result.json';
export const BUILD_LOG = 'build.log';
export const REPRODUCER = 'reproducer.sh';

/** Identical in both runtimes, so a docker and a local build of a cell match. */
const BUILD_ENV = { KBUILD_BUILD_USER: 'kmatrix', KBUILD_BUILD_HOST: 'kmatrix' };

export function makeArgv(
  paths: { source: string; out: string },
  arch: Arch,
  toolchain: ToolchainName,
  jobs: number,
  goal: string,
): string[] {
  return [
    'make',
    '-C',
    paths.source,
    `O=${paths.out}`,
    ...toolchainMakeVars(arch, toolchain),
    `-j${jobs}`,
    goal,
  ];
}

export async function runBuild(req: BuildRequest, deps: BuildDeps): Promise<BuildResult> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const cell = `${req.tree.label}/${req.arch.name}/${req.base.kind}/${req.toolchain}`;
  const { runtime, emit } = deps;
  const files = {
    config: join(req.outDir, '.config'),
    log: join(req.outDir, BUILD_LOG),
    result: join(req.outDir, RESULT_JSON),
    reproducer: join(req.outDir, REPRODUCER),
  };
  const cc = compilerCommand(req.arch, req.toolchain);
  const makeVars = toolchainMakeVars(req.arch, req.toolchain);

  let cfg: ConfigResult;
  try {
    cfg = await deps.generateConfig({
      tree: req.tree,
      arch: req.arch,
      toolchain: req.toolchain,
      base: req.base,
      pins: req.pins,
      outDir: req.outDir,
    });
  } catch (e) {
    // Usage problems (bad tree, missing host toolchain, foreign out dir) stay exceptions;
    // a Kconfig run that failed or was cancelled is this cell's outcome.
    if (!isKmatrixError(e) || !['kconfig-failed', 'command-failed'].includes(e.code)) throw e;
    const status: BuildStatus = req.signal?.aborted ? 'cancelled' : 'infra-error';
    const result = emptyResult(req, {
      status,
      reason: `config generation failed: ${e.message}${e.detail ? `\n${e.detail}` : ''}`,
      startedAt,
      durationMs: Date.now() - started,
      runtime,
      files,
      cc,
      makeVars,
    });
    emit({ type: 'build:done', cell, status, ms: result.durationMs, outDir: req.outDir });
    return result;
  }
  emit({ type: 'build:config', cell, verdict: cfg.verdict });

  const ws: Workspace = {
    source: req.tree.path,
    out: req.outDir,
    ...(deps.ccacheDir ? { ccache: deps.ccacheDir } : {}),
  };
  const paths = runtime.paths(ws);
  // Docker would create a missing bind source as root; make it ours first.
  if (deps.ccacheDir) await mkdir(deps.ccacheDir, { recursive: true });
  const deadline = req.timeoutMs ? started + req.timeoutMs : undefined;
  const targets: TargetResult[] = [];
  let status: BuildStatus = 'pass';
  let reason: string | undefined;
  let compilerVersion = '';
  const generatedConfig = await readFile(files.config, 'utf8');
  await writeFile(files.log, `# kmatrix build ${cell}\n# ${runtimeLine(runtime)}\n`);

  const runStep = async (argv: string[], capture: boolean): Promise<RunOutcome> => {
    const remaining = deadline ? deadline - Date.now() : undefined;
    if (remaining !== undefined && remaining <= 0) {
      return { kind: 'timeout', durationMs: 0, output: '', timeoutMs: req.timeoutMs ?? 0 };
    }
    await appendFile(files.log, `$ ${shellJoin(argv)}\n`);
    return runtime.run(ws, {
      argv,
      env: BUILD_ENV,
      ...(capture ? { capture: true } : { logFile: files.log }),
      onOutput: (chunk) => emit({ type: 'build:output', cell, chunk }),
      ...(remaining !== undefined ? { timeoutMs: remaining } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.owner ? { owner: req.owner } : {}),
    });
  };
  const endWith = (o: Exclude<RunOutcome, { kind: 'pass' }>, what: string) => {
    switch (o.kind) {
      case 'fail':
        status = 'fail';
        break;
      case 'timeout':
        status = 'timeout';
        reason = `${what} did not finish within the ${Math.round((req.timeoutMs ?? 0) / 1000)}s timeout`;
        break;
      case 'cancelled':
        status = 'cancelled';
        reason = `${what} was cancelled`;
        break;
      case 'infra-error':
        status = 'infra-error';
        reason = `${what}: ${o.reason}`;
        break;
    }
  };

  if (cfg.verdict === 'unsatisfied' && !req.allowUnsatisfied) {
    status = 'config-unsatisfied';
    const bad = cfg.pins.filter((p) => p.status !== 'holds');
    reason = `${bad.length} pin(s) did not hold: ${bad.map((p) => `${p.symbol} (${p.status})`).join(', ')}`;
    for (const t of req.targets)
      targets.push({ target: t, status: 'not-run', durationMs: 0, reason: 'config unsatisfied' });
  } else {
    const version = await runStep([cc, '--version'], true);
    if (version.kind === 'pass') {
      compilerVersion = (version.output.split('\n')[0] ?? '').trim();
      await appendFile(files.log, `${compilerVersion}\n`);
      emit({ type: 'build:compiler', cell, version: compilerVersion });
    } else {
      await appendFile(files.log, version.output);
      endWith(
        version.kind === 'fail'
          ? {
              ...version,
              kind: 'infra-error',
              reason: `\`${cc} --version\` exited with ${version.exitCode}: ${version.output.trim().split('\n').pop() ?? ''}`,
            }
          : version,
        `compiler check (${cc} --version) in the ${runtime.info.kind} runtime`,
      );
    }
    for (const plan of planTargets(req.arch, req.targets, configValues(generatedConfig))) {
      if (plan.kind === 'skip') {
        targets.push({
          target: plan.target,
          status: 'skipped',
          durationMs: 0,
          reason: plan.reason,
        });
        continue;
      }
      const argv = makeArgv(paths, req.arch, req.toolchain, req.jobs, plan.goal);
      const command = shellJoin(argv);
      if (status !== 'pass') {
        targets.push({
          target: plan.target,
          goal: plan.goal,
          status: 'not-run',
          durationMs: 0,
          command,
        });
        continue;
      }
      emit({ type: 'build:target-start', cell, target: plan.target, command });
      const o = await runStep(argv, false);
      const t: TargetResult = {
        target: plan.target,
        goal: plan.goal,
        status: o.kind,
        durationMs: o.durationMs,
        command,
      };
      if (o.kind === 'fail') t.exitCode = o.exitCode;
      if (o.kind === 'infra-error') t.reason = o.reason;
      targets.push(t);
      emit({
        type: 'build:target-done',
        cell,
        target: plan.target,
        status: t.status,
        ms: t.durationMs,
      });
      if (o.kind !== 'pass') endWith(o, `make ${plan.goal}`);
    }
  }

  const builtConfig = await readFile(files.config, 'utf8');
  const changedByBuild = configChanges(generatedConfig, builtConfig);
  const log = await readFile(files.log, 'utf8');
  const diagnostics = parseBuildLog(log, {
    stripPrefixes: [req.tree.path, req.outDir, paths.source, paths.out],
  });
  const artifacts: string[] = [];
  if (targets.some((t) => t.target === 'kernel' && t.status === 'pass')) {
    if (
      await access(join(req.outDir, req.arch.imagePath)).then(
        () => true,
        () => false,
      )
    )
      artifacts.push(req.arch.imagePath);
  }
  const result: BuildResult = {
    schema: 'kmatrix.build/1',
    status,
    ...(reason ? { reason } : {}),
    cell: {
      source: cfg.source,
      arch: req.arch.name,
      base: cfg.base,
      toolchain: req.toolchain,
      targets: [...req.targets],
    },
    config: {
      verdict: cfg.verdict,
      pins: cfg.pins,
      allowUnsatisfied: req.allowUnsatisfied,
      kconfigWarnings: cfg.kconfigWarnings,
      commands: cfg.commands,
      durationMs: cfg.durationMs,
      changedByBuild,
    },
    runtime: runtime.info,
    toolchain: { name: req.toolchain, compiler: cc, version: compilerVersion, makeVars },
    jobs: req.jobs,
    targets,
    diagnostics,
    counts: countBySeverity(diagnostics),
    artifacts,
    outDir: req.outDir,
    files,
    startedAt,
    durationMs: Date.now() - started,
  };

  const reproWs: Workspace = { source: req.tree.path, out: OUT_PLACEHOLDER };
  const reproPaths = runtime.paths(reproWs);
  const steps = targets
    .filter((t) => t.goal)
    .map((t) =>
      runtime.reproduce(reproWs, {
        argv: makeArgv(reproPaths, req.arch, req.toolchain, req.jobs, t.goal!),
        env: BUILD_ENV,
      }),
    );
  await writeFile(
    files.reproducer,
    renderReproducer({
      title: `${cell} (${req.targets.join(',')})`,
      status: `${status}${reason ? ` (${reason.split('\n')[0]})` : ''}`,
      runtimeLine: runtimeLine(runtime),
      defaultOut: `${req.outDir}-repro`,
      preamble: reproducerPreamble(runtime),
      ...(runtime.info.kind === 'docker' ? { beforeSteps: reproducerUserLines().beforeSteps } : {}),
      configText: builtConfig,
      configCommands: cfg.commands,
      steps,
    }),
  );
  await chmod(files.reproducer, 0o755);
  await writeFile(files.result, JSON.stringify(result, null, 2) + '\n');
  emit({ type: 'build:done', cell, status, ms: result.durationMs, outDir: req.outDir });
  return result;
}

/** The docker daemon kmatrix used, unless it is the default one docker finds by itself. */
function reproducerPreamble(runtime: Runtime): string[] {
  if (runtime.info.kind !== 'docker') return [];
  const host = runtime.info.dockerHost;
  return [
    ...(host && host !== 'unix:///var/run/docker.sock'
      ? [
          '# the Docker daemon kmatrix used (the image id above lives there)',
          `export DOCKER_HOST=\${DOCKER_HOST:-${shellQuote(host)}}`,
        ]
      : []),
    ...reproducerUserLines().preamble,
  ];
}

function runtimeLine(runtime: Runtime): string {
  const i = runtime.info;
  return i.kind === 'docker'
    ? `runtime docker, image ${i.image} ${i.imageId}`
    : 'runtime local (host toolchains)';
}

function emptyResult(
  req: BuildRequest,
  o: {
    status: BuildStatus;
    reason: string;
    startedAt: string;
    durationMs: number;
    runtime: Runtime;
    files: BuildResult['files'];
    cc: string;
    makeVars: string[];
  },
): BuildResult {
  return {
    schema: 'kmatrix.build/1',
    status: o.status,
    reason: o.reason,
    cell: {
      source: {
        spec: formatSourceSpec(req.tree.spec),
        label: req.tree.label,
        version: req.tree.version,
        path: req.tree.path,
      },
      arch: req.arch.name,
      base: req.base.kind,
      toolchain: req.toolchain,
      targets: [...req.targets],
    },
    config: {
      verdict: 'unsatisfied',
      pins: [],
      allowUnsatisfied: req.allowUnsatisfied,
      kconfigWarnings: [],
      commands: [],
      durationMs: o.durationMs,
      changedByBuild: [],
    },
    runtime: o.runtime.info,
    toolchain: { name: req.toolchain, compiler: o.cc, version: '', makeVars: o.makeVars },
    jobs: req.jobs,
    targets: req.targets.map((t) => ({ target: t, status: 'not-run', durationMs: 0 })),
    diagnostics: [],
    counts: { errors: 0, warnings: 0 },
    artifacts: [],
    outDir: req.outDir,
    files: o.files,
    startedAt: o.startedAt,
    durationMs: o.durationMs,
  };
}
