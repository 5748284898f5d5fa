// The config stage of a report whose complaints are all Kconfig ones (kismet, unmet direct
// dependencies, invalid values): conf on the report's config (olddefconfig) or on the smallest
// config for the kismet pair, conf's warnings judged against the report's, and the Kconfig
// model's chain behind each unmet dependency. No compile, no runtime: seconds.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import type { Base } from '../config/base.js';
import { parseDotConfig } from '../config/dotconfig.js';
import type { ConfigResult } from '../config/generate.js';
import type { Pin } from '../config/pin.js';
import { parseUnmetMessage } from '../diagnostics/parse.js';
import type { PinResult } from '../config/verify.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { explainPinInTree, explainUnmetSelect } from '../kconfig/explain.js';
import { findDefinitionsAllArches } from '../kconfig/load.js';
import type { KconfigModel } from '../kconfig/model.js';
import { renderExplanation } from '../kconfig/render.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import { kismetConfig } from './kismet.js';
import { requestDiagnostic } from './merge-config.js';
import type { ReproPlan } from './plan.js';
import type { RobotReport } from './report.js';
import { assemble, REPRO_JSON, type Explanation, type ReproResult } from './result.js';
import { problemOf, type ReproDeps, type ReproRequest } from './request.js';
import { judge, type ReproVerdict } from './verdict.js';

export interface ConfigStageInput {
  req: ReproRequest;
  report: RobotReport;
  plan: ReproPlan;
  tree: KernelTree;
  arch: Arch;
  toolchain: ToolchainName;
}

/** The base and pins: the report's config as is, or allnoconfig + the kismet pins. */
async function configInput(
  { plan, tree, arch }: ConfigStageInput,
  deps: ReproDeps,
): Promise<{ base: Base; pins: Pin[]; model?: KconfigModel }> {
  if (plan.config) return { base: { kind: 'file', path: plan.config }, pins: plan.requests };
  const k = plan.kismet!;
  const model = await deps.kconfigModel(tree, arch);
  const made = kismetConfig(model, k.selectee, k.selector);
  for (const n of made.notes) plan.notes.push(`kismet config: ${n}`);
  deps.emit({
    type: 'repro:note',
    note: `kismet config: allnoconfig + ${made.pins.map((p) => `${p.symbol}=${p.value}`).join(' ')}`,
  });
  return { base: { kind: 'allnoconfig' }, pins: [...made.pins, ...plan.requests], model };
}

/**
 * The requested values that did not hold, as complaints with the fingerprint of the report's
 * (same severity: the report's section decides it), so judge() matches them like conf's own.
 */
function requestComplaints(
  plan: ReproPlan,
  pins: readonly PinResult[],
  values: ReadonlyMap<string, string>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of plan.required) {
    const q = issue.request;
    const got = q && pins.find((p) => p.symbol === q.symbol);
    if (!got || got.status === 'holds') continue;
    const actual = values.get(q.symbol) ?? null;
    out.push(requestDiagnostic({ ...q, actual }, issue.severity));
    if (q.actual !== actual)
      plan.notes.push(
        `CONFIG_${q.symbol}: the report had ${q.actual === null ? 'it absent' : `CONFIG_${q.symbol}=${q.actual}`}, conf now gives ${actual === null ? 'it absent' : `CONFIG_${q.symbol}=${actual}`} (${got.status})`,
      );
  }
  return out;
}

/** The Kconfig model's chain for each requested value: why it holds now, or why it does not. */
async function explainRequests(
  input: ConfigStageInput,
  model: KconfigModel,
  config: string,
  pins: readonly PinResult[],
): Promise<Explanation[]> {
  const values = parseDotConfig(config);
  const asked = new Map(pins.map((p) => [p.symbol, p.requested]));
  const out: Explanation[] = [];
  for (const q of input.plan.requests) {
    const got = pins.find((p) => p.symbol === q.symbol);
    if (!got) continue;
    const tree = await explainPinInTree(
      input.tree.path,
      model,
      values,
      got,
      asked,
      findDefinitionsAllArches,
    );
    out.push({ symbol: q.symbol, selector: null, text: renderExplanation(tree), tree });
  }
  return out;
}

/** The chain behind each unmet-dependency complaint, on the config conf wrote. */
function explain(model: KconfigModel, config: string, plan: ReproPlan): Explanation[] {
  const values = parseDotConfig(config);
  const out: Explanation[] = [];
  for (const issue of plan.required) {
    const u = parseUnmetMessage(issue.message);
    if (!u || out.some((e) => e.symbol === u.symbol)) continue;
    const tree = explainUnmetSelect(model, values, u.symbol);
    const selector = u.selector ? model.symbol(u.selector) : undefined;
    const selects = selector?.props.some(
      (p) => p.kind === 'select' && p.expr?.k === 'sym' && p.expr.sym.name === u.symbol,
    );
    if (selector && !selects)
      plan.notes.push(`${u.selector} does not select ${u.symbol} in this tree`);
    out.push({
      symbol: u.symbol,
      selector: u.selector ?? null,
      text: renderExplanation(tree),
      tree,
    });
  }
  return out;
}

export async function runConfigStage(
  input: ConfigStageInput,
  deps: ReproDeps,
  cannot: (missing: string[]) => ReproResult,
): Promise<ReproResult> {
  const { req, report, plan, tree, arch, toolchain } = input;
  const outDir = req.outDir(plan, report);
  let config: ConfigResult;
  let model: KconfigModel | undefined;
  try {
    const { base, pins, model: m } = await configInput(input, deps);
    model = m;
    config = await deps.generateConfig({ tree, arch, toolchain, base, pins, outDir });
    model ??= await deps.kconfigModel(tree, arch);
  } catch (e) {
    const failed = problemOf(e);
    if (!failed) throw e;
    return cannot([failed]);
  }
  const written = await readFile(config.configPath, 'utf8');
  const requested = requestComplaints(plan, config.pins, parseDotConfig(written));
  const verdict: ReproVerdict = judge(plan.required, {
    status: 'pass',
    diagnostics: [...config.diagnostics, ...requested],
  });
  const explanations = [
    ...(await explainRequests(input, model, written, config.pins)),
    ...explain(model, written, plan),
  ];
  const out = assemble(req.reportPath, report, plan, verdict, {
    config: {
      base: plan.config ? 'report config' : 'kismet',
      pins: config.pins,
      commands: config.commands,
      outDir,
      config: config.configPath,
      log: join(outDir, 'kconfig.log'),
      result: join(outDir, 'kmatrix-config.json'),
      durationMs: config.durationMs,
    },
    explanations,
  });
  await writeFile(join(outDir, REPRO_JSON), JSON.stringify(out, null, 2) + '\n');
  return out;
}
