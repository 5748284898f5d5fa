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
const BUILD_LOG = 'build.log';
const REPRODUCER = 'reproducer.sh';

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

/** One build in progress: the request and what every stage of it shares. */
interface Build {
  req: BuildRequest;
  deps: BuildDeps;
  /** The label in events and the log. */
  cell: string;
  files: BuildResult['files'];
  cc: string;
  makeVars: string[];
  started: number;
  startedAt: string;
}

/** Where the make stage ended: the first target (or compiler check) that did not pass. */
interface Made {
  status: BuildStatus;
  reason?: string;
  targets: TargetResult[];
  compilerVersion: string;
}

export async function runBuild(req: BuildRequest, deps: BuildDeps): Promise<BuildResult> {
  const started = Date.now();
  const b: Build = {
    req,
    deps,
    cell: `${req.tree.label}/${req.arch.name}/${req.base.kind}/${req.toolchain}`,
    files: {
      config: join(req.outDir, '.config'),
      log: join(req.outDir, BUILD_LOG),
      result: join(req.outDir, RESULT_JSON),
      reproducer: join(req.outDir, REPRODUCER),
    },
    cc: compilerCommand(req.arch, req.toolchain),
    makeVars: toolchainMakeVars(req.arch, req.toolchain),
    started,
    startedAt: new Date(started).toISOString(),
  };
  const configured = await configure(b);
  if (configured.kind === 'ended') return configured.result;
  const { cfg } = configured;
  deps.emit({ type: 'build:config', cell: b.cell, verdict: cfg.verdict });

  // Docker would create a missing bind source as root; make it ours first.
  if (deps.ccacheDir) await mkdir(deps.ccacheDir, { recursive: true });
  const generatedConfig = await readFile(b.files.config, 'utf8');
  await writeFile(b.files.log, `# kmatrix build ${b.cell}\n# ${runtimeLine(deps.runtime)}\n`);
  const made =
    cfg.verdict === 'unsatisfied' && !req.allowUnsatisfied
      ? unsatisfied(b, cfg)
      : await makeTargets(b, configValues(generatedConfig));
  const builtConfig = await readFile(b.files.config, 'utf8');
  const result = await resultOf(b, cfg, made, configChanges(generatedConfig, builtConfig));
  await writeReproducer(b, cfg, result, builtConfig);
  await writeFile(b.files.result, JSON.stringify(result, null, 2) + '\n');
  deps.emit({
    type: 'build:done',
    cell: b.cell,
    status: result.status,
    ms: result.durationMs,
    outDir: req.outDir,
  });
  return result;
}

/** Config generation; a Kconfig run that failed or was cancelled ends the build here. */
async function configure(
  b: Build,
): Promise<{ kind: 'configured'; cfg: ConfigResult } | { kind: 'ended'; result: BuildResult }> {
  const { req } = b;
  try {
    const cfg = await b.deps.generateConfig({
      tree: req.tree,
      arch: req.arch,
      toolchain: req.toolchain,
      base: req.base,
      pins: req.pins,
      outDir: req.outDir,
    });
    return { kind: 'configured', cfg };
  } catch (e) {
    // Usage problems (bad tree, missing host toolchain, foreign out dir) stay exceptions;
    // a Kconfig run that failed or was cancelled is this cell's outcome.
    if (!isKmatrixError(e) || !['kconfig-failed', 'command-failed'].includes(e.code)) throw e;
    const status: BuildStatus = req.signal?.aborted ? 'cancelled' : 'infra-error';
    const result = emptyResult(req, {
      status,
      reason: `config generation failed: ${e.message}${e.detail ? `\n${e.detail}` : ''}`,
      startedAt: b.startedAt,
      durationMs: Date.now() - b.started,
      runtime: b.deps.runtime,
      files: b.files,
      cc: b.cc,
      makeVars: b.makeVars,
    });
    b.deps.emit({
      type: 'build:done',
      cell: b.cell,
      status,
      ms: result.durationMs,
      outDir: req.outDir,
    });
    return { kind: 'ended', result };
  }
}

/** A pin did not hold (and the cell does not allow it): nothing is compiled. */
function unsatisfied(b: Build, cfg: ConfigResult): Made {
  const bad = cfg.pins.filter((p) => p.status !== 'holds');
  return {
    status: 'config-unsatisfied',
    reason: `${bad.length} pin(s) did not hold: ${bad.map((p) => `${p.symbol} (${p.status})`).join(', ')}`,
    targets: b.req.targets.map((t) => ({
      target: t,
      status: 'not-run',
      durationMs: 0,
      reason: 'config unsatisfied',
    })),
    compilerVersion: '',
  };
}

/**
 * The first line of `cc --version` that each runtime gave, by cc. A runtime's compilers do not
 * change under it (an image is pinned by id; the host's toolchain between two builds of one
 * process is taken as fixed), so a build checks its compiler once per runtime, not with a
 * container of its own each time: a bisect or triage makes many builds with one runtime.
 */
const compilersChecked = new WeakMap<Runtime, Map<string, string>>();

/** The compiler check, then make of each target in order until one does not pass. */
async function makeTargets(b: Build, values: ReturnType<typeof configValues>): Promise<Made> {
  const { req, deps, cell } = b;
  const ws = workspace(b);
  const paths = deps.runtime.paths(ws);
  const made: Made = { status: 'pass', targets: [], compilerVersion: '' };
  const checked = compilersChecked.get(deps.runtime)?.get(b.cc);
  const version: RunOutcome = checked
    ? { kind: 'pass', durationMs: 0, output: checked }
    : await runStep(b, ws, [b.cc, '--version'], true);
  if (checked) await appendFile(b.files.log, `# ${b.cc} --version, checked earlier:\n`);
  if (version.kind === 'pass') {
    made.compilerVersion = (version.output.split('\n')[0] ?? '').trim();
    if (!compilersChecked.has(deps.runtime)) compilersChecked.set(deps.runtime, new Map());
    compilersChecked.get(deps.runtime)?.set(b.cc, made.compilerVersion);
    await appendFile(b.files.log, `${made.compilerVersion}\n`);
    deps.emit({ type: 'build:compiler', cell, version: made.compilerVersion });
  } else {
    await appendFile(b.files.log, version.output);
    endWith(
      b,
      made,
      version.kind === 'fail'
        ? {
            ...version,
            kind: 'infra-error',
            reason: `\`${b.cc} --version\` exited with ${version.exitCode}: ${version.output.trim().split('\n').pop() ?? ''}`,
          }
        : version,
      `compiler check (${b.cc} --version) in the ${deps.runtime.info.kind} runtime`,
    );
  }
  for (const plan of planTargets(req.arch, req.targets, values)) {
    if (plan.kind === 'skip') {
      made.targets.push({
        target: plan.target,
        status: 'skipped',
        durationMs: 0,
        reason: plan.reason,
      });
      continue;
    }
    const argv = makeArgv(paths, req.arch, req.toolchain, req.jobs, plan.goal);
    const command = shellJoin(argv);
    if (made.status !== 'pass') {
      made.targets.push({
        target: plan.target,
        goal: plan.goal,
        status: 'not-run',
        durationMs: 0,
        command,
      });
      continue;
    }
    deps.emit({ type: 'build:target-start', cell, target: plan.target, command });
    const o = await runStep(b, ws, argv, false);
    const t: TargetResult = {
      target: plan.target,
      goal: plan.goal,
      status: o.kind,
      durationMs: o.durationMs,
      command,
    };
    if (o.kind === 'fail') t.exitCode = o.exitCode;
    if (o.kind === 'infra-error') t.reason = o.reason;
    made.targets.push(t);
    deps.emit({
      type: 'build:target-done',
      cell,
      target: plan.target,
      status: t.status,
      ms: t.durationMs,
    });
    if (o.kind !== 'pass') endWith(b, made, o, `make ${plan.goal}`);
  }
  return made;
}

function workspace(b: Build): Workspace {
  return {
    source: b.req.tree.path,
    out: b.req.outDir,
    ...(b.deps.ccacheDir ? { ccache: b.deps.ccacheDir } : {}),
  };
}

/** One command of the build in the runtime, within what is left of the build's time. */
async function runStep(
  b: Build,
  ws: Workspace,
  argv: string[],
  capture: boolean,
): Promise<RunOutcome> {
  const { req } = b;
  const remaining = req.timeoutMs ? b.started + req.timeoutMs - Date.now() : undefined;
  if (remaining !== undefined && remaining <= 0) {
    return { kind: 'timeout', durationMs: 0, output: '', timeoutMs: req.timeoutMs ?? 0 };
  }
  await appendFile(b.files.log, `$ ${shellJoin(argv)}\n`);
  return b.deps.runtime.run(ws, {
    argv,
    env: BUILD_ENV,
    ...(capture ? { capture: true } : { logFile: b.files.log }),
    onOutput: (chunk) => b.deps.emit({ type: 'build:output', cell: b.cell, chunk }),
    ...(remaining !== undefined ? { timeoutMs: remaining } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.owner ? { owner: req.owner } : {}),
  });
}

function endWith(b: Build, made: Made, o: Exclude<RunOutcome, { kind: 'pass' }>, what: string) {
  switch (o.kind) {
    case 'fail':
      made.status = 'fail';
      break;
    case 'timeout':
      made.status = 'timeout';
      made.reason = `${what} did not finish within the ${Math.round((b.req.timeoutMs ?? 0) / 1000)}s timeout`;
      break;
    case 'cancelled':
      made.status = 'cancelled';
      made.reason = `${what} was cancelled`;
      break;
    case 'infra-error':
      made.status = 'infra-error';
      made.reason = `${what}: ${o.reason}`;
      break;
  }
}

/** The result: what was made, the diagnostics of the log, the kernel image if built. */
async function resultOf(
  b: Build,
  cfg: ConfigResult,
  made: Made,
  changedByBuild: BuildResult['config']['changedByBuild'],
): Promise<BuildResult> {
  const { req, deps } = b;
  const paths = deps.runtime.paths(workspace(b));
  const log = await readFile(b.files.log, 'utf8');
  const diagnostics = parseBuildLog(log, {
    stripPrefixes: [req.tree.path, req.outDir, paths.source, paths.out],
  });
  const artifacts: string[] = [];
  if (made.targets.some((t) => t.target === 'kernel' && t.status === 'pass')) {
    if (
      await access(join(req.outDir, req.arch.imagePath)).then(
        () => true,
        () => false,
      )
    )
      artifacts.push(req.arch.imagePath);
  }
  return {
    schema: 'kmatrix.build/1',
    status: made.status,
    ...(made.reason ? { reason: made.reason } : {}),
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
    runtime: deps.runtime.info,
    toolchain: {
      name: req.toolchain,
      compiler: b.cc,
      version: made.compilerVersion,
      makeVars: b.makeVars,
    },
    jobs: req.jobs,
    targets: made.targets,
    diagnostics,
    counts: countBySeverity(diagnostics),
    artifacts,
    outDir: req.outDir,
    files: b.files,
    startedAt: b.startedAt,
    durationMs: Date.now() - b.started,
  };
}

/** reproducer.sh: the built .config and each make step, in the same runtime. */
async function writeReproducer(
  b: Build,
  cfg: ConfigResult,
  result: BuildResult,
  builtConfig: string,
): Promise<void> {
  const { req } = b;
  const runtime = b.deps.runtime;
  const reproWs: Workspace = { source: req.tree.path, out: OUT_PLACEHOLDER };
  const reproPaths = runtime.paths(reproWs);
  const steps = result.targets
    .filter((t) => t.goal)
    .map((t) =>
      runtime.reproduce(reproWs, {
        argv: makeArgv(reproPaths, req.arch, req.toolchain, req.jobs, t.goal!),
        env: BUILD_ENV,
      }),
    );
  const { status, reason } = result;
  await writeFile(
    b.files.reproducer,
    renderReproducer({
      title: `${b.cell} (${req.targets.join(',')})`,
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
  await chmod(b.files.reproducer, 0o755);
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
