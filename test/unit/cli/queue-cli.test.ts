// The queue commands' bad input, in-process through main(): kmatrix worker, kmatrix workers
// and kmatrix run --executor/--redis. Exit 2, one line naming the value and what is
// accepted, nothing written, and a password never echoed. No Redis is needed: every case
// is refused before connecting, or connects to a port where nothing listens.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../../helpers/cli.js';

let work: string;
let env: NodeJS.ProcessEnv;
let deadPort: number;
const FILES = ['local.yaml', 'queue.yaml'];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-queue-cli-'));
  env = {
    PATH: process.env['PATH'],
    HOME: work,
    KMATRIX_CACHE: join(work, 'cache'),
    DOCKER_HOST: 'unix:///nonexistent/kmatrix-test.sock',
  };
  const head = 'sources: [debian:6.1]\narchitectures: [arm]\n';
  const cfg = 'configs:\n  - {name: a, base: defconfig, build: false}\n';
  await writeFile(join(work, 'local.yaml'), head + cfg);
  await writeFile(join(work, 'queue.yaml'), `${head}executor: {kind: queue}\n${cfg}`);
  // A port nothing listens on: bound, then closed.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  deadPort = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function expectUsageError(args: string[], message: RegExp, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = await runMain(args, { cwd: work, env: { ...env, ...extraEnv } });
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split('\n')[0]).toMatch(/^kmatrix: error: /);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/hunter2/);
  expect(r.stdout).toBe('');
  expect((await readdir(work)).sort()).toEqual(FILES);
  return r;
}

describe('kmatrix worker and workers: bad input', () => {
  it.each<[string, string[], RegExp]>([
    [
      'no Redis at all',
      ['worker'],
      /no queue to work for: give --redis URL or set KMATRIX_REDIS_URL/,
    ],
    ['workers without Redis', ['workers'], /no queue to work for/],
    [
      'a URL that is not Redis',
      ['worker', '--redis', 'http://:hunter2@queue'],
      /bad Redis URL "http:\/\/:\*\*\*@queue": unknown scheme "http"; accepted: redis:\/\//,
    ],
    [
      'bad --cpus',
      ['worker', '--redis', 'redis://q', '--cpus', '0'],
      /bad --cpus "0": expected a whole number >= 1/,
    ],
    [
      'bad --mem',
      ['worker', '--redis', 'redis://q', '--mem', 'lots'],
      /bad --mem "lots": expected a size such as 512M, 16G/,
    ],
    [
      'bad --label',
      ['worker', '--redis', 'redis://q', '--label', 'arm64'],
      /bad --label "arm64": expected KEY=VALUE/,
    ],
    [
      'bad --name',
      ['worker', '--redis', 'redis://q', '--name', 'a b'],
      /bad --name "a b": expected letters, digits/,
    ],
  ])('%s', async (_name, args, message) => {
    await expectUsageError(args, message);
  });

  it('a Redis that does not answer: the URL with its password masked, and what to do', async () => {
    const r = await expectUsageError(
      ['workers', '--redis', `redis://:hunter2@127.0.0.1:${deadPort}`],
      new RegExp(
        `cannot reach the queue's Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${deadPort}: .*ECONNREFUSED`,
      ),
    );
    expect(r.stderr).toMatch(/scripts\/redis-up\.sh/);
  });
});

describe('kmatrix run with the queue: bad input', () => {
  it.each<[string, string[], RegExp, NodeJS.ProcessEnv?]>([
    [
      'bad --executor',
      ['run', 'local.yaml', '--executor', 'swarm'],
      /bad --executor "swarm": expected local or queue/,
    ],
    [
      '--redis without the queue executor',
      ['run', 'local.yaml', '--redis', 'redis://q'],
      /--redis applies to the queue executor; add --executor queue/,
    ],
    [
      'the queue executor without a Redis URL',
      ['run', 'queue.yaml'],
      /the queue executor needs its Redis: --redis URL, executor\.url in .*queue\.yaml, or KMATRIX_REDIS_URL/,
    ],
    [
      'a bad KMATRIX_REDIS_URL',
      ['run', 'local.yaml', '--executor', 'queue'],
      /bad Redis URL "redis:\/\/:\*\*\*@q\/x"/,
      { KMATRIX_REDIS_URL: 'redis://:hunter2@q/x' },
    ],
  ])('%s', async (_name, args, message, extra) => {
    await expectUsageError(args, message, extra);
  });

  it('a Redis that does not answer: refused before the run is created (no results dir)', async () => {
    await expectUsageError(
      ['run', 'queue.yaml', '--redis', `redis://:hunter2@127.0.0.1:${deadPort}`],
      /cannot reach the queue's Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
  });
});
