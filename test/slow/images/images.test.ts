// The toolchain images on the real daemon: list shows both with their compiler versions,
// and building again reuses the daemon's cache and yields the listed id.
import type Docker from 'dockerode';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildToolchainImage, type ImageEvent } from '../../../src/image-build/build.js';
import { listImages } from '../../../src/image-build/list.js';
import { execaRunner } from '../../../src/process/runner.js';
import { requireDaemon } from '../runtime/docker-helpers.js';

let docker: Docker;

beforeAll(async () => {
  docker = (await requireDaemon()).docker;
});

describe('kmatrix images', () => {
  it('builds kmatrix/gcc (base present, cached layers) with the id list reports', async () => {
    const events: ImageEvent[] = [];
    const built = await buildToolchainImage('gcc', {
      docker,
      runner: execaRunner,
      emit: (e) => events.push(e),
    });
    expect(built.tag).toBe('kmatrix/gcc:latest');
    expect(built.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(built.base.how).toBe('present');
    expect(
      events
        .filter((e) => e.kind === 'build-output')
        .map((e) => e.kind === 'build-output' && e.line),
    ).toContain(' ---> Using cache');
    const rows = await listImages(docker);
    const gcc = rows.find((r) => r.tag === 'kmatrix/gcc:latest');
    expect(gcc).toMatchObject({ id: built.id, toolchain: 'gcc' });
    expect(gcc!.compilerVersion).toMatch(/^gcc \(Debian 12\.2\.0-[^)]+\) 12\.2\.0$/);
    const clang = rows.find((r) => r.tag === 'kmatrix/clang:latest');
    expect(clang?.compilerVersion).toMatch(/^Debian clang version 14\./);
    const inspect = await docker.getImage('kmatrix/gcc:latest').inspect();
    expect(inspect.Config.Labels['org.kmatrix.cross-packages']).toContain('gcc-s390x-linux-gnu');
  });
});
