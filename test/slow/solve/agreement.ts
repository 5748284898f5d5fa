// The agreement check behind kmatrix solve's claims, for the slow test (fixed queries; the
// large random sweep is bench/solve-agreement.mjs): every satisfiable answer must hold under
// conf, every unsatisfiable one must have each core confirmed by conf failing on the core's
// pins (the draw and the check are src/solve/sample.ts, shared with the bench). One conf
// checker per arch, kept for every query of the session.
import type { Arch } from '../../../src/arch/arches.js';
import type { Base } from '../../../src/config/base.js';
import { modelFor } from '../../../src/config/kconfig-bridge.js';
import type { Pin } from '../../../src/config/pin.js';
import { defaultCacheDir } from '../../../src/fsutil/cache.js';
import { execaRunner } from '../../../src/process/runner.js';
import type { ArchSolveResult } from '../../../src/solve/result.js';
import { openConfChecker } from '../../../src/solve/conf.js';
import { createSolveDeps } from '../../../src/solve/deps.js';
import { checkClaim, randomPins as drawPins } from '../../../src/solve/sample.js';
import { confSessions } from '../../../src/solve/sessions.js';
import { solvePins, type SolveDeps } from '../../../src/solve/solve.js';
import type { KernelTree } from '../../../src/source/tree.js';

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
  const confs = confSessions((t, arch, toolchain, b) =>
    openConfChecker(t, arch, toolchain, b, deps),
  );
  deps.sharedConf = confs.get;

  /** 2-4 random pins of this tree on `arch` (the bench's draw, src/solve/sample.ts). */
  async function randomPins(arch: Arch, rand: () => number): Promise<Pin[]> {
    return drawPins(await modelFor(tree, arch), rand);
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
    const conf = await deps.sharedConf!(tree, arch, 'gcc', base);
    const check = await checkClaim(a.verdict, {
      pins,
      forbid,
      conf,
      model: await modelFor(tree, arch),
    });
    return {
      pins: pins.map((p) => `${p.symbol}=${p.value}`),
      verdict: a.verdict.kind,
      ...check,
      ms: Date.now() - t,
      result: a,
    };
  }

  return {
    randomPins,
    query,
    conf: (arch: Arch) => deps.sharedConf!(tree, arch, 'gcc', base),
    close: () => confs.close(),
  };
}
