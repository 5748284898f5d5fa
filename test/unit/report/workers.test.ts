// `kmatrix workers` and a worker's progress lines, as people read them.
import { describe, expect, it } from 'vitest';
import type { WorkerInfo } from '../../../src/queue/events.js';
import { renderFarm, workerEventLine } from '../../../src/report/workers.js';

const G = 2 ** 30;
const w1: WorkerInfo = {
  name: 'w1',
  host: 'build-1',
  pid: 4242,
  version: '0.1.0',
  cpus: 16,
  memBytes: 32 * G,
  labels: ['arch=arm64'],
  runtime: 'docker',
  free: { cpus: 14, memBytes: 30 * G },
  running: [
    {
      jobId: '20260101-120000-abcd.0123456789ab',
      label: 'debian:6.1 arm64 tiny gcc',
      attempt: 2,
      startedAt: '2026-01-01T12:00:00.000Z',
      resources: { cpus: 2, memBytes: 2 * G, labels: [] },
    },
  ],
  startedAt: '2026-01-01T11:00:00.000Z',
  seenAt: '2026-01-01T12:01:30.000Z',
};

describe('renderFarm', () => {
  it('one row per worker with capacity, free, labels and what it runs; one per queue', () => {
    const text = renderFarm(
      {
        redis: 'redis://:***@queue:6379',
        workers: [
          w1,
          { ...w1, name: 'w2', labels: [], running: [], free: { cpus: 16, memBytes: 32 * G } },
        ],
        queues: [
          {
            shape: 'c2-m2048',
            resources: { cpus: 2, memBytes: 2 * G, labels: [] },
            waiting: 5,
            active: 1,
            delayed: 0,
            failed: 0,
          },
        ],
      },
      Date.parse('2026-01-01T12:01:30.000Z'),
    );
    expect(text.split('\n')).toEqual([
      'queue: redis://:***@queue:6379',
      'WORKER  HOST          CPUS  MEM  FREE         LABELS      RUNNING',
      'w1      build-1:4242  16    32G  14 cpu, 30G  arch=arm64  20260101-120000-abcd.0123456789ab (debian:6.1 arm64 tiny gcc, attempt 2, 1m30s)',
      'w2      build-1:4242  16    32G  16 cpu, 32G  -           idle',
      '',
      'QUEUE     NEEDS       WAITING  RUNNING  RETRYING  FAILED',
      'c2-m2048  2 CPUs, 2G  5        1        0         0',
      '',
    ]);
  });

  it('says how to start a worker when none is connected', () => {
    expect(renderFarm({ redis: 'redis://q', workers: [], queues: [] })).toBe(
      'queue: redis://q\nno worker is connected (start one: kmatrix worker --redis URL)\n',
    );
  });
});

describe('workerEventLine', () => {
  it.each<[Parameters<typeof workerEventLine>[0], string]>([
    [
      {
        type: 'job:start',
        jobId: 'r.c',
        label: 'debian:6.1 arm tiny gcc',
        attempt: 1,
        resources: { cpus: 2, memBytes: 2 * G, labels: [] },
      },
      'r.c: debian:6.1 arm tiny gcc, attempt 1 (2 CPUs, 2G)',
    ],
    [
      { type: 'job:done', jobId: 'r.c', status: 'fail', ms: 61_000, bytes: 3 * 2 ** 20, files: 5 },
      'r.c: fail in 1m01s; returned 5 file(s), 3M',
    ],
    [
      { type: 'job:rejected', jobId: 'r.c', attempt: 1, reason: 'Lock mismatch for job r.c' },
      'r.c: attempt 1 rejected, nothing kept: Lock mismatch for job r.c',
    ],
    [
      {
        type: 'worker:reaped',
        containers: ['x (job r.c attempt 1)'],
        processes: 0,
        previousPid: 7,
      },
      'an earlier worker of this name (pid 7) left 1 container(s); removed: x (job r.c attempt 1)',
    ],
  ])('%j', (e, line) => {
    expect(workerEventLine(e)).toBe(line);
  });
});
