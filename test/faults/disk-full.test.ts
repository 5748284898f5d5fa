// Storage fault 5: the results dir, or the cache, on a filesystem that fills up during a run
// (a small tmpfs this test mounts, then grows, then removes). The run must stop with one
// error naming the full place (exit 2, no stack trace), keep the store intact and every cell
// recorded before, publish no half-written cell directory, and continue with --resume once
// there is room. Config-only cells: a cell dir is ~0.7 MiB (its .config, logs and the
// seeded Kconfig tools), so a 1.5 MiB results dir fills on the second or third cell. One
// tinyconfig build (local runtime) fills a 4 MiB results dir within seconds of make starting.
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treePath } from '../helpers/trees.js';
import { figure } from './figures.js';
import {
  events,
  integrityCheck,
  kmatrix,
  removeDir,
  storedResults,
  storedRuns,
  workDir,
} from './process-helpers.js';

let dir: string;
const mounts: string[] = [];

async function tmpfs(path: string, size: string): Promise<void> {
  await execa('mkdir', ['-p', path]);
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', path]);
  mounts.push(path);
}
const grow = (path: string) => execa('mount', ['-o', 'remount,size=64m', path]);

beforeAll(async () => {
  dir = await workDir('disk-full');
});
afterAll(async () => {
  for (const m of mounts.reverse()) await execa('umount', [m], { reject: false });
  await removeDir(dir);
});

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Cell dirs of a run that are not whole (a whole one has its result and reproducer). */
async function halfWritten(runDir: string): Promise<string[]> {
  const cells = join(runDir, 'cells');
  const out: string[] = [];
  for (const e of await readdir(cells).catch(() => [] as string[])) {
    if (e.startsWith('.'))
      out.push(e); // a staging dir left behind
    else if (
      !(await exists(join(cells, e, 'kmatrix-config.json'))) ||
      !(await exists(join(cells, e, 'reproducer.sh')))
    )
      out.push(e);
  }
  return out;
}

describe('a full filesystem during kmatrix run', () => {
  it('the results dir fills up: stopped, store intact, resumable once there is room', async () => {
    const res = join(dir, 'res');
    await tmpfs(res, '1536k');
    await writeFile(
      join(dir, 'full-results.yaml'),
      `name: full-results
sources: [debian:6.1]
architectures: [arm, arm64, x86_64, riscv64]
configs:
  - name: tiny
    base: tinyconfig
    build: false
`,
    );
    const args = ['run', 'full-results.yaml', '--results', res, '--config-jobs', '1'];
    const r = await kmatrix(dir, [...args, '--events', 'ev1.ndjson']);
    const db = join(res, 'kmatrix.db');
    const first = r.stderr.split('\n').find((l) => l.startsWith('kmatrix: error:')) ?? '';
    const before = storedResults(db);
    const runs = storedRuns(db);
    const runDir = join(res, 'runs', runs[0]?.id ?? '?');
    const half = await halfWritten(runDir);
    const integrity = integrityCheck(db);
    const reports = await exists(join(runDir, 'results.json'));

    await grow(res);
    const again = await kmatrix(dir, [...args, '--resume', '--events', 'ev2.ndjson']);
    const after = new Map(storedResults(db).map((x) => [x.cell_id, x]));
    const ev2 = await events(join(dir, 'ev2.ndjson'));
    const rerun = ev2
      .filter((e) => e.type === 'cell:start')
      .filter((e) => before.some((b) => b.cell_id === e.cell?.id));

    expect(r.exitCode).toBe(2);
    expect(first).toMatch(
      new RegExp(
        `^kmatrix: error: no space left on device: the run dir ${runDir} \\(1\\.5 MiB in all, .* free now\\)$`,
      ),
    );
    expect(r.stderr).toContain(`kmatrix run --resume ${runs[0]?.id}`);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    // Marked interrupted when the store still takes the write; otherwise it stays 'running'
    // under a pid that is gone, which --resume accepts just the same.
    expect(['interrupted', 'running']).toContain(runs[0]?.state);
    expect(before.length).toBeLessThan(4);
    expect(before.every((b) => b.status === 'pass')).toBe(true);
    expect(integrity).toBe('ok');
    expect(half).toEqual([]);
    expect(reports).toBe(false);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(after.size).toBe(4);
    for (const b of before) expect(after.get(b.cell_id)?.finished_at).toBe(b.finished_at);
    expect(rerun).toEqual([]);
    const ok =
      r.exitCode === 2 &&
      first.includes(runDir) &&
      integrity === 'ok' &&
      half.length === 0 &&
      !reports &&
      again.exitCode === 0 &&
      after.size === 4 &&
      rerun.length === 0;
    figure({
      group: 'storage',
      fault: 'the results dir on a 1.5 MiB tmpfs that fills up mid-run (4 config-only cells)',
      expected:
        'exit 2 naming the full path; store intact; no half-written cell dir; --resume completes once there is room',
      measured: `exit ${r.exitCode}: "${first.replace(dir, '…')}"; ${before.length} cells kept, integrity_check ${integrity}, ${half.length} half-written cell dirs, reports ${reports ? 'WRITTEN' : 'not written'}; after growing the tmpfs --resume exits ${again.exitCode} with ${after.size}/4 cells, ${rerun.length} re-run`,
      ok,
    });
  });

  it('the cache fills up while the Kconfig tools are built: an infra stop, never a failed cell', async () => {
    const cache = join(dir, 'cache');
    await tmpfs(cache, '1m');
    // A path source: nothing but the Kconfig tools goes into the cache.
    await writeFile(
      join(dir, 'full-cache.yaml'),
      `name: full-cache
sources: [${treePath('6.1')}]
architectures: [arm]
configs:
  - name: tiny
    base: tinyconfig
    build: false
`,
    );
    // --retries 0: retrying the tool build on a full disk (the default does, twice) adds nothing here.
    const args = ['run', 'full-cache.yaml', '--results', 'res-cache', '--cache-dir', cache];
    const r = await kmatrix(dir, [...args, '--retries', '0']);
    const db = join(dir, 'res-cache', 'kmatrix.db');
    const first = r.stderr.split('\n').find((l) => l.startsWith('kmatrix: error:')) ?? '';
    const recorded = storedResults(db);
    const leftInCache = (await readdir(join(cache, 'kconfig-tools')).catch(() => [])).length;

    await grow(cache);
    const again = await kmatrix(dir, [...args, '--resume', '--json']);
    const summary = JSON.parse(again.stdout || '{}') as { counts?: { status?: { pass?: number } } };

    expect(r.exitCode).toBe(2);
    expect(first).toMatch(
      new RegExp(
        `^kmatrix: error: no space left on device: the cache ${cache} \\(1\\.0 MiB in all, .* free now\\)$`,
      ),
    );
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(recorded).toEqual([]); // not recorded as a failure of the tree
    expect(leftInCache).toBe(0); // no half-built tools published, no staging dir left
    expect(again.exitCode, again.stderr).toBe(0);
    expect(summary.counts?.status?.pass).toBe(1);
    const ok =
      r.exitCode === 2 &&
      first.includes(cache) &&
      recorded.length === 0 &&
      leftInCache === 0 &&
      again.exitCode === 0;
    figure({
      group: 'storage',
      fault: 'the cache on a 1 MiB tmpfs: the Kconfig tool build runs out of space',
      expected:
        'exit 2 naming the cache (not a failed cell); nothing half-built kept; --resume completes',
      measured: `exit ${r.exitCode}: "${first.replace(dir, '…')}"; ${recorded.length} cells recorded as failed, ${leftInCache} entries left in kconfig-tools/; after growing the tmpfs --resume exits ${again.exitCode} (${summary.counts?.status?.pass ?? 0} pass)`,
      ok,
    });
  });

  it('the results dir fills up while make compiles (local runtime): an infra stop, never a compile error', async () => {
    const res = join(dir, 'res-build');
    await tmpfs(res, '4m');
    await writeFile(
      join(dir, 'full-build.yaml'),
      `name: full-build
sources: [debian:6.1]
architectures: [arm]
runtime: local
configs:
  - name: tiny
    base: tinyconfig
`,
    );
    // --retries 0: make would run out of space again on each retry.
    const r = await kmatrix(dir, ['run', 'full-build.yaml', '--results', res, '--retries', '0']);
    const db = join(res, 'kmatrix.db');
    const first = r.stderr.split('\n').find((l) => l.startsWith('kmatrix: error:')) ?? '';
    const recorded = storedResults(db);
    const runs = storedRuns(db);
    const runDir = join(res, 'runs', runs[0]?.id ?? '?');
    const integrity = integrityCheck(db);

    const ok =
      r.exitCode === 2 && first.includes(runDir) && recorded.length === 0 && integrity === 'ok';
    // Recorded first: a miss shows in the table as FAILED, with what was measured.
    figure({
      group: 'storage',
      fault:
        'the results dir on a 4 MiB tmpfs fills up while make compiles (tinyconfig arm, local runtime)',
      expected: 'exit 2 naming the run dir; the cell not recorded as a compile error; store intact',
      measured: `exit ${r.exitCode}: "${first.replace(dir, '…')}"; ${recorded.length} cells recorded (${recorded.map((x) => x.status).join(', ') || 'none'}), integrity_check ${integrity}`,
      ok,
    });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(first).toMatch(
      new RegExp(
        `^kmatrix: error: no space left on device: the run dir ${runDir} \\(4\\.0 MiB in all, .* free now\\)$`,
      ),
    );
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(recorded).toEqual([]); // not recorded as a compile error (fail)
    expect(integrity).toBe('ok');
  });
});
