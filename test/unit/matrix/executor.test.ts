// The matrix's executor: block and per-config resources and priority: defaults, and every
// mistake reported with its position, the value found and what is accepted.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMatrix } from '../../../src/matrix/load.js';
import { formatProblem, parseMatrixText } from '../../../src/matrix/parse.js';
import { testDir } from '../../helpers/tmp.js';

const HEAD = `sources: [debian:6.1]
architectures: [arm]
`;

describe('executor and resources', () => {
  it('defaults to the local executor; the queue block and resources parse', () => {
    const local = parseMatrixText(`${HEAD}configs:\n  - {name: a, base: defconfig}\n`, 'm.yaml');
    expect(local.ok && local.matrix.executor).toEqual({
      kind: 'local',
      lock_timeout: '30s',
      images: false,
    });
    const r = parseMatrixText(
      `${HEAD}executor:
  kind: queue
  url: rediss://queue.lab:6380
  attempts: 4
  lock_timeout: 2m
  images: true
configs:
  - name: big
    base: allmodconfig
    priority: 10
    resources: {cpus: 16, mem: 32G, labels: [arch=arm64]}
`,
      'm.yaml',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.matrix.executor).toEqual({
      kind: 'queue',
      url: 'rediss://queue.lab:6380',
      attempts: 4,
      lock_timeout: '2m',
      images: true,
    });
    expect(r.matrix.configs[0]).toMatchObject({
      priority: 10,
      resources: { cpus: 16, mem: '32G', labels: ['arch=arm64'] },
    });
  });

  it('reports each mistake with its position and what is accepted', () => {
    const r = parseMatrixText(
      `${HEAD}executor:
  kind: swarm
  url: http://queue
  attempts: 9
  lock: 30s
configs:
  - name: big
    base: defconfig
    priority: high
    resources: {cpus: 0, mem: lots, labels: [arm64], disk: 1T}
`,
      'm.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem)).toEqual([
      'm.yaml:4:9: executor.kind: not accepted; accepted: local, queue (found "swarm")',
      expect.stringMatching(
        /^m\.yaml:5:8: executor\.url: not a Redis URL; accepted: redis:\/\/.* \(found "http:\/\/queue"\)$/,
      ),
      'm.yaml:6:13: executor.attempts: not a number of attempts; accepted: a whole number 1..6 (found 9)',
      'm.yaml:7:3: executor.lock: unknown key "lock"; accepted: kind, url, attempts, lock_timeout, images',
      'm.yaml:11:15: configs[0].priority: expected number (found "high")',
      'm.yaml:12:23: configs[0].resources.cpus: not a CPU count; accepted: a whole number 1..1024 (found 0)',
      expect.stringMatching(
        /^m\.yaml:12:31: configs\[0\]\.resources\.mem: not a size; accepted: a size such as 512M, 16G .* \(found "lots"\)$/,
      ),
      expect.stringMatching(
        /^m\.yaml:12:46: configs\[0\]\.resources\.labels\[0\]: not a label; accepted: KEY=VALUE.* \(found "arm64"\)$/,
      ),
      'm.yaml:12:54: configs[0].resources.disk: unknown key "disk"; accepted: cpus, mem, labels',
    ]);
  });
});

describe('git sources a queue worker fetches', () => {
  it('a git remote (file://, https://) is not checked as a directory here; a missing path is', async () => {
    const dir = testDir('git-remote');
    await writeFile(
      join(dir, 'm.yaml'),
      `sources: ['git:file:///srv/linux.git@main', 'git:https://git.example.org/linux.git@v6.1']
architectures: [arm]
configs:
  - {name: a, base: tinyconfig}
`,
    );
    const loaded = await loadMatrix('m.yaml', dir);
    expect(loaded.matrix.sources).toEqual([
      'git:file:///srv/linux.git@main',
      'git:https://git.example.org/linux.git@v6.1',
    ]);
    await writeFile(
      join(dir, 'bad.yaml'),
      `sources: ['git:/nonexistent/linux.git@main']
architectures: [arm]
configs:
  - {name: a, base: tinyconfig}
`,
    );
    await expect(loadMatrix('bad.yaml', dir)).rejects.toThrow(/has 1 problem/);
  });
});
