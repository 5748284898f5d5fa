// Which worker takes what, and in which order: resource shapes (one queue each), fitting
// free capacity and labels, priorities from the config and the last run's durations, and
// the sources a worker builds.
import { describe, expect, it } from 'vitest';
import {
  BUILD_RESOURCES,
  cellResources,
  CONFIG_ONLY_RESOURCES,
  describeResources,
  formatSize,
  isLabel,
  parseSize,
} from '../../../src/matrix/resources.js';
import { jobIdOf, shapeKey, splitJobId } from '../../../src/queue/keys.js';
import { sourcePolicy } from '../../../src/queue/policy.js';
import { MAX_PRIORITY, queuePriorities } from '../../../src/queue/priority.js';
import { canEverFit, fitsNow } from '../../../src/queue/registry.js';

const G = 2 ** 30;

describe('sizes and labels', () => {
  it.each([
    ['512M', 512 * 2 ** 20],
    ['16G', 16 * G],
    ['1.5G', 1.5 * G],
    ['2GiB', 2 * G],
    ['4096', 4096],
    [1024, 1024],
  ])('parseSize(%s)', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', '0', '-1G', '12X', 'G', '1.5.2G'])('parseSize(%j) is not a size', (t) => {
    expect(parseSize(t)).toBeUndefined();
  });

  it('formats sizes back', () => {
    expect([16 * G, 1.5 * G, 512 * 2 ** 20, 100].map(formatSize)).toEqual([
      '16G',
      '1.5G',
      '512M',
      '100B',
    ]);
  });

  it('labels are KEY=VALUE', () => {
    expect(['arch=arm64', 'site=lab-2', 'os=debian/12'].every(isLabel)).toBe(true);
    expect(['arch', '=x', 'a=', 'a b=c', 'a=$(id)'].some(isLabel)).toBe(false);
  });
});

describe('resources and shapes', () => {
  it('defaults: a build gets 2 CPUs and 2G, a config-only cell 1 CPU and 512M', () => {
    expect(cellResources({ build: true })).toEqual(BUILD_RESOURCES);
    expect(cellResources({ build: false })).toEqual(CONFIG_ONLY_RESOURCES);
    expect(cellResources({ build: true }, { cpus: 8, mem: '16G', labels: ['b=2', 'a=1'] })).toEqual(
      {
        cpus: 8,
        memBytes: 16 * G,
        labels: ['a=1', 'b=2'],
      },
    );
    expect(describeResources({ cpus: 8, memBytes: 16 * G, labels: ['arch=arm64'] })).toBe(
      '8 CPUs, 16G, labels arch=arm64',
    );
  });

  it('a shape key names CPUs and MiB, hashes the labels, and has no ":"', () => {
    expect(shapeKey(BUILD_RESOURCES)).toBe('c2-m2048');
    const labelled = shapeKey({ cpus: 2, memBytes: 2 * G, labels: ['arch=arm64'] });
    expect(labelled).toMatch(/^c2-m2048-l[0-9a-f]{8}$/);
    expect(labelled).not.toBe(shapeKey({ cpus: 2, memBytes: 2 * G, labels: ['arch=s390'] }));
  });

  it('job ids are <run>.<cell> (BullMQ refuses ":" in custom ids)', () => {
    const id = jobIdOf('20260101-120000-abcd', '0123456789ab');
    expect(id).toBe('20260101-120000-abcd.0123456789ab');
    expect(id).not.toContain(':');
    expect(splitJobId(id)).toEqual({ runId: '20260101-120000-abcd', cellId: '0123456789ab' });
    expect(splitJobId('x.y')).toBeUndefined();
  });

  it('fits: CPUs, memory and every label the cell asks for', () => {
    const worker = { cpus: 4, memBytes: 8 * G, labels: ['arch=arm64', 'site=lab'] };
    expect(canEverFit(worker, { cpus: 4, memBytes: 8 * G, labels: ['arch=arm64'] })).toBe(true);
    expect(canEverFit(worker, { cpus: 5, memBytes: G, labels: [] })).toBe(false);
    expect(canEverFit(worker, { cpus: 1, memBytes: 9 * G, labels: [] })).toBe(false);
    expect(canEverFit(worker, { cpus: 1, memBytes: G, labels: ['arch=s390'] })).toBe(false);
    const free = { cpus: 1, memBytes: 2 * G };
    expect(fitsNow(free, worker.labels, CONFIG_ONLY_RESOURCES)).toBe(true);
    expect(fitsNow(free, worker.labels, BUILD_RESOURCES)).toBe(false);
  });
});

describe('queuePriorities', () => {
  it('config priority first, then the longest last time, then the matrix order', () => {
    const p = queuePriorities([
      { id: 'a', priority: 0, expectedMs: 1000 },
      { id: 'b', priority: 0, expectedMs: 90_000 },
      { id: 'c', priority: 5 },
      { id: 'd', priority: 0 },
      { id: 'e', priority: -1, expectedMs: 1e9 },
    ]);
    expect([...p].sort((x, y) => x[1] - y[1]).map(([id]) => id)).toEqual(['c', 'b', 'a', 'd', 'e']);
    expect(Math.min(...p.values())).toBe(1);
  });

  it('stays within BullMQ priorities', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ id: String(i), priority: 0 }));
    expect(Math.max(...queuePriorities(many).values())).toBeLessThanOrEqual(MAX_PRIORITY);
  });
});

describe('sourcePolicy', () => {
  it("by default: Debian's trees and trees on this disk, not network remotes", () => {
    const allow = sourcePolicy([]);
    expect(allow('debian:6.1')).toBeUndefined();
    expect(allow('/srv/linux')).toBeUndefined();
    expect(allow('git:/srv/linux.git@v6.6')).toBeUndefined();
    expect(allow('git:file:///srv/linux.git@0123')).toBeUndefined();
    expect(allow('git:https://git.example.org/linux.git@v6.6')).toMatch(
      /names a network remote.*--allow-source 'git:https:\/\/git\.example\.org\/linux\.git@\*'/,
    );
  });

  it('with --allow-source: exactly the matching sources', () => {
    const allow = sourcePolicy(['git:https://git.kernel.org/*', 'debian:6.*']);
    expect(allow('git:https://git.kernel.org/pub/linux.git@v6.6')).toBeUndefined();
    expect(allow('debian:6.12')).toBeUndefined();
    expect(allow('debian:7.2')).toMatch(/not allowed on this worker/);
    expect(allow('/srv/linux')).toMatch(/not allowed on this worker/);
  });
});
