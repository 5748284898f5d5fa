// The encoding computes what the evaluator (and conf) computes: for random user values on a
// tree with every construct, the formula with no extra pins has exactly one solution, and it
// gives every symbol the evaluator's value.
import { describe, expect, it } from 'vitest';
import { parseConfigLines, parseDotConfig } from '../../../src/config/dotconfig.js';
import { Evaluator, type KconfigModel } from '../../../src/kconfig/index.js';
import { execaRunner } from '../../../src/process/runner.js';
import type { Lit, Tri } from '../../../src/solve/cnf.js';
import { encode } from '../../../src/solve/encode.js';
import { rng } from '../../../src/solve/sample.js';
import { dimacsSolver } from '../../../src/solve/sat.js';
import { model as buildModel } from '../kconfig/helpers.js';

const TREE = `
config A
	tristate "a"
	default m if B
	imply I
config B
	bool "b"
	select S if C
config C
	tristate "c"
	depends on A || D
config D
	def_bool y
	depends on !E
config E
	bool "e"
	depends on m
config S
	tristate
	depends on F
config F
	bool "f" if !B
	default y
config I
	tristate "i"
	depends on C
config J
	bool
	default y if A = m
	default n
if B
config G
	tristate "g"
	select S
endif
menu "visible"
	visible if C != n
config H
	bool "h"
	default E
endmenu
config K
	bool "k"
	depends on B
config K
	bool
	depends on C
choice
	prompt "pick"
	default Q if A
config P
	bool "p"
config Q
	bool "q"
	depends on C
config R
	bool "r"
	depends on B
endchoice
config T
	bool "t"
	depends on P || R
`;

function randomConfig(model: KconfigModel, rand: () => number): string {
  const lines: string[] = [];
  const syms = [...model.symbols.values()].filter((s) => s.nodes.length > 0 && !s.isChoice);
  for (const s of syms.sort(() => rand() - 0.5)) {
    const r = rand();
    if (r < 0.3) continue;
    const v = r < 0.55 ? 'n' : r < 0.8 ? 'y' : 'm';
    lines.push(v === 'n' ? `# CONFIG_${s.name} is not set` : `CONFIG_${s.name}=${v}`);
  }
  return lines.join('\n') + '\n';
}

async function checkAgreement(dialect: 'legacy' | 'members', seeds: number): Promise<void> {
  const model = buildModel(TREE, { dialect });
  const sat = dimacsSolver(execaRunner);
  const names = [...model.symbols.values()]
    .filter((s) => s.nodes.length > 0 && !s.isChoice)
    .map((s) => s.name);
  for (let seed = 1; seed <= seeds; seed++) {
    const text = randomConfig(model, rng(seed));
    const base = parseDotConfig(text);
    const enc = encode({
      model,
      arch: 'x86_64',
      pins: [],
      base,
      baseOrder: parseConfigLines(text).map((l) => l.symbol),
      roots: names,
    });
    const assume: Lit[] = [
      ...enc.facts.map((f) => f.lit),
      ...enc.extras.map((e) => -e.x),
      ...enc.soft,
    ];
    const r = await sat.solve(enc.cnf, assume);
    if (r.kind !== 'sat') throw new Error(`seed ${seed}: no solution`);
    const tri = (t: Tri) => (r.value(t.b) ? 2 : r.value(t.a) ? 1 : 0);
    const ev = new Evaluator(model, base);
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    const differs: Lit[] = [];
    for (const [sym, t] of enc.values) {
      if (sym.isConst) continue;
      got[sym.name] = tri(t);
      want[sym.name] = ev.value(sym);
      const c = enc.cnf;
      differs.push(tri(t) === 2 ? -t.b : tri(t) === 1 ? c.or(-t.a, t.b) : t.a);
    }
    expect({ seed, values: got }).toEqual({ seed, values: want });
    // exactly one solution: any other value for any symbol is impossible
    const b = enc.cnf.newVar();
    enc.cnf.add([-b, ...differs]);
    expect((await sat.solve(enc.cnf, [...assume, b])).kind, `seed ${seed}: second solution`).toBe(
      'unsat',
    );
  }
}

// each config is two solver processes: allow for a busy machine
describe('encode: agrees with the evaluator', { timeout: 60_000 }, () => {
  it('6.11+ choices (members dialect), 30 random configs', async () => {
    await checkAgreement('members', 30);
  });
  it('6.1 choices (legacy dialect), 30 random configs', async () => {
    await checkAgreement('legacy', 30);
  });
});
