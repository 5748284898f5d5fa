// Pure parts of the runtimes: DOCKER_HOST parsing and the candidates tried, and the
// reproducer lines each runtime writes.
import { describe, expect, it } from 'vitest';
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
