// Disk hygiene without a kernel: which files of a build dir are kept, old run dirs pruned per
// matrix while the store keeps every row, cache entries aged out by their last use.
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { keepPath, pruneBuildDir } from '../../../src/build/prune.js';
import { gcCache, pruneRuns } from '../../../src/run/gc.js';
import { ResultStore } from '../../../src/store/store.js';
import { cell } from '../../helpers/results.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kmatrix-gc-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const put = async (p: string, bytes = 10) => {
  await mkdir(join(p, '..'), { recursive: true });
  await writeFile(p, 'x'.repeat(bytes));
};

describe('pruneBuildDir', () => {
  const arm = findArch('arm')!;
  it('keeps what a user looks at and removes the object tree', async () => {
    const keep = [
      '.config',
      'build.log',
      'kconfig.log',
      'result.json',
      'reproducer.sh',
      'kmatrix-config.json',
      'System.map',
      'arch/arm/boot/zImage',
      'arch/arm/boot/dts/vexpress.dtb',
      'drivers/net/dummy.ko',
    ];
    const drop = [
      'vmlinux',
      'vmlinux.o',
      'kernel/fork.o',
      'kernel/.fork.o.cmd',
      'include/generated/autoconf.h',
      'scripts/kconfig/conf',
      'arch/arm/boot/Image',
      'arch/arm/boot/dts/vexpress.dts.tmp',
      '.tmp_vmlinux.kallsyms1',
    ];
    for (const p of [...keep, ...drop]) await put(join(dir, p), 100);
    const r = await pruneBuildDir(dir, { arch: arm, targets: ['kernel', 'modules', 'dtbs'] });
    expect(r).toEqual({
      keptFiles: keep.length,
      keptBytes: 1000,
      removedFiles: drop.length,
      removedBytes: 900,
    });
    expect((await readdir(dir)).sort()).toEqual([
      '.config',
      'System.map',
      'arch',
      'build.log',
      'drivers',
      'kconfig.log',
      'kmatrix-config.json',
      'reproducer.sh',
      'result.json',
    ]);
    // directories emptied by the pruning are gone
    await expect(stat(join(dir, 'kernel'))).rejects.toThrow();
    await expect(stat(join(dir, 'scripts'))).rejects.toThrow();
  });

  it('keeps dtbs and modules only when they were built', () => {
    expect(keepPath('modules.builtin', arm, ['kernel'])).toBe(false);
    expect(keepPath('modules.order', arm, ['modules'])).toBe(true);
    expect(keepPath('arch/arm/boot/dts/a.dtb', arm, ['kernel'])).toBe(false);
    expect(keepPath('fs/x.ko', arm, ['kernel', 'dtbs'])).toBe(false);
    expect(keepPath('fs/x.ko', arm, ['modules'])).toBe(true);
    expect(keepPath('arch/arm64/boot/Image', findArch('arm64')!, ['kernel'])).toBe(true);
  });
});

describe('pruneRuns', () => {
  const record = (s: ResultStore, id: string, identity: string, day: number, runDir: string) =>
    s.createRun(
      {
        id,
        identity,
        matrixFile: '/m.yaml',
        matrixHash: 'h',
        runDir,
        startedAt: `2026-01-0${day}T00:00:00Z`,
        filters: [],
        pid: 1,
      },
      [cell(`c${id}`)],
    );

  it('keeps the newest N run dirs of each matrix and every store row', async () => {
    const s = new ResultStore(':memory:');
    const runs = join(dir, 'runs');
    for (const [id, ident, day] of [
      ['a1', 'name:a', 1],
      ['a2', 'name:a', 2],
      ['a3', 'name:a', 3],
      ['b1', 'name:b', 1],
    ] as const) {
      await put(join(runs, id, 'results.json'), 1000);
      record(s, id, ident, day, join(runs, id));
      s.setState(id, 'completed');
    }
    // a run dir outside <results>/runs is never removed, whatever the store says
    record(s, 'a0', 'name:a', 0, '/etc');
    s.setState('a0', 'completed');
    const r = await pruneRuns(s, { resultsDir: dir, keepRuns: 1 });
    expect(r.removed.map((x) => x.runId).sort()).toEqual(['a1', 'a2']);
    expect(r.freedBytes).toBe(2000);
    expect(r.skipped).toEqual([{ runId: 'a0', why: `its directory /etc is not under ${runs}` }]);
    expect((await readdir(runs)).sort()).toEqual(['a3', 'b1']);
    expect(s.runsOf('name:a').map((x) => x.id)).toEqual(['a3', 'a2', 'a1', 'a0']);
    expect(s.cellsOf('a1')).toHaveLength(1);
    // again: nothing left to do
    expect((await pruneRuns(s, { resultsDir: dir, keepRuns: 1 })).removed).toEqual([]);
    s.close();
  });
});

describe('gcCache', () => {
  it('removes entries unused for N days and sets ccache max_size', async () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const old = new Date('2026-04-01T00:00:00Z');
    const recent = new Date('2026-05-25T00:00:00Z');
    for (const [p, t] of [
      ['trees/git-aaaa/Makefile', old],
      ['trees/debian-6.1/Makefile', recent],
      ['kconfig-tools/git-aaaa/conf', old],
      ['apt/debs/linux-source-6.1.deb', old],
    ] as const) {
      await put(join(dir, p), 50);
      await utimes(join(dir, p), t, t);
      await utimes(join(dir, p, '..'), t, t);
    }
    await mkdir(join(dir, 'ccache'));
    const dry = await gcCache(dir, { unusedDays: 30, now, dryRun: true });
    expect(dry.removed.map((e) => e.path).sort()).toEqual([
      'apt/debs/linux-source-6.1.deb',
      'kconfig-tools/git-aaaa',
      'trees/git-aaaa',
    ]);
    expect(await readdir(join(dir, 'trees'))).toHaveLength(2);
    const r = await gcCache(dir, { unusedDays: 30, now, ccacheMax: '2G' });
    expect(r.freedBytes).toBe(150);
    expect(await readdir(join(dir, 'trees'))).toEqual(['debian-6.1']);
    expect(r.ccache).toEqual([{ dir: join(dir, 'ccache'), maxSize: '2G' }]);
  });
});

describe('matrix retention', () => {
  it('keep_runs: after each run only the newest N run dirs of the matrix stay', async () => {
    const { runMatrix } = await import('../../../src/run/run-matrix.js');
    const { fakeWork } = await import('../schedule/fake-work.js');
    await mkdir(join(dir, 'linux'));
    await writeFile(
      join(dir, 'm.yaml'),
      'name: kept\nsources: [./linux]\narchitectures: [arm]\nconfigs:\n  - name: a\n    base: tinyconfig\n    build: false\nretention:\n  keep_runs: 2\n',
    );
    const notes: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await runMatrix(
        {
          matrixPath: 'm.yaml',
          cwd: dir,
          env: {},
          resultsDir: join(dir, 'results'),
          storePath: join(dir, 'results', 'kmatrix.db'),
          cacheDir: join(dir, 'cache'),
          filters: [],
          resume: false,
          ccache: false,
          signal: new AbortController().signal,
          emit: (e) => {
            if (e.type === 'run:note') notes.push(e.message);
          },
        },
        { work: fakeWork({}).work, machine: { cores: 2, memoryBytes: 8 * 2 ** 30 } },
      );
      ids.push(s.runId);
    }
    expect((await readdir(join(dir, 'results', 'runs'))).sort()).toEqual(ids.slice(1).sort());
    expect(notes.filter((n) => n.startsWith('retention:'))).toEqual([
      expect.stringMatching(/^retention: removed 1 old run dir\(s\) \(.*\); keeping the newest 2$/),
    ]);
    const s = new ResultStore(join(dir, 'results', 'kmatrix.db'));
    expect(s.runsOf('name:kept')).toHaveLength(3);
    expect(s.resultsOf(ids[0]!).size).toBe(1);
    s.close();
  });
});
