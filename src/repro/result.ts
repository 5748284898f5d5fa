// What `kmatrix repro` hands back (repro.json, schema kmatrix.repro/1): the verdict, the report
// as read, the plan, one outcome per required complaint, and the stage that ran (a build, or
// conf alone for Kconfig reports). Pure.
import type { BuildResult } from '../build/result.js';
import type { PinResult } from '../config/verify.js';
import type { ExplanationNode } from '../kconfig/explain.js';
import { formatSourceSpec } from '../source/spec.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { MakeVarDecision, ReproPlan } from './plan.js';
import type { ReportedIssue, RobotReport } from './report.js';
import type { IssueOutcome, ReproVerdict, VerdictKind } from './verdict.js';

export const REPRO_JSON = 'repro.json';

export type IssueView = Pick<
  ReportedIssue,
  | 'severity'
  | 'kind'
  | 'file'
  | 'line'
  | 'column'
  | 'function'
  | 'message'
  | 'fingerprint'
  | 'new'
  | 'section'
  | 'request'
>;

type Where = Pick<ReportedIssue, 'file' | 'line' | 'column' | 'message'>;

export interface BuildSummary {
  status: BuildResult['status'];
  reason: string | null;
  runtime: string;
  compiler: string;
  commands: string[];
  outDir: string;
  result: string;
  log: string;
  reproducer: string;
}

/** The config stage of a Kconfig report: conf on the report's config, or on the kismet one. */
export interface ConfigSummary {
  /** `report config`: olddefconfig on it; `kismet`: allnoconfig + pins. */
  base: 'report config' | 'kismet';
  /** The pins of a kismet config and whether conf kept them. */
  pins: PinResult[];
  commands: string[];
  outDir: string;
  config: string;
  log: string;
  result: string;
  durationMs: number;
}

/** The Kconfig model's chain behind an unmet-dependency complaint. */
export interface Explanation {
  symbol: string;
  selector: string | null;
  text: string;
  tree: ExplanationNode;
}

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
    checkout: string | null;
    remote: RobotReport['remote'] | null;
    kismet: RobotReport['kismet'] | null;
    closes: string | null;
    w1Build: boolean;
    makeLines: string[];
    issues: IssueView[];
    /** Complaints read but unusable (a bad requested value), with their report line. */
    invalid: string[];
    /** Report fields that were not there. */
    missing: string[];
  };
  plan: {
    stage: ReproPlan['stage'];
    arch: string | null;
    toolchain: ToolchainName | null;
    toolchainNote: string | null;
    source: string | null;
    commit: string | null;
    config: string | null;
    makeVars: string[];
    makeVarDecisions: MakeVarDecision[];
    goals: string[];
    /** merge_config requests applied to the config (config stage). */
    requests: string[];
    notes: string[];
  };
  /** One per required issue: found in the build (or conf's output) or not. */
  outcomes: { issue: IssueView; found: boolean; match?: Where; near?: Where }[];
  unchecked: IssueView[];
  build: BuildSummary | null;
  config: ConfigSummary | null;
  explanations: Explanation[];
}

export function issueView(i: ReportedIssue): IssueView {
  return {
    severity: i.severity,
    kind: i.kind,
    file: i.file,
    ...(i.line !== undefined ? { line: i.line } : {}),
    ...(i.column !== undefined ? { column: i.column } : {}),
    ...(i.function !== undefined ? { function: i.function } : {}),
    message: i.message,
    fingerprint: i.fingerprint,
    new: i.new,
    section: i.section,
    ...(i.request ? { request: i.request } : {}),
  };
}

const where = (d: Where): Where => ({
  file: d.file,
  ...(d.line !== undefined ? { line: d.line } : {}),
  ...(d.column !== undefined ? { column: d.column } : {}),
  message: d.message,
});

function reportView(report: RobotReport, path: string | undefined): ReproResult['report'] {
  return {
    path: path ?? null,
    config: report.config ?? null,
    compiler: report.compiler ?? null,
    tree: report.tree ?? null,
    base: report.base ?? null,
    commit: report.commit ?? null,
    head: report.head ?? null,
    checkout: report.checkout ?? null,
    remote: report.remote ?? null,
    kismet: report.kismet ?? null,
    closes: report.closes ?? null,
    w1Build: report.w1Build,
    makeLines: report.makeLines.map((m) => m.text),
    issues: report.issues.map(issueView),
    invalid: report.invalid,
    missing: report.missing,
  };
}

export function assemble(
  reportPath: string | undefined,
  report: RobotReport,
  plan: ReproPlan,
  verdict: ReproVerdict,
  stages: {
    build?: BuildSummary;
    config?: ConfigSummary;
    explanations?: Explanation[];
  } = {},
): ReproResult {
  const outcomes: IssueOutcome[] = verdict.kind === 'cannot-run' ? [] : verdict.outcomes;
  return {
    schema: 'kmatrix.repro/1',
    verdict: verdict.kind,
    missing: verdict.kind === 'cannot-run' ? verdict.missing : [],
    report: reportView(report, reportPath),
    plan: {
      stage: plan.stage,
      arch: plan.arch?.name ?? null,
      toolchain: plan.toolchain ?? null,
      toolchainNote: plan.toolchainNote ?? null,
      source: plan.source ? formatSourceSpec(plan.source) : null,
      commit: plan.commit ?? null,
      config: plan.config ?? null,
      makeVars: plan.makeVars,
      makeVarDecisions: plan.makeVarDecisions,
      goals: plan.goals,
      requests: plan.requests.map((p) => `CONFIG_${p.symbol}=${p.value}`),
      notes: plan.notes,
    },
    outcomes: outcomes.map((o) => ({
      issue: issueView(o.issue),
      found: o.found,
      ...(o.match ? { match: where(o.match) } : {}),
      ...(o.near ? { near: where(o.near) } : {}),
    })),
    unchecked: plan.unchecked.map(issueView),
    build: stages.build ?? null,
    config: stages.config ?? null,
    explanations: stages.explanations ?? [],
  };
}
