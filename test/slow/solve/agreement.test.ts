// Does kmatrix solve agree with conf? Per tree, one conf session on one arch (base defconfig)
// serves (1) the encoding with no extra pins: it gives every bool/tristate symbol of the tree
// the value conf writes, for the base plus random pins; and (2) fixed queries, each answer
// checked again by conf: a satisfiable answer must hold, each conflict of a proof must make
// conf fail on its pins. The large random sweep behind the figures in docs/solve.md is
// bench/solve-agreement.mjs, not a CI test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHES, type Arch } from '../../../src/arch/arches.js';
import { modelFor } from '../../../src/config/kconfig-bridge.js';
import { mergePins, parseConfigLines, parseDotConfig } from '../../../src/config/dotconfig.js';
import { execaRunner } from '../../../src/process/runner.js';
import type { Lit, Tri } from '../../../src/solve/cnf.js';
import { encode } from '../../../src/solve/encode.js';
import { rng, treeSeed } from '../../../src/solve/sample.js';
import { dimacsSolver } from '../../../src/solve/sat.js';
import type { KernelTree } from '../../../src/source/tree.js';
import { debianTree, type TreeVersion } from '../../helpers/trees.js';
import { agreementSession, pinsOf, type AgreementSession } from './agreement.js';

const arch = (name: string): Arch => ARCHES.find((a) => a.name === name)!;

interface FixedQuery {
  pins: string[];
  forbid?: string[];
  /** What the user sees: the verdict, and the extra pins or each conflict's pins. */
  verdict: string;
  detail: string;
  /** Facts the first conflict's chain must contain. */
  chain?: string[];
}

/** One arch per tree (each a different one); queries of every verdict the arch has. */
const CASES: Record<TreeVersion, { arch: string; queries: FixedQuery[] }> = {
  '6.1': {
    arch: 'armhf',
    queries: [
      // three extra pins: PCMCIA comedi drivers need the bus, comedi and their menu
      {
        pins: ['COMEDI_NI_LABPC_CS=y', 'ADXL313_I2C=y', 'CLK_R9A07G043=n'],
        verdict: 'satisfiable',
        detail: 'PCCARD=y COMEDI=y COMEDI_PCMCIA_DRIVERS=y',
      },
      // an Octeon (MIPS) driver on arm: a conflict of one pin among four
      {
        pins: ['FXOS8700_SPI=n', 'ARCH_OMAP4=y', 'LEDS_PWM=m', 'EDAC_OCTEON_LMC=m'],
        verdict: 'unsatisfiable',
        detail: 'EDAC_OCTEON_LMC=m',
      },
    ],
  },
  '6.12': {
    arch: 'x86_64',
    queries: [
      // a tristate codec needs its menu, as a module
      {
        pins: ['SND_SOC_WM8776=m', 'FIREWIRE_NET=n'],
        verdict: 'satisfiable',
        detail: 'SND_SOC=m',
      },
      // the only other way to KEXEC_CORE is forbidden: a proof, base-independent
      {
        pins: ['CRASH_DUMP=y', 'KEXEC=n'],
        forbid: ['KEXEC_FILE=y'],
        verdict: 'unsatisfiable',
        detail: 'CRASH_DUMP=y,KEXEC=n',
        chain: [
          'forbidden KEXEC_FILE=y',
          'KEXEC selects KEXEC_CORE',
          'KEXEC_FILE selects KEXEC_CORE',
          'CRASH_DUMP depends on KEXEC_CORE',
        ],
      },
    ],
  },
  '7.2': {
    arch: 's390',
    queries: [
      // a module pin needs USB as a module (tristate `m` through a chain of menus)
      {
        pins: ['DM_WRITECACHE=y', 'BACKLIGHT_APPLE_DWI=y', 'USB_SERIAL_SIERRAWIRELESS=m'],
        verdict: 'satisfiable',
        detail: 'COMPILE_TEST=y BACKLIGHT_CLASS_DEVICE=y USB_SUPPORT=y USB=m USB_SERIAL=y',
      },
      // a PXA USB gadget driver on s390
      {
        pins: ['USB_PXA25X=y', 'SM_CAMCC_8150=n', 'PCIE_MOBIVEIL_PLAT=n'],
        verdict: 'unsatisfiable',
        detail: 'USB_PXA25X=y',
      },
    ],
  },
};

describe.each(['6.1', '6.12', '7.2'] as const)(
  'kmatrix solve agrees with conf on %s',
  (version) => {
    const a = arch(CASES[version].arch);
    let tree: KernelTree;
    let session: AgreementSession;
    beforeAll(async () => {
      tree = await debianTree(version);
      session = await agreementSession(tree);
    });
    afterAll(async () => {
      await session?.close();
    });

    it(`${a.name}: the encoding computes what conf writes, for every symbol of the tree`, async () => {
      const model = await modelFor(tree, a);
      const pins = await session.randomPins(a, rng(treeSeed(1, version)));
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
    });

    const title = (q: FixedQuery) =>
      `${a.name}: ${q.pins.join(' ')}${q.forbid ? ` --forbid ${q.forbid.join(' ')}` : ''} -> ${q.verdict} ${q.detail}, checked by conf`;
    it.each(CASES[version].queries.map((q) => [title(q), q] as const))('%s', async (_, q) => {
      const o = await session.query(a, pinsOf(q.pins), pinsOf(q.forbid ?? []));
      console.log(
        `${version} ${a.name} ${o.pins.join(' ')} -> ${o.verdict} [${o.detail}] (${(o.ms / 1000).toFixed(1)}s)`,
      );
      expect([o.verdict, o.detail]).toEqual([q.verdict, q.detail]);
      expect(o.agrees).toBe(true);
      if (q.chain) {
        const v = o.result.verdict;
        const chain = v.kind === 'unsatisfiable' ? v.cores[0]!.chain.map((s) => s.text) : [];
        expect(chain).toEqual(expect.arrayContaining(q.chain));
      }
    });
  },
);
