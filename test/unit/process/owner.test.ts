// The owner marker: every child kmatrix starts carries its pid, and the orphans of a dead
// kmatrix are found by it and ended, while a live owner's processes are left alone.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { killOrphansOf, OWNER_ENV, processesOwnedBy } from '../../../src/process/owner.js';
import { execaRunner } from '../../../src/process/runner.js';

const DEAD_PID = 2 ** 22 + 4321; // above pid_max's default: never a live process

describe('owner marker', () => {
  it('is in the environment of what the ProcessRunner starts', async () => {
    const r = await execaRunner.run('sh', ['-c', `echo $${OWNER_ENV}`], {
      env: { PATH: process.env['PATH'] },
      extendEnv: false,
    });
    expect(r.stdout.trim()).toBe(String(process.pid));
  });

  it('finds processes by the exact owner pid in /proc/*/environ', async () => {
    const proc = await mkdtemp(join(tmpdir(), 'kmatrix-proc-'));
    const env = (owner: string) => `PATH=/bin\0${OWNER_ENV}=${owner}\0HOME=/root\0`;
    for (const [pid, text] of [
      ['10', env('77')],
      ['11', env('770')],
      ['12', `${OWNER_ENV}=77\0`],
      ['13', 'PATH=/bin\0'],
    ] as const) {
      await mkdir(join(proc, pid));
      await writeFile(join(proc, pid, 'environ'), text);
    }
    await mkdir(join(proc, 'self'));
    expect((await processesOwnedBy(77, proc)).sort()).toEqual([10, 12]);
  });

  it("ends a dead owner's orphans (and their children), never a live owner's", async () => {
    const orphan = execa('sh', ['-c', 'sleep 60 & sleep 60; wait'], {
      env: { [OWNER_ENV]: String(DEAD_PID) },
      reject: false,
    });
    const mine = execa('sleep', ['60'], {
      env: { [OWNER_ENV]: String(process.pid) },
      reject: false,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await processesOwnedBy(DEAD_PID)).toHaveLength(3);
    const ended = await killOrphansOf(DEAD_PID);
    expect(ended).toHaveLength(3);
    expect((await orphan).signal).toBe('SIGKILL');
    expect(await processesOwnedBy(DEAD_PID)).toEqual([]);
    expect(await killOrphansOf(process.pid)).toEqual([]);
    expect(await processesOwnedBy(process.pid)).toContain(mine.pid);
    mine.kill('SIGKILL');
    await mine;
  });
});
