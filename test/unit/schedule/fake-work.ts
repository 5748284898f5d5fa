// A fake CellWork for scheduler tests: each cell's config and build outcomes are scripted
// (including infrastructure faults and hangs until aborted), and every call is logged. And a
// fake Clock whose time moves only when everything waits on it, so timeouts fire
// deterministically and durations are exact.
import type { Cell } from '../../../src/matrix/cell.js';
import type {
  BuildStage,
  CellWork,
  ConfigStage,
  StageContext,
} from '../../../src/schedule/cell-work.js';
import { realClock, type Clock } from '../../../src/schedule/clock.js';

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

const hang = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/**
 * Virtual time. When nothing is left to run but waits on this clock (checked after the
 * microtask queue drains, with setImmediate), time jumps to the earliest timer and fires it;
 * timers due at the same time fire in the order they were set.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  private stepping = false;

  constructor(start = Date.parse('2025-01-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      const timer = this.add(ms, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  timeout(ms: number): AbortSignal {
    const ac = new AbortController();
    this.add(ms, () => ac.abort(new DOMException('The operation timed out.', 'TimeoutError')));
    return ac.signal;
  }

  /** Work done at `ms` from now (an abort at a given time, say). */
  at(ms: number, fire: () => void): void {
    this.add(ms, fire);
  }

  private add(ms: number, fire: () => void): Timer {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fire };
    this.timers.push(timer);
    this.schedule();
    return timer;
  }

  private schedule() {
    if (this.stepping) return;
    this.stepping = true;
    setImmediate(() => {
      this.stepping = false;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      next.fire();
      if (this.timers.length > 0) this.schedule();
    });
  }
}

const never = new AbortController().signal;

export function fakeWork(scripts: Record<string, FakeCellScript>, clock: Clock = realClock) {
  const t0 = clock.now();
  const calls: Call[] = [];
  const counters = new Map<string, number>();
  const next = <T>(key: string, list: Scripted<T>[] | undefined): Scripted<T> | undefined => {
    const n = counters.get(key) ?? 0;
    counters.set(key, n + 1);
    return list?.[Math.min(n, list.length - 1)];
  };
  const work: CellWork = {
    async config(c: Cell, ctx: StageContext): Promise<ConfigStage> {
      const call: Call = { stage: 'config', cell: c.id, at: clock.now() - t0 };
      calls.push(call);
      const s = scripts[c.id] ?? {};
      await clock.sleep(s.delayMs ?? 5, never);
      const step = next(`config:${c.id}`, s.config);
      if (step === 'hang') {
        await hang(ctx.signal);
        call.end = clock.now() - t0;
        return { kind: 'failed', status: 'cancelled', reason: 'stopped', files: {} };
      }
      call.end = clock.now() - t0;
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
      const call: Call = { stage: 'build', cell: c.id, at: clock.now() - t0 };
      calls.push(call);
      if (handle !== c.id) throw new Error('handle from the config stage was not passed on');
      const s = scripts[c.id] ?? {};
      const step = next(`build:${c.id}`, s.build);
      if (step === 'hang') {
        await hang(ctx.signal);
        call.end = clock.now() - t0;
        return { status: 'cancelled', diagnostics: [], files: {}, artifacts: [] };
      }
      await clock.sleep(s.delayMs ?? 20, never);
      call.end = clock.now() - t0;
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
