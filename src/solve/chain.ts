// A core's facts as a chain a reader can follow: the pins first, then each fact next to
// one that talks about a symbol it mentions (breadth first from the pins).
import type { ChainStep } from './result.js';
import type { DefinitionSite } from '../kconfig/index.js';
import { factLocation, factSymbols, factText, type Fact } from './facts.js';

/** Which facts about a symbol come first: how it can be set, then who sets it. */
const KIND_ORDER: readonly Fact['kind'][] = [
  'undefined',
  'no-prompt',
  'prompt-if',
  'depends',
  'default',
  'probe',
  'choice',
  'select',
  'imply',
  'keep',
  'forbid',
];

/** The symbols a fact leads to: what it depends on, who selects. */
function leadsTo(f: Fact): string[] {
  switch (f.kind) {
    case 'depends':
      return f.refs;
    case 'select':
    case 'imply':
      return [f.from];
    case 'choice':
      return f.members;
    default:
      return [];
  }
}

/**
 * Depth first from the pins (the ones asking for y or m first): after a fact about a symbol,
 * the facts about the symbols it leads to. Facts not reached that way (an `if` block's
 * condition, say) follow the earliest placed fact they share a symbol with.
 */
function orderChain(facts: readonly Fact[]): Fact[] {
  const out: Fact[] = [];
  const placed = new Set<Fact>();
  const place = (f: Fact) => {
    placed.add(f);
    out.push(f);
  };
  const visit = (symbol: string) => {
    const about = facts
      .filter((f) => !placed.has(f) && f.kind !== 'pin' && f.symbol === symbol)
      .sort((x, y) => KIND_ORDER.indexOf(x.kind) - KIND_ORDER.indexOf(y.kind));
    for (const f of about) {
      if (placed.has(f)) continue;
      place(f);
      for (const s of leadsTo(f)) visit(s);
    }
  };
  const pins = facts.filter((f) => f.kind === 'pin');
  const asks = (f: Fact) => (f.kind === 'pin' && f.value !== 'n' ? 0 : 1);
  const sorted = [...pins].sort((x, y) => asks(x) - asks(y));
  sorted.forEach(place);
  for (const p of sorted) visit(p.symbol);
  for (;;) {
    const left = facts.filter((f) => !placed.has(f));
    if (left.length === 0) return out;
    let best = left[0]!;
    let bestRank = Infinity;
    for (const f of left) {
      const syms = factSymbols(f);
      const rank = out.findIndex((o) => factSymbols(o).some((x) => syms.includes(x)));
      if (rank >= 0 && rank < bestRank) {
        bestRank = rank;
        best = f;
      }
    }
    place(best);
    for (const s of leadsTo(best)) visit(s);
  }
}

export function chainSteps(
  facts: readonly Fact[],
  elsewhere: ReadonlyMap<string, readonly DefinitionSite[]>,
): ChainStep[] {
  return orderChain(facts).map((f) => {
    const step: ChainStep = { text: factText(f), kind: f.kind, location: factLocation(f) ?? null };
    if (f.kind === 'undefined') {
      step.definedElsewhere = (elsewhere.get(f.symbol) ?? []).map((d) => ({
        file: d.file,
        line: d.line,
        arch: d.arch ?? null,
      }));
    }
    return step;
  });
}
