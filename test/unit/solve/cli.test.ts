// kmatrix solve's usage errors: exit 2 with a message naming the bad value and what is
// accepted, before any tree is fetched or conf is run.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';

function sink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      w.text += chunk.toString();
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

async function run(args: string[]) {
  const stdout = sink();
  const stderr = sink();
  const code = await main(['solve', ...args], { stdout, stderr, env: {}, cwd: '/' });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const SRC = ['--source', 'debian:6.12', '--arch', 'x86_64'];

describe('kmatrix solve: usage errors', () => {
  it('refuses a base whose pins go through KCONFIG_ALLCONFIG', async () => {
    const r = await run([...SRC, '--base', 'allnoconfig', '--set', 'A=y']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'kmatrix solve takes --base defconfig, tinyconfig or a config file, not allnoconfig',
    );
    expect(r.stdout).toBe('');
  });

  it('needs a pin', async () => {
    const r = await run(SRC);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('kmatrix solve needs at least one --set SYM=VAL pin');
  });

  it('names a bad --max-extra and a bad --forbid', async () => {
    const a = await run([...SRC, '--set', 'A=y', '--max-extra', 'lots']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('bad --max-extra "lots": expected a whole number >= 0');
    const b = await run([...SRC, '--set', 'A=y', '--forbid', 'B']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('bad pin "B" (--forbid)');
  });

  it('names an unknown arch with the accepted ones', async () => {
    const r = await run(['--source', 'debian:6.12', '--arch', 'vax', '--set', 'A=y']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown arch "vax"; accepted: .*x86_64/);
  });
});
