// Conf sessions shared across solves (src/solve/sessions.ts): one per tree, arch, toolchain
// and base; a failed open is retried; close closes each once; a stopped solve stops waiting.
import { describe, expect, it } from 'vitest';
import { ARCHES } from '../../../src/arch/arches.js';
import type { Base } from '../../../src/config/base.js';
import type { ConfChecker } from '../../../src/solve/conf.js';
import { confSessions, sessionView, untilAborted } from '../../../src/solve/sessions.js';
import type { KernelTree } from '../../../src/source/tree.js';

const treeAt = (path: string): KernelTree => ({
  spec: { kind: 'debian', version: '6.12' },
  path,
  version: '6.12.95',
  label: 'debian-6.12',
  cacheKey: path,
});
const [x86, arm] = [
  ARCHES.find((a) => a.name === 'x86_64')!,
  ARCHES.find((a) => a.name === 'armhf')!,
];
const tiny: Base = { kind: 'tinyconfig' };
const def: Base = { kind: 'defconfig' };

function fakeOpener() {
  const opened: string[] = [];
  const closed: string[] = [];
  let failNext = false;
  const open = (tree: KernelTree, arch: (typeof ARCHES)[number], tc: string, base: Base) => {
    const name = `${tree.path} ${arch.name} ${tc} ${base.kind}`;
    opened.push(name);
    if (failNext) {
      failNext = false;
      return Promise.reject(new Error(`make ${base.kind} failed`));
    }
    let runs = 0;
    const conf: ConfChecker = {
      baseText: '',
      baseValues: new Map(),
      resolve: () => {
        runs++;
        return Promise.resolve(new Map([['RUN', String(runs)]]));
      },
      runs: () => runs,
      close: () => {
        closed.push(name);
        return Promise.resolve();
      },
    };
    return Promise.resolve(conf);
  };
  return { open, opened, closed, failOnce: () => (failNext = true) };
}

describe('confSessions', () => {
  it('opens one session per tree, arch, toolchain and base, and closes each once', async () => {
    const f = fakeOpener();
    const s = confSessions(f.open);
    const t = treeAt('/t/6.12');
    const a = await s.get(t, x86, 'gcc', tiny);
    expect(await s.get(t, x86, 'gcc', tiny)).toBe(a);
    await Promise.all([
      s.get(t, arm, 'gcc', tiny),
      s.get(t, arm, 'gcc', tiny),
      s.get(t, x86, 'clang', tiny),
      s.get(t, x86, 'gcc', def),
      s.get(treeAt('/t/7.2'), x86, 'gcc', tiny),
    ]);
    expect(f.opened).toEqual([
      '/t/6.12 x86_64 gcc tinyconfig',
      '/t/6.12 armhf gcc tinyconfig',
      '/t/6.12 x86_64 clang tinyconfig',
      '/t/6.12 x86_64 gcc defconfig',
      '/t/7.2 x86_64 gcc tinyconfig',
    ]);
    expect(s.size()).toBe(5);
    await s.close();
    expect([...f.closed].sort()).toEqual([...f.opened].sort());
    await expect(s.get(t, x86, 'gcc', tiny)).rejects.toThrow(/after close/);
  });

  it('forgets a session that failed to open, so the next solve opens it again', async () => {
    const f = fakeOpener();
    const s = confSessions(f.open);
    const t = treeAt('/t/6.1');
    f.failOnce();
    await expect(s.get(t, x86, 'gcc', tiny)).rejects.toThrow('make tinyconfig failed');
    await s.get(t, x86, 'gcc', tiny);
    expect(f.opened).toHaveLength(2);
    await s.close();
    expect(f.closed).toHaveLength(1);
  });
});

describe('sessionView', () => {
  it('counts its own conf runs and leaves the session open when the solve closes it', async () => {
    const f = fakeOpener();
    const s = confSessions(f.open);
    const shared = await s.get(treeAt('/t'), x86, 'gcc', tiny);
    const one = sessionView(shared, undefined);
    const two = sessionView(shared, undefined);
    await one.resolve([]);
    await two.resolve([]);
    await two.resolve([]);
    expect([one.runs(), two.runs(), shared.runs()]).toEqual([1, 2, 3]);
    await one.close();
    expect(f.closed).toEqual([]);
    await s.close();
    expect(f.closed).toHaveLength(1);
  });

  it('stops waiting as soon as its solve is stopped', async () => {
    const ac = new AbortController();
    let finish: (v: string) => void = () => {};
    const slow = new Promise<string>((r) => (finish = r));
    const waiting = untilAborted(slow, ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow(/stopped/);
    finish('late');
    expect(await slow).toBe('late');
    await expect(untilAborted(Promise.resolve(1), ac.signal)).rejects.toThrow(/stopped/);
    expect(await untilAborted(Promise.resolve(2), new AbortController().signal)).toBe(2);
  });
});
