// Pure parts of the runtimes: DOCKER_HOST parsing and the candidates tried, the reproducer
// lines each runtime writes, and which containers count as orphans.
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { removeOrphans } from '../../../src/runtime/docker.js';
import { dockerCandidates, parseDockerHost } from '../../../src/docker/client.js';
import { LocalRuntime } from '../../../src/runtime/local.js';
import type { ProcessRunner } from '../../../src/process/runner.js';

describe('DOCKER_HOST', () => {
  it('parses unix and tcp endpoints', () => {
    expect(parseDockerHost('unix:///run/kmatrix-docker.sock')).toEqual({
      host: 'unix:///run/kmatrix-docker.sock',
      options: { socketPath: '/run/kmatrix-docker.sock' },
    });
    expect(parseDockerHost('tcp://10.0.0.2:2375')).toEqual({
      host: 'tcp://10.0.0.2:2375',
      options: { host: '10.0.0.2', port: 2375, protocol: 'http' },
    });
    expect(parseDockerHost('ssh://me@box')).toEqual({
      error: expect.stringContaining('unsupported DOCKER_HOST'),
    });
  });

  it('tries only DOCKER_HOST when set, else the usual socket and kmatrix’s own', () => {
    expect(dockerCandidates({ DOCKER_HOST: 'unix:///x.sock' })).toEqual(['unix:///x.sock']);
    expect(dockerCandidates({})).toEqual([
      'unix:///var/run/docker.sock',
      'unix:///run/kmatrix-docker.sock',
    ]);
  });
});

describe('local runtime reproducer lines', () => {
  const never: ProcessRunner = {
    run: () => Promise.reject(new Error('not in unit tests')),
    pipeline: () => Promise.reject(new Error('not in unit tests')),
  };
  const local = new LocalRuntime(never, { PATH: '/usr/bin', ARCH: 'x86', CROSS_COMPILE: 'bad-' });

  it('quotes every word and keeps PATH expandable for ccache', () => {
    expect(
      local.reproduce(
        { source: '/src dir', out: '/o', ccache: '/c' },
        { argv: ['make', '-C', '/src dir', 'O=/o'], env: { KBUILD_BUILD_USER: "o'brien" } },
      ),
    ).toBe(
      `env "PATH=/usr/lib/ccache:$PATH" CCACHE_DIR=/c env 'KBUILD_BUILD_USER=o'\\''brien' make -C '/src dir' O=/o`,
    );
  });
});

describe('orphaned containers', () => {
  // A daemon's answer to listContainers, filtered by label as dockerd would; removals recorded.
  function daemon(containers: { id: string; labels: Record<string, string> }[]) {
    const removed: string[] = [];
    const docker = {
      listContainers: ({ filters }: { filters: { label: string[] } }) =>
        Promise.resolve(
          containers
            .filter((c) =>
              filters.label.every((f) => {
                const [k, v] = f.split('=') as [string, string | undefined];
                return k in c.labels && (v === undefined || c.labels[k] === v);
              }),
            )
            .map((c) => ({ Id: c.id, Names: [`/${c.id}`], Labels: c.labels })),
        ),
      getContainer: (id: string) => ({
        remove: () => {
          removed.push(id);
          return Promise.resolve();
        },
      }),
    } as unknown as Docker;
    return { docker, removed };
  }
  const owned = (pid: number, extra: Record<string, string> = {}, host = hostname()) => ({
    'org.kmatrix.managed': 'true',
    'org.kmatrix.owner-pid': String(pid),
    'org.kmatrix.owner-host': host,
    ...extra,
  });

  it('removes only containers of dead kmatrix processes on this host that nothing else reaps', async () => {
    const { docker, removed } = daemon([
      { id: 'dead-build', labels: owned(111) },
      { id: 'live-build', labels: owned(222) },
      { id: 'dead-run-cell', labels: owned(111, { 'org.kmatrix.run': 'r1' }) },
      { id: 'dead-worker-job', labels: owned(111, { 'org.kmatrix.worker': 'w1' }) },
      { id: 'other-host', labels: owned(111, {}, 'another-host') },
      { id: 'before-owner-labels', labels: { 'org.kmatrix.managed': 'true' } },
    ]);
    const names = await removeOrphans(docker, (pid) => pid === 222);
    expect(names).toEqual(['dead-build']);
    expect(removed).toEqual(['dead-build']);
  });
});
