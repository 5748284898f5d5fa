// Random pin sets drawn from a tree, for the agreement check of solve against conf: the slow
// test (test/slow/solve/agreement.ts) and the large sweep (bench/solve-agreement.mjs) draw
// the same queries from the same seed, so a slice of the sweep can be rerun on its own.
import type { Arch } from '../arch/arches.js';
import type { Pin } from '../config/pin.js';
import { pinStatus } from '../config/verify.js';
import { unreachable } from '../core/errors.js';
import type { KconfigModel } from '../kconfig/model.js';
import type { ConfChecker } from './conf.js';
import type { ArchVerdict } from './result.js';

/** mulberry32: a small, reproducible generator of numbers in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The sweep's seed for one tree: one stream per tree, so adding a tree or changing
 * --per-tree leaves every other tree's queries (and each tree's first ones) as they were.
 */
export function treeSeed(seed: number, version: string): number {
  return seed * 1000 + Number(version.replace('.', ''));
}

/** 2-4 pins of distinct prompted bool/tristate symbols (not choices), values y/m/n. */
export function randomPins(model: KconfigModel, rand: () => number): Pin[] {
  const cands = model
    .boolSymbols()
    .filter((s) => !s.isChoice && s.props.some((p) => p.kind === 'prompt'));
  if (cands.length < 4) throw new Error(`randomPins: only ${cands.length} prompted symbols`);
  const k = 2 + Math.floor(rand() * 3);
  const pins: Pin[] = [];
  while (pins.length < k) {
    const s = cands[Math.floor(rand() * cands.length)]!;
    if (pins.some((p) => p.symbol === s.name)) continue;
    const values = s.type === 'tristate' ? ['y', 'm', 'n'] : ['y', 'n'];
    pins.push({
      symbol: s.name,
      value: values[Math.floor(rand() * values.length)]!,
      origin: '--set',
    });
  }
  return pins;
}

export interface SampledQuery {
  /** Position in the tree's stream (0-based), the same whatever slice is drawn. */
  index: number;
  arch: Arch;
  pins: Pin[];
}

/**
 * Queries `from` .. `to - 1` of a tree's stream: query i is on arches[i % arches.length].
 * The earlier ones are drawn and dropped (drawing is cheap), so a slice is exactly the
 * queries the whole sweep would ask at those positions.
 */
export async function drawQueries(o: {
  arches: readonly Arch[];
  seed: number;
  from: number;
  to: number;
  model: (arch: Arch) => Promise<KconfigModel>;
}): Promise<SampledQuery[]> {
  const rand = rng(o.seed);
  const out: SampledQuery[] = [];
  for (let i = 0; i < o.to; i++) {
    const arch = o.arches[i % o.arches.length]!;
    const pins = randomPins(await o.model(arch), rand);
    if (i >= o.from) out.push({ index: i, arch, pins });
  }
  return out;
}

export interface ClaimCheck {
  /** The claim checked out: held under conf, or every conflict confirmed by conf. */
  agrees: boolean;
  /** A claim conf contradicts: an answer that does not hold, a conflict conf does not confirm. */
  wrong: boolean;
  /** The extra pins, the conflicts' pins, or why the verdict is undecided. */
  detail: string;
}

/**
 * A verdict checked against conf again, independently of the solver's own check: an answer
 * (or "holds") must hold every pin and no forbidden value when conf runs on the base with the
 * pins and extra pins; a proof must have each conflict confirmed by conf. Undecided is no
 * claim: it does not agree, and it is not wrong.
 */
export async function checkClaim(
  v: ArchVerdict,
  q: { pins: readonly Pin[]; forbid: readonly Pin[]; conf: ConfChecker; model: KconfigModel },
): Promise<ClaimCheck> {
  switch (v.kind) {
    case 'holds':
    case 'satisfiable': {
      const extra = v.kind === 'satisfiable' ? v.extra.map((e) => ({ ...e, origin: 'solve' })) : [];
      const values = await q.conf.resolve([...q.pins, ...extra]);
      const bad = [
        ...q.pins.filter((p) => pinStatus(p, values, q.model).status !== 'holds'),
        ...q.forbid.filter((p) => pinStatus(p, values, q.model).status === 'holds'),
      ];
      const ok = bad.length === 0;
      return {
        agrees: ok,
        wrong: !ok,
        detail: extra.map((e) => `${e.symbol}=${e.value}`).join(' '),
      };
    }
    case 'unsatisfiable': {
      const ok = v.cores.every((c) => c.confirmedByConf);
      return { agrees: ok, wrong: !ok, detail: v.cores.map((c) => c.pins.join(',')).join(' | ') };
    }
    case 'undecided':
      return { agrees: false, wrong: false, detail: v.reason };
    default:
      return unreachable(v);
  }
}
