// A core's facts as a chain a reader can follow: the pins first, then each fact next to
// one that talks about a symbol it mentions (breadth first from the pins).
import type { ChainStep } from '../report/solve.js';
import type { DefinitionSite } from '../kconfig/index.js';
import { factLocation, factSymbols, factText, type Fact } from './facts.js';

export function orderChain(facts: readonly Fact[]): Fact[] {
  const left = [...facts];
  const out: Fact[] = [];
  const take = (i: number) => out.push(...left.splice(i, 1));
  for (let i = left.length - 1; i >= 0; i--) if (left[i]!.kind === 'pin') take(i);
  out.reverse();
  while (left.length > 0) {
    let best = -1;
    let bestRank = Infinity;
    left.forEach((f, i) => {
      const syms = factSymbols(f);
      // the earliest placed fact sharing a symbol decides the order
      const rank = out.findIndex((o) => factSymbols(o).some((s) => syms.includes(s)));
      const r = rank < 0 ? Infinity : rank;
      if (r < bestRank) {
        bestRank = r;
        best = i;
      }
    });
    take(best < 0 ? 0 : best);
  }
  return out;
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
