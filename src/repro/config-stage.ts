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
import { explainUnmetSelect } from '../kconfig/explain.js';
import type { KconfigModel } from '../kconfig/model.js';
import { renderExplanation } from '../kconfig/render.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import { kismetConfig } from './kismet.js';
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
  if (plan.config) return { base: { kind: 'file', path: plan.config }, pins: [] };
  const k = plan.kismet!;
  const model = await deps.kconfigModel(tree, arch);
  const made = kismetConfig(model, k.selectee, k.selector);
  for (const n of made.notes) plan.notes.push(`kismet config: ${n}`);
  deps.emit({
    type: 'repro:note',
    note: `kismet config: allnoconfig + ${made.pins.map((p) => `${p.symbol}=${p.value}`).join(' ')}`,
  });
  return { base: { kind: 'allnoconfig' }, pins: made.pins, model };
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
  const verdict: ReproVerdict = judge(plan.required, {
    status: 'pass',
    diagnostics: config.diagnostics,
  });
  const explanations = explain(model, await readFile(config.configPath, 'utf8'), plan);
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
