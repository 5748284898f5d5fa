// `kmatrix run --executor queue` end to end with real parts: a private redis-server with a
// password and TLS (scripts/redis-up.sh), `kmatrix worker` processes, the built CLI. What a
// user sees: results from the workers in the store and the run directory, `kmatrix workers`,
// sources a worker cannot get (infra-error after retries, with the reason), a git source
// fetched by the worker from a file:// remote at the exact commit, a job planted in Redis
// refused, Ctrl-C then --resume; and the password nowhere in output, events or results.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREFIX, queueName } from '../../../src/queue/keys.js';
import { bullConnection, connectQueue, type QueueConnection } from '../../../src/queue/redis.js';
import { parseRedisUrl } from '../../../src/queue/url.js';
import { kmatrix } from '../../helpers/cli.js';
import { baseRepo, git } from '../../helpers/history.js';
import {
  runEvents,
  startRedis,
  startRun,
  startWorker,
  storedRows,
  waitFor,
  workDir,
  type TestRedis,
  type TestWorker,
} from '../../helpers/queue.js';
import { treePath } from '../../helpers/trees.js';

const PASSWORD = 'k-m4trix-S3cret';
let redis: TestRedis;
let dir: string;
let env: Record<string, string>;
let conn: QueueConnection;
const workers: TestWorker[] = [];
const tag = Math.random().toString(16).slice(2, 8);

beforeAll(async () => {
  dir = await workDir('e2e');
  // A CA and a server certificate for 127.0.0.1, as an operator would make them.
  const ssl = (args: string[]) => execa('openssl', args, { cwd: dir });
  await ssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=kmatrix-test-ca',
  ]);
  await ssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  ]);
  await writeFile(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await ssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'ext',
  ]);
  redis = await startRedis({
    password: PASSWORD,
    tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') },
  });
  env = { KMATRIX_REDIS_CA: join(dir, 'ca.crt'), KMATRIX_REDIS_PASSWORD: PASSWORD };
  conn = await connectQueue(parseRedisUrl(redis.url, env), { env });
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await conn?.close();
  await redis?.down();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function allFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('kmatrix run --executor queue', () => {
  it('runs cells on workers over TLS with a password it never shows; sources a worker cannot get end as infra-error', async () => {
    expect(redis.url).toMatch(/^rediss:\/\/127\.0\.0\.1:\d+$/);
    // The worker reads its password from the environment, as a systemd unit would.
    const w = await startWorker(
      dir,
      `e2e-${tag}`,
      ['--redis', redis.url, '--cpus', '2', '--mem', '2G', '--label', 'site=lab'],
      env,
    );
    workers.push(w);
    await writeFile(
      join(dir, 'matrix.yaml'),
      `name: q-e2e
sources: [debian:6.1, 'git:${dir}/plain@v6.1', 'git:https://git.example.invalid/linux.git@v6.1']
architectures: [arm]
executor: {kind: queue, attempts: 2, lock_timeout: 10s}
configs:
  - {name: tiny, base: tinyconfig, build: false, resources: {labels: [site=lab]}}
`,
    );
    // A directory that is not a git repository (the coordinator checks that path sources exist).
    await mkdir(join(dir, 'plain'));
    // The coordinator has the password in its URL: it must not show it either.
    const url = redis.url.replace('rediss://', `rediss://:${PASSWORD}@`);
    const r = await kmatrix(
      dir,
      ['run', '--redis', url, '--json', '--results', 'res', '--events', 'ev.ndjson'],
      {
        env: { KMATRIX_REDIS_CA: env['KMATRIX_REDIS_CA'] },
      },
    );
    expect(r.exitCode, r.stderr).toBe(2);
    const s = JSON.parse(r.stdout) as {
      cells: { source: string; status: string; reason?: string; attempts: number }[];
    };
    const by = Object.fromEntries(s.cells.map((c) => [c.source, c]));
    expect(by['debian:6.1']).toMatchObject({ status: 'pass' });
    expect(by[`git:${dir}/plain@v6.1`]).toMatchObject({
      status: 'infra-error',
      reason: expect.stringMatching(/not a git repository/),
    });
    expect(by['git:https://git.example.invalid/linux.git@v6.1']).toMatchObject({
      status: 'infra-error',
      reason: expect.stringMatching(/names a network remote; .*--allow-source/),
    });
    expect(r.stderr).toMatch(/through the queue at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    const rows = storedRows(join(dir, 'res', 'kmatrix.db'));
    expect(rows.map((x) => [x.status, x.attempts]).sort()).toEqual([
      ['infra-error', 2],
      ['infra-error', 2],
      ['pass', 1],
    ]);
    const pass = rows.find((x) => x.status === 'pass')!;
    expect(JSON.parse(pass.body)).toMatchObject({ worker: w.name });
    const cellDir = join(
      dir,
      'res',
      'runs',
      (JSON.parse(r.stdout) as { runId: string }).runId,
      'cells',
      pass.cell_id,
    );
    expect((await readdir(cellDir)).sort()).toEqual(
      expect.arrayContaining(['.config', 'kconfig.log', 'kmatrix-config.json', 'reproducer.sh']),
    );
    expect(await readFile(join(cellDir, '.config'), 'utf8')).toMatch(/^CONFIG_ARM=y$/m);

    const listed = await kmatrix(dir, ['workers', '--redis', redis.url, '--json'], { env });
    expect(listed.exitCode, listed.stderr).toBe(0);
    const farm = JSON.parse(listed.stdout) as {
      workers: { name: string; cpus: number; memBytes: number; labels: string[] }[];
    };
    expect(farm.workers).toEqual([
      expect.objectContaining({
        name: w.name,
        cpus: 2,
        memBytes: 2 * 2 ** 30,
        labels: ['site=lab'],
      }),
    ]);

    // The password appears nowhere a user or a results archive would see it.
    const seen = [
      r.stdout,
      r.stderr,
      listed.stdout,
      listed.stderr,
      w.stderr(),
      JSON.stringify(w.events()),
    ];
    for (const f of [...(await allFiles(join(dir, 'res'))), join(dir, 'ev.ndjson')])
      seen.push((await readFile(f)).toString('latin1'));
    expect(seen.filter((t) => t.includes(PASSWORD))).toEqual([]);
  });

  it('a worker fetches a git source from a file:// remote at the commit the coordinator pinned', async () => {
    const repo = join(dir, 'linux.git');
    // The Kconfig subset of the tree (seconds to commit); allnoconfig needs nothing more.
    await baseRepo(treePath('6.1'), repo, true);
    const sha = (await git(repo, ['rev-parse', 'HEAD'])).stdout.trim();
    await writeFile(
      join(dir, 'git.yaml'),
      `name: q-git
sources: ['git:file://${repo}@main']
architectures: [arm]
executor: {kind: queue}
configs:
  - {name: none, base: allnoconfig, build: false, resources: {labels: [site=lab]}}
`,
    );
    const r = await kmatrix(
      dir,
      [
        'run',
        'git.yaml',
        '--redis',
        redis.url,
        '--json',
        '--results',
        'res',
        '--events',
        'git.ndjson',
      ],
      { env },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `git:file://${repo}@main is commit ${sha.slice(0, 12)} for every worker`,
    );
    const s = JSON.parse(r.stdout) as { runId: string; cells: { id: string; status: string }[] };
    expect(s.cells.map((c) => c.status)).toEqual(['pass']);
    const result = JSON.parse(
      await readFile(
        join(dir, 'res', 'runs', s.runId, 'cells', s.cells[0]!.id, 'kmatrix-config.json'),
        'utf8',
      ),
    ) as { source: { label: string } };
    expect(JSON.stringify(result)).toContain(`git-${sha.slice(0, 12)}`);
  });

  it('refuses a job planted in Redis that is not a cell spec: it fails without running', async () => {
    const w = workers[0]!;
    // The shape the first test registered (1 CPU, 512M, site=lab) has a queue the worker reads.
    const shapes = await conn.redis.hgetall(`${PREFIX}:shapes`);
    const shape = Object.keys(shapes).find((k) => k.startsWith('c1-m512-l'))!;
    const queue = new Queue(queueName(shape), { connection: bullConnection(conn), prefix: PREFIX });
    try {
      const marker = join(dir, 'pwned');
      await queue.add(
        'cell',
        { v: 1, runId: '20260101-000000-beef', command: `touch ${marker}`, cell: { id: 'x' } },
        { jobId: '20260101-000000-beef.000000000000', priority: 1 },
      );
      const refused = await w.waitFor('the planted job', (e) => e.type === 'job:refused');
      expect(refused.reason).toMatch(/^not a kmatrix cell job: /);
      const job = await Job.fromId(queue, '20260101-000000-beef.000000000000');
      expect(await job?.getState()).toBe('failed');
      expect(job?.failedReason).toBe(refused.reason);
      expect(job?.attemptsMade).toBe(1);
      await expect(stat(marker)).rejects.toThrow(/ENOENT/);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('Ctrl-C removes queued cells; --resume runs them', async () => {
    await writeFile(
      join(dir, 'cancel.yaml'),
      `name: q-cancel
sources: [debian:6.1]
architectures: [arm]
executor: {kind: queue}
configs:
${['a', 'b', 'c', 'd'].map((v) => `  - {name: ${v}, base: tinyconfig, build: false, pins: ['LOCALVERSION="-${v}"'], resources: {cpus: 2, labels: [site=lab]}}`).join('\n')}
`,
    );
    const opts = ['--redis', redis.url, '--json', '--results', 'res'];
    const run = startRun(dir, ['cancel.yaml', ...opts, '--events', 'c1.ndjson'], env);
    await waitFor(
      'the first cell',
      async () =>
        run.running() &&
        (await runEvents(join(dir, 'c1.ndjson'))).find((e) => e.type === 'cell:done'),
    );
    run.kill('SIGINT');
    const first = await run;
    expect(first.exitCode).toBe(2);
    expect(String(first.stderr)).toMatch(/removed [1-3] queued cell\(s\)/);
    const resumed = await kmatrix(dir, ['run', 'cancel.yaml', '--resume', ...opts], { env });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const s = JSON.parse(resumed.stdout) as { cells: { status: string }[] };
    expect(s.cells.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });
});
