// Process fault 4: two `kmatrix run` on the same results dir at once. Two new runs must both
// complete correctly (each its own run id and directory, every cell recorded once per run);
// two `--resume` of the same killed run must not both run it: one claims it, the other is
// refused with a clear message. The store passes SQLite's integrity check after each.
// Config-only cells: the fault is in the bookkeeping, not in the compiler. allnoconfig, not
// tinyconfig: a cached tinyconfig base ends a cell in a moment, and the run to be killed could
// finish all its cells before the kill (then there is nothing to resume).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { figure } from './figures.js';
import {
  events,
  integrityCheck,
  removeDir,
  startKmatrix,
  storedResults,
  storedRuns,
  waitFor,
  workDir,
} from './process-helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeDir(d);
});

const MATRIX = `name: concurrent
sources: [debian:6.1]
architectures: [arm, arm64, x86_64, riscv64]
configs:
  - name: none
    base: allnoconfig
    build: false
`;

async function setup(name: string): Promise<string> {
  const dir = await workDir(name);
  dirs.push(dir);
  await writeFile(join(dir, 'matrix.yaml'), MATRIX);
  return dir;
}

describe('two kmatrix run on one results dir', () => {
  it('two new runs at once both complete, each cell recorded once per run', async () => {
    const dir = await setup('two-runs');
    const args = (n: number) => ['run', '--results', 'res', '--json', '--events', `ev${n}.ndjson`];
    const [a, b] = await Promise.all([startKmatrix(dir, args(1)), startKmatrix(dir, args(2))]);
    const db = join(dir, 'res', 'kmatrix.db');
    expect([a.exitCode, b.exitCode], String(a.stderr) + String(b.stderr)).toEqual([0, 0]);
    const sa = JSON.parse(String(a.stdout)) as { runId: string; counts: { total: number } };
    const sb = JSON.parse(String(b.stdout)) as { runId: string; counts: { total: number } };
    const runs = storedRuns(db);
    const results = storedResults(db);
    const integrity = integrityCheck(db);

    expect(sa.runId).not.toBe(sb.runId);
    expect(runs.map((r) => r.state)).toEqual(['completed', 'completed']);
    expect(results.filter((r) => r.status === 'pass')).toHaveLength(8);
    expect(integrity).toBe('ok');
    const ok =
      a.exitCode === 0 &&
      b.exitCode === 0 &&
      sa.runId !== sb.runId &&
      runs.every((r) => r.state === 'completed') &&
      results.length === 8 &&
      integrity === 'ok';
    figure({
      group: 'process',
      fault: 'two `kmatrix run` of one matrix on the same results dir at once',
      expected: 'both complete correctly; the store never corrupted',
      measured: `exits ${a.exitCode} and ${b.exitCode}; runs ${runs.map((r) => r.state).join(', ')}; ${results.length} results for 2 x 4 cells; integrity_check ${integrity}`,
      ok,
    });
  });

  it('two --resume of one killed run at once: one resumes it, the other is refused', async () => {
    const dir = await setup('two-resumes');
    const db = join(dir, 'res', 'kmatrix.db');
    const first = startKmatrix(dir, ['run', '--results', 'res', '--config-jobs', '1']);
    await waitFor('a finished cell', async () => (storedResults(db).length ? true : undefined));
    first.kill('SIGKILL');
    await first;
    const before = storedResults(db);

    const resume = (n: number) =>
      startKmatrix(dir, ['run', '--resume', '--results', 'res', '--events', `ev${n}.ndjson`]);
    const [a, b] = await Promise.all([resume(1), resume(2)]);
    const won = [a, b].filter((r) => r.exitCode === 0);
    const lost = [a, b].filter((r) => r.exitCode !== 0);
    const refusal = String(lost[0]?.stderr ?? '').trim();
    const starts = [
      ...(await events(join(dir, 'ev1.ndjson'))),
      ...(await events(join(dir, 'ev2.ndjson'))),
    ].filter((e) => e.type === 'cell:start');
    const startedTwice = starts.length - new Set(starts.map((e) => e.cell!.id)).size;
    const after = storedResults(db);
    const runs = storedRuns(db);
    const integrity = integrityCheck(db);

    expect(before.length).toBeGreaterThan(0);
    expect(won).toHaveLength(1);
    expect(lost.map((r) => r.exitCode)).toEqual([2]);
    expect(refusal).toMatch(
      /^kmatrix: error: --resume: (run \S+ is still running \(pid \d+\)|run \S+ already completed|no unfinished run)/,
    );
    expect(refusal).not.toMatch(/\n\s+at /);
    expect(startedTwice).toBe(0);
    expect(starts).toHaveLength(4 - before.length);
    expect(after).toHaveLength(4);
    expect(runs.map((r) => r.state)).toEqual(['completed']);
    expect(integrity).toBe('ok');
    const ok =
      won.length === 1 &&
      lost[0]?.exitCode === 2 &&
      startedTwice === 0 &&
      after.length === 4 &&
      integrity === 'ok';
    figure({
      group: 'process',
      fault: 'two `kmatrix run --resume` of one killed run at once',
      expected: 'one resumes it, the other is refused with a clear message; nothing run twice',
      measured: `exits ${a.exitCode} and ${b.exitCode}: "${refusal.split('\n')[0]}"; ${starts.length} cells started once each, ${startedTwice} twice; ${after.length}/4 results; integrity_check ${integrity}`,
      ok,
    });
  });
});
