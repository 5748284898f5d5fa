// Where config verification meets the Kconfig model: which symbols exist for an arch
// (a pin on a symbol the arch lacks is `unavailable`), and why a pin did not hold.
import { readFile } from 'node:fs/promises';
import type { Arch } from '../arch/arches.js';
import {
  explainPinInTree,
  findDefinitionsAllArches,
  loadKconfigModel,
  renderExplanation,
  type ExplanationNode,
  type KconfigModel,
} from '../kconfig/index.js';
import type { KernelTree } from '../source/tree.js';
import { parseDotConfig } from './dotconfig.js';
import type { ConfigResult } from './generate.js';
import type { SymbolLookup } from './verify.js';

export interface PinExplanation {
  text: string;
  tree: ExplanationNode;
}

// One model per tree and arch per process: config, explain and matrix cells share it.
const models = new Map<string, Promise<KconfigModel>>();

export function modelFor(tree: Pick<KernelTree, 'path'>, arch: Arch): Promise<KconfigModel> {
  const key = `${tree.path}\0${arch.name}`;
  let m = models.get(key);
  if (!m) {
    m = loadKconfigModel({ srcTree: tree.path, arch });
    models.set(key, m);
    m.catch(() => models.delete(key));
  }
  return m;
}

export async function symbolLookup(tree: KernelTree, arch: Arch): Promise<SymbolLookup> {
  const model = await modelFor(tree, arch);
  return { isDefined: (s) => model.isDefined(s) };
}

/** An explanation for every pin that did not hold. */
export async function explainResult(
  tree: KernelTree,
  arch: Arch,
  result: ConfigResult,
): Promise<Map<string, PinExplanation>> {
  const out = new Map<string, PinExplanation>();
  const failing = result.pins.filter((p) => p.status !== 'holds');
  if (failing.length === 0) return out;
  const model = await modelFor(tree, arch);
  const values = parseDotConfig(await readFile(result.configPath, 'utf8'));
  const pins = new Map(result.pins.map((p) => [p.symbol, p.requested]));
  for (const p of failing) {
    const node = await explainPinInTree(
      tree.path,
      model,
      values,
      p,
      pins,
      findDefinitionsAllArches,
    );
    out.set(p.symbol, { text: renderExplanation(node), tree: node });
  }
  return out;
}
