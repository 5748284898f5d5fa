// The execa ProcessRunner's pipelines, with real processes: data streams from step to step,
// and the result is that of the first step that failed (its command, exit and stderr).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execaRunner, howItFailed } from '../../../src/process/runner.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kmatrix-runner-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pipeline', () => {
  it('streams a tar from one process into another', async () => {
    await mkdir(join(dir, 'src', 'sub'), { recursive: true });
    await writeFile(join(dir, 'src', 'sub', 'f.txt'), 'hello\n');
    await mkdir(join(dir, 'dest'));
    const r = await execaRunner.pipeline([
      { file: 'tar', args: ['-C', join(dir, 'src'), '-c', '.'] },
      { file: 'tar', args: ['-x', '-C', join(dir, 'dest')] },
    ]);
    expect(r.failed).toBe(false);
    expect(await readFile(join(dir, 'dest', 'sub', 'f.txt'), 'utf8')).toBe('hello\n');
  });

  it('reports the first step that failed, with its stderr', async () => {
    const r = await execaRunner.pipeline([
      { file: 'sh', args: ['-c', 'echo fine'] },
      { file: 'sh', args: ['-c', 'cat >/dev/null; echo "broken middle" >&2; exit 3'] },
      { file: 'cat', args: [] },
    ]);
    expect(r).toMatchObject({
      failed: true,
      exitCode: 3,
      command: 'sh -c cat >/dev/null; echo "broken middle" >&2; exit 3',
      stderr: 'broken middle\n',
    });
    expect(howItFailed(r)).toBe('exited with 3');
  });

  it('names a step that could not start', async () => {
    const r = await execaRunner.pipeline([
      { file: 'kmatrix-no-such-program', args: [] },
      { file: 'cat', args: [] },
    ]);
    expect(r.failed).toBe(true);
    expect(r.command).toBe('kmatrix-no-such-program');
    expect(howItFailed(r)).toBe('could not start');
  });
});
