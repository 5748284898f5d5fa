// A pin's triage runs its commands at a lower CPU priority than the build failures' triage
// beside it: every command of a lowPriority runner (and every step of its pipelines) runs at
// niceness +10, and its result reads as the command that was asked for.
import { describe, expect, it } from 'vitest';
import { lowPriority } from '../../../src/process/priority.js';
import { createExecaRunner } from '../../../src/process/runner.js';

const runner = createExecaRunner({ cleanup: true });
/** `nice` without arguments prints the niceness it runs at. */
const niceness = async (r: typeof runner) => Number((await r.run('nice', [])).stdout.trim());

describe('lowPriority', () => {
  it('runs commands 10 steps nicer, reported as the command asked for', async () => {
    const base = await niceness(runner);
    const low = lowPriority(runner);
    expect(await niceness(low)).toBe(Math.min(19, base + 10));
    const args = ['-c', 'echo "$0"; exit 3', 'hello'];
    const r = await low.run('sh', args);
    expect(r).toMatchObject({ exitCode: 3, failed: true, stdout: 'hello\n' });
    expect(r.command).toBe((await runner.run('sh', args)).command);
  });

  it('runs every step of a pipeline nicer', async () => {
    const base = await niceness(runner);
    const r = await lowPriority(runner).pipeline([
      { file: 'nice', args: [] },
      // A pipeline keeps only stderr.
      { file: 'sh', args: ['-c', 'read n; echo "$n $(nice)" >&2'] },
    ]);
    const want = Math.min(19, base + 10);
    expect(r.stderr.trim()).toBe(`${want} ${want}`);
  });
});
