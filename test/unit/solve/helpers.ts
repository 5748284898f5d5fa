// In-memory solve runs for the unit tests: a Kconfig text, a base .config, and "conf" played
// by the Kconfig model's evaluator (agrees with the real conf; the slow tests use the real one).
import { mergePins, parseDotConfig, type ConfigValues } from '../../../src/config/dotconfig.js';
import type { Pin } from '../../../src/config/pin.js';
import { Evaluator, type KconfigModel } from '../../../src/kconfig/index.js';
import { execaRunner } from '../../../src/process/runner.js';
import type { ArchSolveResult, SolveEvent } from '../../../src/solve/result.js';
import type { ConfChecker } from '../../../src/solve/conf.js';
import { dimacsSolver } from '../../../src/solve/sat.js';
import { decideArch } from '../../../src/solve/solve.js';
import { model as buildModel } from '../kconfig/helpers.js';

/** What conf --olddefconfig would write for a .config text: every symbol it writes. */
export function olddefconfig(model: KconfigModel, text: string): ConfigValues {
  const ev = new Evaluator(model, parseDotConfig(text));
  const out: ConfigValues = new Map();
  for (const s of model.symbols.values()) {
    if (s.nodes.length === 0 || s.isChoice) continue;
    if (ev.state(s).write) out.set(s.name, ev.text(s));
  }
  return out;
}

export function memConf(model: KconfigModel, baseText: string): ConfChecker & { calls: Pin[][] } {
  const calls: Pin[][] = [];
  return {
    baseText,
    baseValues: olddefconfig(model, baseText),
    calls,
    resolve(pins) {
      calls.push([...pins]);
      return Promise.resolve(olddefconfig(model, mergePins(baseText, pins)));
    },
    runs: () => calls.length,
    close: () => Promise.resolve(),
  };
}

export const pin = (text: string): Pin => {
  const [symbol, value] = text.split('=');
  return { symbol: symbol!, value: value!, origin: '--set' };
};

export interface MemSolve {
  result: Pick<ArchSolveResult, 'verdict' | 'pins'>;
  conf: ReturnType<typeof memConf>;
  events: SolveEvent[];
}

/** Solve pins on an in-memory tree (the text is a Kconfig file after MODULES). */
export async function solveMem(
  kconfig: string,
  opts: {
    base?: string;
    pins: string[];
    forbid?: string[];
    keepBase?: boolean;
    maxExtra?: number;
    dialect?: 'legacy' | 'members';
  },
): Promise<MemSolve> {
  const model = buildModel(kconfig, opts.dialect ? { dialect: opts.dialect } : {});
  const conf = memConf(model, opts.base ?? 'CONFIG_MODULES=y\n');
  const events: SolveEvent[] = [];
  const result = await decideArch({
    arch: 'x86_64',
    pins: opts.pins.map(pin),
    forbid: (opts.forbid ?? []).map(pin),
    keepBase: opts.keepBase ?? false,
    maxExtra: opts.maxExtra ?? 8,
    model,
    conf,
    sat: dimacsSolver(execaRunner),
    emit: (e) => events.push(e),
    definitions: () => Promise.resolve([]),
    command: (extra) =>
      ['kmatrix config', ...extra.map((p) => `--set ${p.symbol}=${p.value}`)].join(' '),
    stats: { symbols: 0, variables: 0, clauses: 0, satCalls: 0, confRuns: 0, ms: 0 },
  });
  return { result, conf, events };
}
