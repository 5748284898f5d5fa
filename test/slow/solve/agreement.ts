// The agreement check behind kmatrix solve's claims, for the slow test (fixed queries; the
// large random sweep is bench/solve-agreement.mjs): every satisfiable answer must hold under
// conf, every unsatisfiable one must have each core confirmed by conf failing on the core's
// pins. One conf checker per arch, kept for every query of the session.
import type { Arch } from '../../../src/arch/arches.js';
import type { Base } from '../../../src/config/base.js';
import { modelFor } from '../../../src/config/kconfig-bridge.js';
import type { Pin } from '../../../src/config/pin.js';
import { pinStatus } from '../../../src/config/verify.js';
import { defaultCacheDir } from '../../../src/fsutil/cache.js';
import { execaRunner } from '../../../src/process/runner.js';
import type { ArchSolveResult } from '../../../src/solve/result.js';
import { openConfChecker, type ConfChecker } from '../../../src/solve/conf.js';
import { createSolveDeps } from '../../../src/solve/deps.js';
import { solvePins, type SolveDeps } from '../../../src/solve/solve.js';
import type { KernelTree } from '../../../src/source/tree.js';

/** mulberry32: reproducible pin sets from a seed. */
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

export interface QueryOutcome {
  pins: string[];
  verdict: ArchSolveResult['verdict']['kind'];
  /** The claim checked out: held under conf, or every core confirmed by conf. */
  agrees: boolean;
  /** A claim conf contradicts: an answer that does not hold, a core conf does not confirm. */
  wrong: boolean;
  detail: string;
  ms: number;
  /** The solver's answer as it reported it. */
  result: ArchSolveResult;
}

/** `SYM=VAL` words as pins. */
export function pinsOf(words: readonly string[], origin = '--set'): Pin[] {
  return words.map((w) => {
    const [symbol, value] = w.split('=') as [string, string];
    return { symbol, value, origin };
  });
}

export type AgreementSession = Awaited<ReturnType<typeof agreementSession>>;

/** A session: one conf checker per arch, kept for every query. */
export async function agreementSession(tree: KernelTree, base: Base = { kind: 'defconfig' }) {
  const cacheDir = defaultCacheDir(process.env);
  const deps: SolveDeps = await createSolveDeps({
    runner: execaRunner,
    cacheDir,
    env: process.env,
    emit: () => {},
    jobs: 2,
  });
  const confs = new Map<string, Promise<ConfChecker>>();
  deps.sharedConf = (t, arch, toolchain, b) => {
    let c = confs.get(arch.name);
    if (!c) {
      c = openConfChecker(t, arch, toolchain, b, deps);
      confs.set(arch.name, c);
    }
    return c;
  };

  async function randomPins(arch: Arch, rand: () => number): Promise<Pin[]> {
    const model = await modelFor(tree, arch);
    const cands = model
      .boolSymbols()
      .filter((s) => !s.isChoice && s.props.some((p) => p.kind === 'prompt'));
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

  async function query(arch: Arch, pins: Pin[], forbid: Pin[] = []): Promise<QueryOutcome> {
    const t = Date.now();
    const r = await solvePins(
      {
        tree,
        arches: [arch],
        toolchain: 'gcc',
        base,
        pins,
        forbid,
        keepBase: false,
        maxExtra: 12,
      },
      deps,
    );
    const a = r.arches[0]!;
    const names = pins.map((p) => `${p.symbol}=${p.value}`);
    const out = (agrees: boolean, detail: string): QueryOutcome => ({
      pins: names,
      verdict: a.verdict.kind,
      agrees,
      wrong: !agrees && a.verdict.kind !== 'undecided',
      detail,
      ms: Date.now() - t,
      result: a,
    });
    const v = a.verdict;
    const conf = await deps.sharedConf!(tree, arch, 'gcc', base);
    const model = await modelFor(tree, arch);
    switch (v.kind) {
      case 'holds':
      case 'satisfiable': {
        // checked again here, independently of the solver's own check
        const extra =
          v.kind === 'satisfiable' ? v.extra.map((e) => ({ ...e, origin: 'solve' })) : [];
        const values = await conf.resolve([...pins, ...extra]);
        const bad = [
          ...pins.filter((p) => pinStatus(p, values, model).status !== 'holds'),
          ...forbid.filter((p) => pinStatus(p, values, model).status === 'holds'),
        ];
        return out(bad.length === 0, extra.map((e) => `${e.symbol}=${e.value}`).join(' '));
      }
      case 'unsatisfiable':
        return out(
          v.cores.every((c) => c.confirmedByConf),
          v.cores.map((c) => c.pins.join(',')).join(' | '),
        );
      case 'undecided':
        return out(false, v.reason);
    }
  }

  return {
    randomPins,
    query,
    conf: (arch: Arch) => deps.sharedConf!(tree, arch, 'gcc', base),
    close: async () => {
      for (const c of confs.values()) await (await c).close();
    },
  };
}
