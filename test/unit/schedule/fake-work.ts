// A fake CellWork for scheduler tests: each cell's config and build outcomes are scripted
// (including infrastructure faults and hangs until aborted), and every call is logged.
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import type { Cell } from '../../../src/matrix/cell.js';
import type {
  BuildStage,
  CellWork,
  ConfigStage,
  StageContext,
} from '../../../src/schedule/scheduler.js';

export type Scripted<T> = T | 'hang';

export interface FakeCellScript {
  config?: Scripted<Partial<ConfigStage>>[];
  build?: Scripted<Partial<BuildStage>>[];
  configHash?: string;
  delayMs?: number;
}

export interface Call {
  stage: 'config' | 'build';
  cell: string;
  at: number;
  end?: number;
}

export function cell(id: string, o: Partial<Cell> = {}): Cell {
  return {
    id,
    source: 'debian:6.1',
    sourceResolved: 'debian:6.1',
    arch: 'arm64',
    toolchain: 'gcc',
    config: 'tiny',
    variant: `tiny-${id}`,
    base: { kind: 'tinyconfig' },
    pins: [],
    build: true,
    targets: ['kernel'],
    allowUnsatisfied: false,
    ...o,
  };
}

export function diag(severity: 'error' | 'warning', fingerprint: string): Diagnostic {
  return {
    severity,
    kind: 'compiler',
    file: 'init/main.c',
    line: 1,
    message: fingerprint,
    fingerprint,
  };
}

const hang = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });

export function fakeWork(scripts: Record<string, FakeCellScript>, t0 = Date.now()) {
  const calls: Call[] = [];
  const counters = new Map<string, number>();
  const next = <T>(key: string, list: Scripted<T>[] | undefined): Scripted<T> | undefined => {
    const n = counters.get(key) ?? 0;
    counters.set(key, n + 1);
    return list?.[Math.min(n, list.length - 1)];
  };
  const work: CellWork = {
    async config(c: Cell, ctx: StageContext): Promise<ConfigStage> {
      const call: Call = { stage: 'config', cell: c.id, at: Date.now() - t0 };
      calls.push(call);
      const s = scripts[c.id] ?? {};
      await new Promise((r) => setTimeout(r, s.delayMs ?? 5));
      const step = next(`config:${c.id}`, s.config);
      if (step === 'hang') {
        await hang(ctx.signal);
        call.end = Date.now() - t0;
        return { kind: 'failed', status: 'cancelled', reason: 'stopped', files: {} };
      }
      call.end = Date.now() - t0;
      return {
        kind: 'configured',
        verdict: 'satisfied',
        pins: [],
        configHash: s.configHash ?? `hash-${c.id}`,
        diagnostics: [],
        files: { config: `cells/${c.id}/.config` },
        handle: c.id,
        ...(step ?? {}),
      } as ConfigStage;
    },
    async build(c: Cell, handle: unknown, ctx): Promise<BuildStage> {
      const call: Call = { stage: 'build', cell: c.id, at: Date.now() - t0 };
      calls.push(call);
      if (handle !== c.id) throw new Error('handle from the config stage was not passed on');
      const s = scripts[c.id] ?? {};
      const step = next(`build:${c.id}`, s.build);
      if (step === 'hang') {
        await hang(ctx.signal);
        call.end = Date.now() - t0;
        return { status: 'cancelled', diagnostics: [], files: {}, artifacts: [] };
      }
      await new Promise((r) => setTimeout(r, s.delayMs ?? 20));
      call.end = Date.now() - t0;
      return {
        status: 'pass',
        diagnostics: [],
        files: { log: `cells/${c.id}/build.log` },
        artifacts: [],
        ...(step ?? {}),
      };
    },
  };
  return { work, calls };
}
