// The "why" of every broken cell, new or not: each pin that did not hold with the Kconfig
// model's chain (as `kmatrix config` prints it) and the first error diagnostics. Computed
// after the run from what the store and the run directory hold; the pin explanation is the
// only part that needs the tree (injected, so tests and fake runs need none).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findArch } from '../arch/arches.js';
import { parseDotConfig } from '../config/dotconfig.js';
import { modelFor } from '../config/kconfig-bridge.js';
import { errorMessage } from '../core/errors.js';
import { explainPinInTree, findDefinitionsAllArches, renderExplanation } from '../kconfig/index.js';
import type { Cell } from '../matrix/cell.js';
import { isBroken, type CellResult } from '../results/result.js';
import { firstErrors, type CellWhy, type PinWhy } from '../results/triage.js';
import type { KernelTree } from '../source/tree.js';

/** Explains the pins of one cell that did not hold (the model and the cell's .config). */
export type PinExplainer = (cell: Cell, result: CellResult) => Promise<PinWhy[]>;

export async function whyOfBroken(
  cells: readonly Cell[],
  results: ReadonlyMap<string, CellResult>,
  explainPins: PinExplainer | undefined,
): Promise<Map<string, CellWhy>> {
  const out = new Map<string, CellWhy>();
  for (const c of cells) {
    const r = results.get(c.id);
    if (!r || !isBroken(r.status)) continue;
    const failing = r.pins.filter((p) => p.status !== 'holds');
    let pins: PinWhy[] = failing.map((p) => ({ ...p, explanation: null }));
    let note: string | null = null;
    if (failing.length && explainPins) {
      try {
        pins = await explainPins(c, r);
      } catch (e) {
        note = `the pins could not be explained: ${errorMessage(e).split('\n')[0]}`;
      }
    } else if (failing.length) note = 'pin explanations are not available for this run';
    out.set(c.id, { pins, errors: firstErrors(r.diagnostics), note });
  }
  return out;
}

/** The real explainer: the cell's tree (resolved by `tree`) and its .config in the run dir. */
export function treePinExplainer(
  runDir: string,
  tree: (source: string) => Promise<KernelTree>,
): PinExplainer {
  return async (cell, result) => {
    const arch = findArch(cell.arch);
    if (!arch) throw new Error(`unknown arch ${cell.arch}`);
    if (!result.files.config) throw new Error('the cell has no .config in the run directory');
    const t = await tree(cell.sourceResolved);
    const model = await modelFor(t, arch);
    const values = parseDotConfig(await readFile(join(runDir, result.files.config), 'utf8'));
    const pins = new Map(result.pins.map((p) => [p.symbol, p.requested]));
    const out: PinWhy[] = [];
    for (const p of result.pins) {
      if (p.status === 'holds') continue;
      const node = await explainPinInTree(t.path, model, values, p, pins, findDefinitionsAllArches);
      out.push({ ...p, explanation: renderExplanation(node) });
    }
    return out;
  };
}
