// Does kmatrix solve agree with conf? (1) The encoding with no extra pins gives every
// bool/tristate symbol of the tree the value conf writes, for the base plus random pins.
// (2) Random pin sets: every satisfiable answer holds under conf, every unsatisfiable one is
// confirmed by conf failing on each core's pins. Undecided answers (no answer within
// --max-extra, or every answer refuted) are no claim: counted and printed, not wrong.
// KMATRIX_SOLVE_AGREEMENT=N sets the pin sets per tree (CI: 3); KMATRIX_SOLVE_AGREEMENT_ALL_ARCHES=1
// spreads them over arm, arm64, s390 and x86_64 (the by-hand runs behind docs/solve.md).
import { describe, expect, it } from 'vitest';
import { ARCHES, type Arch } from '../../../src/arch/arches.js';
import { modelFor } from '../../../src/config/kconfig-bridge.js';
import { mergePins, parseConfigLines, parseDotConfig } from '../../../src/config/dotconfig.js';
import { execaRunner } from '../../../src/process/runner.js';
import type { Lit, Tri } from '../../../src/solve/cnf.js';
import { encode } from '../../../src/solve/encode.js';
import { dimacsSolver } from '../../../src/solve/sat.js';
import { debianTree, type TreeVersion } from '../../helpers/trees.js';
import { agreementSession, rng, type QueryOutcome } from './agreement.js';

const N = Number(process.env['KMATRIX_SOLVE_AGREEMENT'] ?? 3);
const ALL_ARCHES = process.env['KMATRIX_SOLVE_AGREEMENT_ALL_ARCHES'] === '1';

const arch = (name: string): Arch => ARCHES.find((a) => a.name === name)!;
/** One arch per tree in CI (each a different one), all four by hand. */
const CI_ARCH: Record<TreeVersion, string> = { '6.1': 'armhf', '6.12': 'x86_64', '7.2': 's390' };
const SEED_ARCHES = ['armhf', 'arm64', 's390', 'x86_64'];

describe.each(['6.1', '6.12', '7.2'] as const)(
  'kmatrix solve agrees with conf on %s',
  (version) => {
    it('the encoding computes what conf writes, for every symbol of the tree', async () => {
      const tree = await debianTree(version);
      const session = await agreementSession(tree);
      try {
        const a = arch(CI_ARCH[version]);
        const model = await modelFor(tree, a);
        const pins = await session.randomPins(a, rng(1000 + Number(version.replace('.', ''))));
        const conf = await session.conf(a);
        const values = await conf.resolve(pins);
        // the pins as user values (merged into the base, as conf reads them), not as demands
        const merged = mergePins(conf.baseText, pins);
        const enc = encode({
          model,
          arch: a.name,
          pins: [],
          base: parseDotConfig(merged),
          baseOrder: parseConfigLines(merged).map((l) => l.symbol),
          baseValues: conf.baseValues,
          roots: model.boolSymbols().map((s) => s.name),
        });
        const assume: Lit[] = [
          ...enc.facts.map((f) => f.lit),
          ...enc.extras.map((e) => -e.x),
          ...enc.soft,
        ];
        const r = await dimacsSolver(execaRunner).solve(enc.cnf, assume);
        if (r.kind !== 'sat') throw new Error('the encoding of base + pins has no solution');
        const tri = (t: Tri) => (r.value(t.b) ? 'y' : r.value(t.a) ? 'm' : 'n');
        const differ: string[] = [];
        let compared = 0;
        for (const [sym, t] of enc.values) {
          if (sym.isConst || sym.isChoice) continue;
          compared++;
          const want = values.get(sym.name) ?? 'n';
          if (tri(t) !== want) differ.push(`${sym.name}: encoding ${tri(t)}, conf ${want}`);
        }
        console.log(
          `${version} ${a.name} ${pins.map((p) => `${p.symbol}=${p.value}`).join(' ')}: ${compared} symbols compared with conf, ${differ.length} differ`,
        );
        expect(compared).toBeGreaterThan(10000);
        expect(differ).toEqual([]);
      } finally {
        await session.close();
      }
    });

    it(
      `${N} random pin sets: every answer checks out`,
      async () => {
        const tree = await debianTree(version);
        const session = await agreementSession(tree);
        const rand = rng(Number(version.replace('.', '')));
        const outcomes: QueryOutcome[] = [];
        try {
          for (let i = 0; i < N; i++) {
            const a = arch(ALL_ARCHES ? SEED_ARCHES[i % SEED_ARCHES.length]! : CI_ARCH[version]);
            const o = await session.query(a, await session.randomPins(a, rand));
            outcomes.push(o);
            console.log(
              `${version} ${a.name} #${i}: ${o.pins.join(' ')} -> ${o.verdict}${o.detail ? ` [${o.detail}]` : ''} ${o.agrees ? 'ok' : o.wrong ? 'WRONG' : 'no claim'} (${(o.ms / 1000).toFixed(1)}s)`,
            );
          }
        } finally {
          await session.close();
        }
        const count = (k: string) => outcomes.filter((o) => o.verdict === k).length;
        const agree = outcomes.filter((o) => o.agrees).length;
        const wrong = outcomes.filter((o) => o.wrong).length;
        const ms = outcomes.map((o) => o.ms).sort((x, y) => x - y);
        console.log(
          `${version}: ${agree}/${outcomes.length} agree with conf (${((100 * agree) / outcomes.length).toFixed(1)}%): ${count('holds')} hold already, ${count('satisfiable')} satisfiable, ${count('unsatisfiable')} unsatisfiable, ${count('undecided')} undecided, ${wrong} wrong; median ${((ms[Math.floor(ms.length / 2)] ?? 0) / 1000).toFixed(1)}s per query`,
        );
        // wrong claims, and answers conf refuted (the model disagreeing with conf), fail
        expect(outcomes.filter((o) => o.wrong || o.detail.startsWith('conf refuted'))).toEqual([]);
      },
      Math.max(20 * 60_000, N * 2 * 60_000),
    );
  },
);
