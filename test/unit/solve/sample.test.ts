// The agreement check's query draw and claim check (src/solve/sample.ts), shared by the slow
// test and bench/solve-agreement.mjs: a slice of a tree's stream is exactly those queries of
// the whole stream, pins are prompted bool/tristate symbols, and a claim conf contradicts is
// counted wrong.
import { describe, expect, it } from 'vitest';
import { ARCHES } from '../../../src/arch/arches.js';
import type { ArchVerdict } from '../../../src/solve/result.js';
import { checkClaim, drawQueries, randomPins, rng } from '../../../src/solve/sample.js';
import { model as buildModel } from '../kconfig/helpers.js';
import { memConf, pin } from './helpers.js';

const TREE = `
config A
	bool "a"
	depends on B
config B
	bool "b"
config T
	tristate "t"
config U
	tristate "u"
config HIDDEN
	bool
	default y
choice
	prompt "pick"
config C1
	bool "c1"
config C2
	bool "c2"
endchoice
`;
const model = buildModel(TREE);
const arches = ARCHES.slice(0, 3);
const words = (q: { pins: { symbol: string; value: string }[] }) =>
  q.pins.map((p) => `${p.symbol}=${p.value}`);

describe('drawQueries', () => {
  it('draws a slice as exactly the queries the whole stream has at those positions', async () => {
    const draw = (from: number, to: number) =>
      drawQueries({ arches, seed: 7, from, to, model: () => Promise.resolve(model) });
    const whole = await draw(0, 12);
    const slice = await draw(5, 9);
    expect(slice.map((q) => q.index)).toEqual([5, 6, 7, 8]);
    expect(slice.map(words)).toEqual(whole.slice(5, 9).map(words));
    // arches in turn, by position in the stream
    expect(slice.map((q) => q.arch.name)).toEqual([5, 6, 7, 8].map((i) => arches[i % 3]!.name));
    // another seed, other queries
    const other = await drawQueries({
      arches,
      seed: 8,
      from: 0,
      to: 12,
      model: () => Promise.resolve(model),
    });
    expect(other.map(words)).not.toEqual(whole.map(words));
  });
});

describe('randomPins', () => {
  it('pins 2-4 distinct prompted bool/tristate symbols, never a choice or m on a bool', () => {
    const rand = rng(3);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const pins = randomPins(model, rand);
      expect(pins.length).toBeGreaterThanOrEqual(2);
      expect(pins.length).toBeLessThanOrEqual(4);
      expect(new Set(pins.map((p) => p.symbol)).size).toBe(pins.length);
      for (const p of pins) {
        seen.add(`${p.symbol}=${p.value}`);
        if (p.value === 'm') expect(['T', 'U']).toContain(p.symbol);
      }
    }
    // every prompted symbol and value turns up; the promptless one never does
    for (const w of ['A=y', 'A=n', 'B=y', 'T=m', 'U=y', 'C1=y', 'C2=n', 'MODULES=y'])
      expect(seen).toContain(w);
    expect([...seen].some((w) => w.startsWith('HIDDEN='))).toBe(false);
  });
});

describe('checkClaim', () => {
  const base = 'CONFIG_MODULES=y\n# CONFIG_A is not set\n# CONFIG_B is not set\n';
  const check = (v: ArchVerdict, pins: string[], forbid: string[] = []) =>
    checkClaim(v, {
      pins: pins.map(pin),
      forbid: forbid.map(pin),
      conf: memConf(model, base),
      model,
    });
  const sat = (extra: string[]): ArchVerdict => ({
    kind: 'satisfiable',
    extra: extra.map(pin).map(({ symbol, value }) => ({ symbol, value })),
    command: 'kmatrix config',
    found: 'solver',
    changedFromBase: 0,
  });
  const unsat = (confirmed: boolean): ArchVerdict => ({
    kind: 'unsatisfiable',
    cores: [{ pins: ['A=y', 'B=n'], chain: [], confirmedByConf: confirmed }],
    toolchainDependent: false,
  });

  it('agrees with an answer whose extra pins make conf hold the pins', async () => {
    expect(await check(sat(['B=y']), ['A=y'])).toEqual({
      agrees: true,
      wrong: false,
      detail: 'B=y',
    });
  });

  it('counts an answer conf does not hold as wrong', async () => {
    expect(await check(sat(['T=y']), ['A=y'])).toMatchObject({ agrees: false, wrong: true });
    expect(await check({ kind: 'holds' }, ['A=y'])).toMatchObject({ agrees: false, wrong: true });
  });

  it('counts an answer that reaches a forbidden value as wrong', async () => {
    expect(await check(sat(['B=y']), ['A=y'], ['B=y'])).toMatchObject({ wrong: true });
  });

  it('takes a proof only when conf confirmed every conflict; undecided is no claim', async () => {
    expect(await check(unsat(true), ['A=y', 'B=n'])).toEqual({
      agrees: true,
      wrong: false,
      detail: 'A=y,B=n',
    });
    expect(await check(unsat(false), ['A=y', 'B=n'])).toMatchObject({ agrees: false, wrong: true });
    expect(await check({ kind: 'undecided', reason: 'max-extra' }, ['A=y'])).toEqual({
      agrees: false,
      wrong: false,
      detail: 'max-extra',
    });
  });
});
