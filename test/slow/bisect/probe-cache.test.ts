// The compiler-probe cache used by config steps: repeated probes are answered from the
// store, stdin and arguments are the key (.tmp_<pid> normalized), and any call that writes
// a file someone might read goes to the real compiler every time.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeCache } from '../../../src/config/probe-cache.js';

let work: string;
let bin: string;
const calls = () =>
  readFile(join(work, 'calls'), 'utf8').then(
    (t) => t.trim().split('\n').length,
    () => 0,
  );

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-probe-'));
  await execa('mkdir', ['-p', join(work, 'real')]);
  // A fake compiler: logs each call, echoes its stdin and args, fails on -fbogus.
  const fake = join(work, 'real', 'kmx-fake-cc');
  await writeFile(
    fake,
    `#!/bin/sh\necho "$*" >> ${work}/calls\nfor a in "$@"; do [ "$a" = "-" ] && cat; [ "$a" = "-fbogus" ] && { echo "bad option" >&2; exit 1; }; done\necho "out:$*"\n`,
  );
  await chmod(fake, 0o755);
  const prefix = await createProbeCache(join(work, 'cache'), 'kmx-fake-cc', process.env);
  expect(prefix).toBeUndefined(); // not on PATH yet
  const env = { ...process.env, PATH: `${join(work, 'real')}:${process.env['PATH']}` };
  bin = (await createProbeCache(join(work, 'cache'), 'kmx-fake-cc', env))!;
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const run = (args: string[], input?: string) =>
  execa(join(bin, 'kmx-fake-cc'), args, {
    reject: false,
    ...(input !== undefined ? { input } : {}),
  });

describe('probe cache', () => {
  it('answers a repeated probe from the store, with the same output and exit code', async () => {
    const a = await run([
      '-Werror',
      '-fbogus',
      '-c',
      '-x',
      'c',
      '/dev/null',
      '-o',
      '.tmp_123/tmp.o',
    ]);
    const b = await run([
      '-Werror',
      '-fbogus',
      '-c',
      '-x',
      'c',
      '/dev/null',
      '-o',
      '.tmp_456/tmp.o',
    ]);
    expect([a.exitCode, a.stderr]).toEqual([1, 'bad option']);
    expect([b.exitCode, b.stderr]).toEqual([1, 'bad option']);
    expect(await calls()).toBe(1);
  });
  it('keys on stdin', async () => {
    const before = await calls();
    const x = await run(['-E', '-P', '-'], 'one');
    const y = await run(['-E', '-P', '-'], 'two');
    const z = await run(['-E', '-P', '-'], 'one');
    expect(x.stdout).toContain('one');
    expect(y.stdout).toContain('two');
    expect(z.stdout).toBe(x.stdout);
    expect((await calls()) - before).toBe(2);
  });
  it('passes through calls that write a real file or compile without -o', async () => {
    const before = await calls();
    await run(['-c', 'foo.c', '-o', join(work, 'foo.o')]);
    await run(['-c', 'foo.c', '-o', join(work, 'foo.o')]);
    await run(['-c', 'foo.c']);
    await run(['-c', 'foo.c']);
    expect((await calls()) - before).toBe(4);
  });
});
