// kmatrix solve's usage errors: exit 2 with a message naming the bad value and what is
// accepted, before any tree is fetched or conf is run (the cache is an empty temp dir).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../../helpers/cli.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-solve-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function run(args: string[]) {
  const r = await runMain(['solve', ...args], {
    cwd: work,
    env: { PATH: process.env['PATH'], HOME: work, KMATRIX_CACHE: join(work, 'cache') },
  });
  expect(r.stdout).toBe('');
  expect(await readdir(work)).toEqual([]);
  return r;
}

const SRC = ['--source', 'debian:6.12', '--arch', 'x86_64'];

describe('kmatrix solve: usage errors', () => {
  it('refuses a base whose pins go through KCONFIG_ALLCONFIG', async () => {
    const r = await run([...SRC, '--base', 'allnoconfig', '--set', 'A=y']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      'kmatrix solve takes --base defconfig, tinyconfig or a config file, not allnoconfig',
    );
  });

  it('needs a pin', async () => {
    const r = await run(SRC);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('kmatrix solve needs at least one --set SYM=VAL pin');
  });

  it('names a bad --max-extra and a bad --forbid', async () => {
    const a = await run([...SRC, '--set', 'A=y', '--max-extra', 'lots']);
    expect(a.exitCode).toBe(2);
    expect(a.stderr).toContain('bad --max-extra "lots": expected a whole number >= 0');
    const b = await run([...SRC, '--set', 'A=y', '--forbid', 'B']);
    expect(b.exitCode).toBe(2);
    expect(b.stderr).toContain('bad pin "B" (--forbid)');
  });

  it('names an unknown arch with the accepted ones', async () => {
    const r = await run(['--source', 'debian:6.12', '--arch', 'vax', '--set', 'A=y']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown arch "vax"; accepted: .*x86_64/);
  });
});
