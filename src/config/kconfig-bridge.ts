// Where config verification meets the Kconfig model: which symbols exist for an arch,
// and why a pin did not hold.
import type { Arch } from '../arch/arches.js';
import type { KernelTree } from '../source/tree.js';
import type { ConfigResult } from './generate.js';
import type { SymbolLookup } from './verify.js';

export interface PinExplanation {
  text: string;
  tree: unknown;
}

// INTERIM until src/kconfig lands its model: every symbol counts as defined.
export async function symbolLookup(_tree: KernelTree, _arch: Arch): Promise<SymbolLookup> {
  return { isDefined: () => true };
}

export async function explainResult(
  _tree: KernelTree,
  _arch: Arch,
  _result: ConfigResult,
): Promise<Map<string, PinExplanation>> {
  return new Map();
}
