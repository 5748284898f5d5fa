// Why config-bisect puts the symbols the failing file names first: ddmin splits the list in
// order, so two interacting changes next to each other are isolated in far fewer tests than
// the same two spread apart; the answer is the same 1-minimal pair.
import { describe, expect, it } from 'vitest';
import { ddmin } from '../../../src/bisect/ddmin.js';

async function run(order: number[]) {
  const test = (s: readonly number[]) =>
    Promise.resolve(s.includes(7) && s.includes(131) ? ('fail' as const) : ('pass' as const));
  return ddmin(order, test);
}

describe('ddmin and the order of the candidates', () => {
  it('finds the same pair, in fewer tests when the pair comes first', async () => {
    const spread = Array.from({ length: 150 }, (_, i) => i);
    const first = [7, 131, ...spread.filter((i) => i !== 7 && i !== 131)];
    const a = await run(spread);
    const b = await run(first);
    expect(a.minimal.sort((x, y) => x - y)).toEqual([7, 131]);
    expect(b.minimal.sort((x, y) => x - y)).toEqual([7, 131]);
    expect(b.tests).toBeLessThan(a.tests);
    expect(b.tests).toBeLessThanOrEqual(20);
  });
});
