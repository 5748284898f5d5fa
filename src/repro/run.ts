// `kmatrix repro` as a function: read the report (and the config beside it), plan the build,
// run it with runBuild, and judge whether the reported errors came back. Files, runtimes,
// sources and config generation come in through deps; only runBuild's own outputs plus
// repro.json are written, all in the result dir.
import { gunzipSync } from 'node:zlib';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BuildEvent } from '../build/events.js';
import type { BuildResult } from '../build/result.js';
import { makeArgv, RESULT_JSON, runBuild } from '../build/run.js';
import type { BuildTarget } from '../build/targets.js';
import type { ConfigRequest, ConfigResult } from '../config/generate.js';
import { configFileProblems } from '../config/dotconfig.js';
import { isKmatrixError } from '../core/errors.js';
import { decodeText, formatBytes, printable } from '../core/text.js';
import { MAX_BYTES } from '../fsutil/text-file.js';
import type { Runtime } from '../runtime/runtime.js';
import { shellJoin } from '../process/shell-quote.js';
import { formatSourceSpec, type SourceSpec } from '../source/spec.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import { MakeOverrideRuntime } from './make-overrides.js';
import { planRepro, type MakeVarDecision, type ReproPlan } from './plan.js';
import { parseMakeLine, parseReport, type ReportedIssue, type RobotReport } from './report.js';
import { judge, type IssueOutcome, type Verdict, type VerdictKind } from './verdict.js';

export const REPRO_JSON = 'repro.json';

export interface ReproRequest {
  reportText: string;
  /** Absolute path of the report file; undefined when read from stdin. */
  reportPath?: string;
  /** --config, absolute. */
  configPath?: string;
  source?: string;
  repo?: string;
  /** Result and O= dir; default chosen by the caller. */
  outDir: (plan: ReproPlan, report: RobotReport) => string;
  jobs: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ReproDeps {
  selectRuntime: (toolchain: ToolchainName) => Promise<{ runtime: Runtime; note: string }>;
  resolveSource: (spec: SourceSpec) => Promise<KernelTree>;
  generateConfig: (req: ConfigRequest) => Promise<ConfigResult>;
  emit: (e: BuildEvent | { type: 'repro:note'; note: string }) => void;
  ccacheDir?: string;
}

type IssueView = Pick<
  ReportedIssue,
  'severity' | 'kind' | 'file' | 'line' | 'column' | 'message' | 'fingerprint' | 'new' | 'section'
>;

export interface ReproResult {
  schema: 'kmatrix.repro/1';
  verdict: VerdictKind;
  /** Why it could not run (verdict cannot-run). */
  missing: string[];
  report: {
    path: string | null;
    config: RobotReport['config'] | null;
    compiler: RobotReport['compiler'] | null;
    tree: RobotReport['tree'] | null;
    base: RobotReport['base'] | null;
    commit: RobotReport['commit'] | null;
    head: string | null;
    closes: string | null;
    w1Build: boolean;
    makeLines: string[];
    issues: IssueView[];
    /** Report fields that were not there. */
    missing: string[];
  };
  plan: {
    arch: string | null;
    toolchain: ToolchainName | null;
    toolchainNote: string | null;
    source: string | null;
    commit: string | null;
    config: string | null;
    makeVars: string[];
    makeVarDecisions: MakeVarDecision[];
    goals: string[];
    notes: string[];
  };
  /** One per required issue: found in the build or not. */
  outcomes: {
    issue: IssueView;
    found: boolean;
    match?: Pick<ReportedIssue, 'file' | 'line' | 'column' | 'message'>;
    near?: Pick<ReportedIssue, 'file' | 'line' | 'column' | 'message'>;
  }[];
  unchecked: IssueView[];
  build: {
    status: BuildResult['status'];
    reason: string | null;
    runtime: string;
    compiler: string;
    commands: string[];
    outDir: string;
    result: string;
    log: string;
    reproducer: string;
  } | null;
}

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
  if (size > MAX_BYTES.config)
    return {
      problem: `config: ${shown} is ${formatBytes(size)}; the limit is ${formatBytes(MAX_BYTES.config)}`,
    };
  let buf = await readFile(path);
  const gzipped = buf[0] === 0x1f && buf[1] === 0x8b;
  if (gzipped) {
    try {
      // A gzip bomb stops at the limit instead of filling memory.
      buf = gunzipSync(buf, { maxOutputLength: MAX_BYTES.config });
    } catch (e) {
      return {
        problem: `config: ${shown} looks gzipped but ${e instanceof RangeError ? `decompresses to more than ${formatBytes(MAX_BYTES.config)}` : 'does not decompress'}`,
      };
    }
  }
  const text = decodeText(buf);
  if (!text.ok)
    return {
      problem: `config: ${shown}:${text.problem.line}:${text.problem.column}: ${text.problem.message}`,
    };
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

function issueView(i: ReportedIssue): IssueView {
  return {
    severity: i.severity,
    kind: i.kind,
    file: i.file,
    ...(i.line !== undefined ? { line: i.line } : {}),
    ...(i.column !== undefined ? { column: i.column } : {}),
    message: i.message,
    fingerprint: i.fingerprint,
    new: i.new,
    section: i.section,
  };
}

const where = (d: { file: string; line?: number; column?: number; message: string }) => ({
  file: d.file,
  ...(d.line !== undefined ? { line: d.line } : {}),
  ...(d.column !== undefined ? { column: d.column } : {}),
  message: d.message,
});

function assemble(
  req: ReproRequest,
  report: RobotReport,
  plan: ReproPlan,
  verdict: Verdict,
  build: ReproResult['build'],
): ReproResult {
  const outcomes: IssueOutcome[] = verdict.kind === 'cannot-run' ? [] : verdict.outcomes;
  return {
    schema: 'kmatrix.repro/1',
    verdict: verdict.kind,
    missing: verdict.kind === 'cannot-run' ? verdict.missing : [],
    report: {
      path: req.reportPath ?? null,
      config: report.config ?? null,
      compiler: report.compiler ?? null,
      tree: report.tree ?? null,
      base: report.base ?? null,
      commit: report.commit ?? null,
      head: report.head ?? null,
      closes: report.closes ?? null,
      w1Build: report.w1Build,
      makeLines: report.makeLines.map((m) => m.text),
      issues: report.issues.map(issueView),
      missing: report.missing,
    },
    plan: {
      arch: plan.arch?.name ?? null,
      toolchain: plan.toolchain ?? null,
      toolchainNote: plan.toolchainNote ?? null,
      source: plan.source ? formatSourceSpec(plan.source) : null,
      commit: plan.commit ?? null,
      config: plan.config ?? null,
      makeVars: plan.makeVars,
      makeVarDecisions: plan.makeVarDecisions,
      goals: plan.goals,
      notes: plan.notes,
    },
    outcomes: outcomes.map((o) => ({
      issue: issueView(o.issue),
      found: o.found,
      ...(o.match ? { match: where(o.match) } : {}),
      ...(o.near ? { near: where(o.near) } : {}),
    })),
    unchecked: plan.unchecked.map(issueView),
    build,
  };
}

export async function runRepro(req: ReproRequest, deps: ReproDeps): Promise<ReproResult> {
  const report = parseReport(req.reportText);
  const extraNotes: string[] = [];
  // Recent reports keep the make lines behind a link; a saved copy beside the report helps.
  if (report.makeLines.length === 0 && req.reportPath) {
    const p = join(dirname(req.reportPath), 'reproduce');
    if (p !== req.reportPath && (await isFile(p))) {
      const lines = (await readFile(p, 'utf8')).split('\n');
      for (const l of lines) {
        const mk = parseMakeLine(l);
        if (mk) report.makeLines.push(mk);
      }
      if (report.makeLines.length) extraNotes.push(`make lines read from ${p}`);
    }
  }
  const cfg = await findConfig(req, report);
  try {
    return await reproWithConfig(req, deps, report, cfg, extraNotes);
  } finally {
    // The gunzipped copy was only the base of the config stage (the result dir keeps it).
    if (cfg.tempDir) await rm(cfg.tempDir, { recursive: true, force: true });
  }
}

async function reproWithConfig(
  req: ReproRequest,
  deps: ReproDeps,
  report: RobotReport,
  cfg: Awaited<ReturnType<typeof findConfig>>,
  extraNotes: string[],
): Promise<ReproResult> {
  const plan = planRepro({
    report,
    ...(req.source !== undefined ? { source: req.source } : {}),
    ...(req.repo !== undefined ? { repo: req.repo } : {}),
    ...(cfg.path ? { configPath: cfg.path } : {}),
    ...(req.reportPath ? { reportDir: dirname(req.reportPath) } : {}),
    configSearched: cfg.searched,
  });
  plan.notes.unshift(...extraNotes);
  if (cfg.problem) {
    plan.missing = plan.missing.filter((m) => !m.startsWith('config:'));
    plan.missing.push(cfg.problem);
  }
  const cannot = (missing: string[]) =>
    assemble(req, report, plan, { kind: 'cannot-run', missing }, null);
  if (plan.missing.length || !plan.arch || !plan.toolchain || !plan.source || !plan.config)
    return cannot(plan.missing.length ? plan.missing : ['a complete plan']);
  const { arch, toolchain } = plan;

  // Runtime and source problems are this repro's outcome, reported like a missing config.
  let selected: { runtime: Runtime; note: string };
  let tree: KernelTree;
  try {
    selected = await deps.selectRuntime(toolchain);
    deps.emit({ type: 'repro:note', note: selected.note });
    tree = await deps.resolveSource(plan.source);
  } catch (e) {
    if (!isKmatrixError(e)) throw e;
    return cannot([`${e.message}${e.detail ? `\n${e.detail}` : ''}`]);
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
      base: { kind: 'file', path: plan.config },
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

  const verdict = judge(plan.required, result);
  const out = assemble(req, report, plan, verdict, {
    status: result.status,
    reason: result.reason ?? null,
    runtime: selected.note,
    compiler: result.toolchain.version,
    commands: result.targets.filter((t) => t.command).map((t) => t.command!),
    outDir,
    result: result.files.result,
    log: result.files.log,
    reproducer: result.files.reproducer,
  });
  await writeFile(join(outDir, REPRO_JSON), JSON.stringify(out, null, 2) + '\n');
  return out;
}
