// The publishing and locking primitives behind the source cache: concurrent users share one
// result, and what a killed process leaves behind is never taken for a finished result.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDir } from '../../helpers/tmp.js';
import { publishDir, withLock } from '../../../src/fsutil/atomic.js';

const DEAD_PID = 2 ** 22 + 12345; // above pid_max's default: never a live process

describe('publishDir', () => {
  it('publishes once when two builders race; the loser is discarded and nothing is left over', async () => {
    const root = testDir('atomic');
    const final = join(root, 'tree');
    const build = (tag: string) => async (dir: string) => {
      await writeFile(join(dir, 'part1'), tag);
      await new Promise((r) => setTimeout(r, 20));
      await writeFile(join(dir, 'part2'), tag);
    };
    await Promise.all([publishDir(final, build('a')), publishDir(final, build('b'))]);
    const p1 = await readFile(join(final, 'part1'), 'utf8');
    expect(await readFile(join(final, 'part2'), 'utf8')).toBe(p1);
    expect(await readdir(root)).toEqual(['tree']);
  });

  it('a builder that fails publishes nothing', async () => {
    const root = testDir('atomic');
    await expect(
      publishDir(join(root, 'tree'), async (dir) => {
        await writeFile(join(dir, 'half'), 'x');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await readdir(root)).toEqual([]);
  });

  it('the staging dir of a killed process is never published and is cleaned up by the next run', async () => {
    const root = testDir('atomic');
    const leftover = join(root, `.tree.tmp-${DEAD_PID}-deadbeef`);
    await mkdir(leftover);
    await writeFile(join(leftover, 'half-extracted'), 'x');
    await publishDir(join(root, 'tree'), async (dir) => writeFile(join(dir, 'whole'), 'ok'));
    expect(await readdir(root)).toEqual(['tree']);
    expect(await readdir(join(root, 'tree'))).toEqual(['whole']);
  });
});

describe('withLock', () => {
  it('serialises holders', async () => {
    const lock = join(testDir('lock'), 'x.lock');
    const events: string[] = [];
    const hold = (id: string) =>
      withLock(lock, async () => {
        events.push(`${id}+`);
        await new Promise((r) => setTimeout(r, 30));
        events.push(`${id}-`);
      });
    await Promise.all([hold('a'), hold('b')]);
    expect(events.join(' ')).toMatch(/^(a\+ a- b\+ b-|b\+ b- a\+ a-)$/);
  });

  it('takes over a lock whose holder died', async () => {
    const lock = join(testDir('lock'), 'x.lock');
    await writeFile(lock, String(DEAD_PID));
    const r = await withLock(lock, async () => 'got it');
    expect(r).toBe('got it');
  });
});
