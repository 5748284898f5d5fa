// Both runtimes against the real world: a real container (read-only source, writable out,
// no network, caller's uid or 65532 for root) and real host processes; timeouts and AbortSignal end the
// command and leave no container behind.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveToolchainImage } from '../../../src/images/lookup.js';
import { execaRunner } from '../../../src/process/runner.js';
import { buildIdentity } from '../../../src/runtime/hardening.js';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import { LocalRuntime } from '../../../src/runtime/local.js';
import type { Runtime, Workspace } from '../../../src/runtime/runtime.js';
import { TEST_RUN_LABELS, kmatrixContainers, requireDaemon } from './docker-helpers.js';

let docker: Docker;
let dockerRt: DockerRuntime;
let work: string;
let ws: Workspace;

beforeAll(async () => {
  const d = await requireDaemon();
  docker = d.docker;
  const img = await resolveToolchainImage(docker, 'gcc');
  dockerRt = new DockerRuntime({
    docker,
    image: img.ref,
    imageId: img.id,
    dockerHost: d.host,
    serverVersion: d.version,
    labels: TEST_RUN_LABELS,
    memoryBytes: 2 * 2 ** 30,
  });
  work = await mkdtemp(join(tmpdir(), 'kmatrix-rt-'));
  ws = { source: join(work, 'src'), out: join(work, 'out'), ccache: join(work, 'ccache') };
  for (const dir of [ws.source, ws.out, ws.ccache!]) await mkdir(dir);
  await writeFile(join(ws.source, 'hello.txt'), 'from the host\n');
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('docker runtime', () => {
  it('mounts the source read-only and the output writable, as the caller, without network', async () => {
    const o = await dockerRt.run(ws, {
      argv: [
        'sh',
        '-c',
        'cat /src/hello.txt; touch /src/x 2>/dev/null && echo src-writable || echo src-read-only; ' +
          'echo made > /out/made.txt; id -u; id -g; ls /sys/class/net; echo "ccache=$CCACHE_DIR"',
      ],
      capture: true,
    });
    expect(o.kind).toBe('pass');
    const lines = o.output.trim().split('\n');
    // the caller's uid:gid, or an unprivileged one when the caller is root (hardening.ts)
    const [uid, gid] = buildIdentity().user.split(':');
    expect(lines).toEqual(['from the host', 'src-read-only', uid, gid, 'lo', 'ccache=/ccache']);
    expect(await readFile(join(ws.out, 'made.txt'), 'utf8')).toBe('made\n');
    // what the container wrote is the caller's afterwards
    expect((await stat(join(ws.out, 'made.txt'))).uid).toBe(process.getuid!());
    expect(await kmatrixContainers(docker)).toEqual([]);
  });

  it('reports a non-zero exit as fail with the exit code, and streams output to the log file', async () => {
    const log = join(work, 'fail.log');
    const chunks: string[] = [];
    const o = await dockerRt.run(ws, {
      argv: ['sh', '-c', 'echo out-line; echo err-line >&2; exit 3'],
      logFile: log,
      onOutput: (c) => chunks.push(c),
    });
    expect(o).toMatchObject({ kind: 'fail', exitCode: 3 });
    const text = await readFile(log, 'utf8');
    expect(text).toContain('out-line\n');
    expect(text).toContain('err-line\n');
    expect(chunks.join('')).toContain('err-line');
  });

  it('times out, stops and removes the container', async () => {
    const t0 = Date.now();
    const o = await dockerRt.run(ws, { argv: ['sleep', '120'], timeoutMs: 1500 });
    expect(o.kind).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(await kmatrixContainers(docker)).toEqual([]);
  });

  it('stops and removes the container on AbortSignal', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1500);
    const t0 = Date.now();
    const o = await dockerRt.run(ws, { argv: ['sleep', '120'], signal: ac.signal });
    expect(o.kind).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(await kmatrixContainers(docker)).toEqual([]);
  });

  it('reports an image that went away as an infra error, not a crash', async () => {
    const gone = new DockerRuntime({
      docker,
      image: 'kmatrix/none',
      imageId: 'sha256:' + '0'.repeat(64),
      dockerHost: '',
      serverVersion: '',
      labels: TEST_RUN_LABELS,
    });
    const o = await gone.run(ws, { argv: ['true'] });
    expect(o.kind).toBe('infra-error');
    expect(o.kind === 'infra-error' && o.reason).toMatch(/docker: .*(no such image|not found)/i);
    expect(await kmatrixContainers(docker)).toEqual([]);
  });

  it('writes a reproducer line with the same mounts and image', () => {
    const line = dockerRt.reproduce(
      { source: "/trees/it's here", out: '/o' },
      { argv: ['make', 'O=/out', 'zImage'] },
    );
    expect(line).toContain(`-v '/trees/it'\\''s here:/src:ro'`);
    expect(line).toContain('-v /o:/out:rw');
    expect(line).toContain('--network none');
    expect(line).toContain(dockerRt.info.imageId!);
    expect(line.endsWith(' make O=/out zImage')).toBe(true);
  });
});

describe('local runtime', () => {
  const local: Runtime = new LocalRuntime(execaRunner, process.env);

  it('runs on the host in the output dir with ccache on PATH', async () => {
    const o = await local.run(ws, {
      argv: ['sh', '-c', 'pwd; echo "$PATH" | cut -d: -f1; echo "$CCACHE_DIR"'],
      capture: true,
    });
    expect(o.kind).toBe('pass');
    expect(o.output.trim().split('\n')).toEqual([ws.out, '/usr/lib/ccache', ws.ccache]);
  });

  it('maps exit codes, timeouts, cancellation and missing programs to outcomes', async () => {
    expect((await local.run(ws, { argv: ['sh', '-c', 'exit 4'] })).kind).toBe('fail');
    expect((await local.run(ws, { argv: ['sleep', '60'], timeoutMs: 500 })).kind).toBe('timeout');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    expect((await local.run(ws, { argv: ['sleep', '60'], signal: ac.signal })).kind).toBe(
      'cancelled',
    );
    const missing = await local.run(ws, { argv: ['kmatrix-no-such-program'] });
    expect(missing.kind).toBe('infra-error');
  });
});
