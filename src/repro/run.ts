// `kmatrix repro` as a function: read the report (and the config and reproduce file beside
// it), plan, and run the stage the report needs: a build with runBuild, or conf alone for a
// report of Kconfig warnings (config-stage.ts); then judge whether the complaints came back.
// Files, runtimes, sources, conf and git come in through deps; only the stage's own outputs
// plus repro.json are written, all in the result dir.
import { gunzipSync } from 'node:zlib';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import { makeArgv, RESULT_JSON, runBuild } from '../build/run.js';
import type { BuildTarget } from '../build/targets.js';
import { configFileProblems } from '../config/dotconfig.js';
import { decodeText, formatBytes, printable } from '../core/text.js';
import { MAX_BYTES, readTextFile } from '../fsutil/text-file.js';
import type { Runtime } from '../runtime/runtime.js';
import { shellJoin } from '../process/shell-quote.js';
import type { SourceSpec } from '../source/spec.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import { runConfigStage } from './config-stage.js';
import { MakeOverrideRuntime } from './make-overrides.js';
import { commitNotInRepo, planRepro, type ReproPlan } from './plan.js';
import { addReproduceFile, parseReport, type RobotReport } from './report.js';
import { problemOf, type ReproDeps, type ReproRequest } from './request.js';
import { assemble, REPRO_JSON, type ReproResult } from './result.js';
import { judge } from './verdict.js';

export type { ReproDeps, ReproRequest } from './request.js';
export { REPRO_JSON, type ReproResult } from './result.js';

const CONFIG_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,120}$/;

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The config as a plain .config file (gunzipped into a temp dir when needed), or a problem. */
async function readyConfig(
  path: string,
): Promise<{ path: string; tempDir?: string } | { problem: string }> {
  const shown = printable(path);
  const size = await stat(path).then(
    (s) => s.size,
    () => -1,
  );
  if (size < 0) return { problem: `config: ${shown} cannot be read` };
  const limit = formatBytes(MAX_BYTES.config);
  if (size > MAX_BYTES.config)
    return { problem: `config: ${shown} is ${formatBytes(size)}; the limit is ${limit}` };
  let buf = await readFile(path);
  const gzipped = buf[0] === 0x1f && buf[1] === 0x8b;
  if (gzipped) {
    try {
      // A gzip bomb stops at the limit instead of filling memory.
      buf = gunzipSync(buf, { maxOutputLength: MAX_BYTES.config });
    } catch (e) {
      const why =
        e instanceof RangeError ? `decompresses to more than ${limit}` : 'does not decompress';
      return { problem: `config: ${shown} looks gzipped but ${why}` };
    }
  }
  const text = decodeText(buf);
  if (!text.ok) {
    const p = text.problem;
    return { problem: `config: ${shown}:${p.line}:${p.column}: ${p.message}` };
  }
  if (!/^CONFIG_[A-Za-z0-9_]+=/m.test(text.text))
    return { problem: `config: ${shown} is not a kernel .config (no CONFIG_...= lines)` };
  const junk = configFileProblems(text.text, path);
  if (junk.length) return { problem: `config: ${junk[0]}` };
  if (!gzipped) return { path };
  const dir = await mkdtemp(join(tmpdir(), 'kmatrix-repro-config-'));
  await writeFile(join(dir, 'config'), buf);
  return { path: join(dir, 'config'), tempDir: dir };
}

/** --config, else a file beside the report: config, <config name>, .config (gzipped or not). */
async function findConfig(
  req: ReproRequest,
  report: RobotReport,
): Promise<{ path?: string; tempDir?: string; searched: string[]; problem?: string }> {
  if (req.configPath) {
    if (!(await isFile(req.configPath)))
      return { searched: [], problem: `config: --config ${req.configPath} is not a file` };
    const r = await readyConfig(req.configPath);
    return 'problem' in r ? { searched: [], problem: r.problem } : { ...r, searched: [] };
  }
  if (!req.reportPath) return { searched: [] };
  const dir = dirname(req.reportPath);
  const names = ['config', 'config.gz'];
  const name = report.config?.name;
  if (name && CONFIG_NAME.test(name)) names.push(name, `${name}.config`, `${name}.gz`);
  names.push('.config', '.config.gz');
  const searched = names.map((n) => join(dir, n));
  for (const p of searched) {
    if (p === req.reportPath || !(await isFile(p))) continue;
    const r = await readyConfig(p);
    return 'problem' in r ? { searched, problem: r.problem } : { ...r, searched };
  }
  return { searched };
}

/** The report with its reproduce file, the config beside it, and the plan. */
async function prepare(
  req: ReproRequest,
): Promise<{ report: RobotReport; plan: ReproPlan; tempDir?: string }> {
  const report = parseReport(req.reportText);
  const notes: string[] = [];
  // Recent reports keep the steps behind a link; a saved copy beside the report helps.
  if (req.reportPath) {
    const p = join(dirname(req.reportPath), 'reproduce');
    if (p !== req.reportPath && (await isFile(p))) {
      const had = report.makeLines.length;
      const text = await readTextFile(p, {
        what: 'reproduce file',
        maxBytes: MAX_BYTES.report,
        utf8: 'replace',
      });
      addReproduceFile(report, text);
      notes.push(
        report.makeLines.length > had ? `make lines read from ${p}` : `steps read from ${p}`,
      );
    }
  }
  const cfg = await findConfig(req, report);
  const plan = planRepro({
    report,
    ...(req.source !== undefined ? { source: req.source } : {}),
    ...(req.repo !== undefined ? { repo: req.repo } : {}),
    ...(cfg.path ? { configPath: cfg.path } : {}),
    ...(req.reportPath ? { reportDir: dirname(req.reportPath) } : {}),
    configSearched: cfg.searched,
  });
  plan.notes.unshift(...notes);
  if (cfg.problem) {
    plan.missing = plan.missing.filter((m) => !m.startsWith('config:'));
    plan.missing.push(cfg.problem);
  }
  return { report, plan, ...(cfg.tempDir ? { tempDir: cfg.tempDir } : {}) };
}

interface Ready {
  req: ReproRequest;
  report: RobotReport;
  plan: ReproPlan;
  arch: Arch;
  toolchain: ToolchainName;
  source: SourceSpec;
}

async function runBuildStage(
  { req, report, plan, arch, toolchain, source }: Ready & { config: string },
  deps: ReproDeps,
  cannot: (missing: string[]) => ReproResult,
): Promise<ReproResult> {
  // Runtime and source problems are this repro's outcome, reported like a missing config.
  let selected: { runtime: Runtime; note: string };
  let tree: KernelTree;
  try {
    selected = await deps.selectRuntime(toolchain);
    deps.emit({ type: 'repro:note', note: selected.note });
    tree = await deps.resolveSource(source);
  } catch (e) {
    const problem = problemOf(e);
    if (!problem) throw e;
    return cannot([problem]);
  }

  const outDir = req.outDir(plan, report);
  const runtime = new MakeOverrideRuntime(selected.runtime, {
    vars: plan.makeVars,
    keepGoing: true,
    ...(plan.goals.length ? { goals: { replace: arch.imageTarget, with: plan.goals } } : {}),
  });
  const targets: BuildTarget[] = plan.goals.length ? ['kernel'] : ['kernel', 'modules'];
  const result = await runBuild(
    {
      tree,
      arch,
      toolchain,
      base: { kind: 'file', path: plan.config! },
      pins: [],
      outDir,
      targets,
      jobs: req.jobs,
      allowUnsatisfied: false,
      ...(req.timeoutMs ? { timeoutMs: req.timeoutMs } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    },
    {
      runtime,
      generateConfig: deps.generateConfig,
      emit: deps.emit,
      ...(deps.ccacheDir ? { ccacheDir: deps.ccacheDir } : {}),
    },
  );

  // result.json should show the make lines as they really ran (goals and variables added).
  const paths = runtime.paths({
    source: tree.path,
    out: outDir,
    ...(deps.ccacheDir ? { ccache: deps.ccacheDir } : {}),
  });
  for (const t of result.targets) {
    if (!t.goal || !t.command) continue;
    const argv = runtime.rewrite(makeArgv(paths, arch, toolchain, req.jobs, t.goal));
    t.command = shellJoin(argv);
    if (plan.goals.length && t.goal === arch.imageTarget) t.goal = plan.goals.join(' ');
  }
  await writeFile(join(outDir, RESULT_JSON), JSON.stringify(result, null, 2) + '\n');

  const out = assemble(req.reportPath, report, plan, judge(plan.required, result), {
    build: {
      status: result.status,
      reason: result.reason ?? null,
      runtime: selected.note,
      compiler: result.toolchain.version,
      commands: result.targets.filter((t) => t.command).map((t) => t.command!),
      outDir,
      result: result.files.result,
      log: result.files.log,
      reproducer: result.files.reproducer,
    },
  });
  await writeFile(join(outDir, REPRO_JSON), JSON.stringify(out, null, 2) + '\n');
  return out;
}

export async function runRepro(req: ReproRequest, deps: ReproDeps): Promise<ReproResult> {
  const { report, plan, tempDir } = await prepare(req);
  try {
    return await runPlanned(req, deps, report, plan);
  } finally {
    // The gunzipped copy was the config stage's base only (the result dir keeps base.config).
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

async function runPlanned(
  req: ReproRequest,
  deps: ReproDeps,
  report: RobotReport,
  plan: ReproPlan,
): Promise<ReproResult> {
  const cannot = (missing: string[]) =>
    assemble(req.reportPath, report, plan, { kind: 'cannot-run', missing });
  const { arch, toolchain, source, config } = plan;
  if (plan.missing.length || !arch || !toolchain || !source || (!config && !plan.kismet))
    return cannot(plan.missing.length ? plan.missing : ['a complete plan']);
  // A clone without the report's commit: say where the robot fetched it from.
  if (req.repo !== undefined && plan.commit) {
    const has = await deps.commitInRepo(req.repo, plan.commit);
    if (has === 'absent') return cannot([commitNotInRepo(report, req.repo, plan.commit)]);
  }
  const ready: Ready = { req, report, plan, arch, toolchain, source };
  if (plan.stage === 'build') return runBuildStage({ ...ready, config: config! }, deps, cannot);
  let tree: KernelTree;
  try {
    tree = await deps.resolveSource(source);
  } catch (e) {
    const problem = problemOf(e);
    if (!problem) throw e;
    return cannot([problem]);
  }
  return runConfigStage({ ...ready, tree }, deps, cannot);
}
