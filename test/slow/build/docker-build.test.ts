// Real tinyconfig cross-compiles in the kmatrix/gcc container (arm, arm64, s390, x86_64),
// one cell on the host giving the same result, a real compile error reported with its
// file:line and fingerprint, and a timeout and an interrupt that leave no container behind.
import { execa } from 'execa';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findArch } from '../../../src/arch/arches.js';
import { defaultCacheDir } from '../../../src/fsutil/cache.js';
import { resolveToolchainImage } from '../../../src/images/lookup.js';
import { execaRunner } from '../../../src/process/runner.js';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import { LocalRuntime } from '../../../src/runtime/local.js';
import type { KernelTree } from '../../../src/source/tree.js';
import { treePath } from '../../helpers/trees.js';
import { TEST_RUN_LABELS, kmatrixContainers, requireDaemon } from '../runtime/docker-helpers.js';
import { buildCell, pathTree } from './helpers.js';

// The compiler cache every docker build of the suite shares (the CLI's default), so a
// tinyconfig another test built already (arm64 in build-cli, armhf in the fault suite) is a
// cache hit here: same image, same /src and /out paths.
const SHARED_CCACHE = join(defaultCacheDir(process.env), 'ccache');

let docker: Docker;
let runtime: DockerRuntime;
let tree: KernelTree;
let work: string;

beforeAll(async () => {
  const d = await requireDaemon();
  docker = d.docker;
  const img = await resolveToolchainImage(docker, 'gcc');
  runtime = new DockerRuntime({
    docker,
    image: img.ref,
    imageId: img.id,
    dockerHost: d.host,
    serverVersion: d.version,
    labels: TEST_RUN_LABELS,
    memoryBytes: 4 * 2 ** 30,
  });
  tree = await pathTree(treePath('6.1'));
  work = await mkdtemp(join(tmpdir(), 'kmatrix-build-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('tinyconfig in the docker runtime', () => {
  for (const name of ['armhf', 'arm64', 's390', 'x86_64']) {
    it(`builds ${name}`, async () => {
      const arch = findArch(name)!;
      const outDir = join(work, `docker-${name}`);
      const { result } = await buildCell({
        tree,
        arch: name,
        runtime,
        outDir,
        ccacheDir: SHARED_CCACHE,
      });
      expect(result.status, result.reason).toBe('pass');
      expect(result.targets).toEqual([
        expect.objectContaining({ target: 'kernel', goal: arch.imageTarget, status: 'pass' }),
        {
          target: 'modules',
          status: 'skipped',
          durationMs: 0,
          reason: 'CONFIG_MODULES is not set',
        },
      ]);
      expect(result.runtime).toMatchObject({
        kind: 'docker',
        image: 'kmatrix/gcc:latest',
        imageId: runtime.info.imageId,
      });
      expect(result.toolchain.version).toMatch(
        new RegExp(`^${arch.triplet}-gcc \\(Debian 12[^)]*\\) 12\\.`),
      );
      expect(result.artifacts).toEqual([arch.imagePath]);
      const image = await stat(join(outDir, arch.imagePath));
      expect(image.size).toBeGreaterThan(100_000);
      expect(image.uid).toBe(process.getuid!()); // not root-owned when the caller is not root
      expect(result.counts.errors).toBe(0);
      // the container's compiler probes agree with the host's: the verified config was built
      expect(result.config.changedByBuild).toEqual([]);
      const onDisk = JSON.parse(await readFile(join(outDir, 'result.json'), 'utf8'));
      expect(onDisk).toEqual(JSON.parse(JSON.stringify(result)));
      const repro = await readFile(join(outDir, 'reproducer.sh'), 'utf8');
      expect(repro).toContain(`docker run --rm --network none`);
      expect(repro).toContain(`${tree.path}:/src:ro`);
      expect(repro).toContain(
        `make -C /src O=/out ARCH=${arch.arch} CROSS_COMPILE=${arch.triplet}- -j2 ${arch.imageTarget}`,
      );
      expect(
        (await execa('bash', ['-n', join(outDir, 'reproducer.sh')], { reject: false })).exitCode,
      ).toBe(0);
      expect(await kmatrixContainers(docker)).toEqual([]);
    });
  }
});

describe('the local runtime', () => {
  it('gives the same result for armhf tinyconfig as the container', async () => {
    const local = new LocalRuntime(execaRunner, process.env);
    const outDir = join(work, 'local-armhf');
    const { result } = await buildCell({
      tree,
      arch: 'armhf',
      runtime: local,
      outDir,
      ccacheDir: join(work, 'ccache-local'),
    });
    const dockerResult = JSON.parse(
      await readFile(join(work, 'docker-armhf', 'result.json'), 'utf8'),
    );
    expect(result.status).toBe('pass');
    expect(result.runtime).toEqual({ kind: 'local' });
    expect(result.config.changedByBuild).toEqual([]);
    expect(result.toolchain.version).toBe(dockerResult.toolchain.version);
    expect(result.targets.map((t) => [t.target, t.status])).toEqual(
      dockerResult.targets.map((t: { target: string; status: string }) => [t.target, t.status]),
    );
    expect(result.diagnostics.map((d) => d.fingerprint)).toEqual(
      dockerResult.diagnostics.map((d: { fingerprint: string }) => d.fingerprint),
    );
    expect(await readFile(join(outDir, '.config'), 'utf8')).toBe(
      await readFile(join(work, 'docker-armhf', '.config'), 'utf8'),
    );
    const repro = await readFile(join(outDir, 'reproducer.sh'), 'utf8');
    expect(repro).toContain(
      `make -C ${tree.path} O="$OUT" ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf- -j2 zImage`,
    );
  });
});

describe('a real compile error', () => {
  it('is a fail with the file, line and fingerprint of the error', async () => {
    // A hardlinked copy of the tree; the edited file is replaced (new inode), never written through.
    const broken = join(work, 'tree-broken');
    await execa('cp', ['-al', tree.path, broken]);
    const file = join(broken, 'init/calibrate.c');
    const original = await readFile(file, 'utf8');
    await rm(file);
    const injected =
      '\n#ifndef CONFIG_MODULES\nint kmatrix_injected(void)\n{\n\treturn kmatrix_undefined_symbol;\n}\n#endif\n';
    await writeFile(file, original + injected);
    const errorLine = original.split('\n').length + 4;
    expect(await readFile(join(tree.path, 'init/calibrate.c'), 'utf8')).toBe(original);

    const brokenTree = await pathTree(broken);
    const outDir = join(work, 'docker-broken');
    const { result } = await buildCell({
      tree: brokenTree,
      arch: 'armhf',
      runtime,
      outDir,
      ccacheDir: SHARED_CCACHE,
    });
    expect(result.status).toBe('fail');
    expect(result.targets[0]).toMatchObject({ target: 'kernel', status: 'fail', exitCode: 2 });
    expect(result.targets[1]).toMatchObject({ target: 'modules', status: 'skipped' });
    const errors = result.diagnostics.filter(
      (d) => d.kind === 'compiler' && d.severity === 'error',
    );
    expect(errors[0]).toEqual({
      severity: 'error',
      kind: 'compiler',
      file: 'init/calibrate.c',
      line: errorLine,
      column: 16,
      message: expect.stringMatching(
        /kmatrix_undefined_symbol.* undeclared \(first use in this function\)/,
      ),
      function: 'kmatrix_injected',
      fingerprint:
        'init-calibrate.c:error:kmatrix_undefined_symbol-undeclared-first-use-in-this-function',
    });
    // gcc follows up with -Werror=return-type on the same function; nothing from elsewhere
    expect(errors.map((d) => d.file)).toEqual(errors.map(() => 'init/calibrate.c'));
    expect(result.diagnostics).toContainEqual(
      expect.objectContaining({ kind: 'make', file: 'init/calibrate.o', severity: 'error' }),
    );
    // result.json, build.log and the reproducer are written for failures too
    const onDisk = JSON.parse(await readFile(join(outDir, 'result.json'), 'utf8'));
    expect(onDisk.status).toBe('fail');
    expect(await readFile(join(outDir, 'build.log'), 'utf8')).toContain('kmatrix_undefined_symbol');
    expect(await readFile(join(outDir, 'reproducer.sh'), 'utf8')).toContain(`${broken}:/src:ro`);
    await rm(broken, { recursive: true, force: true });
  });
});

describe('ending a build early', () => {
  it('times out and leaves no container behind', async () => {
    const outDir = join(work, 'docker-timeout');
    const t0 = Date.now();
    const { result } = await buildCell({ tree, arch: 'arm64', runtime, outDir, timeoutMs: 8_000 });
    expect(result.status).toBe('timeout');
    expect(result.reason).toMatch(/did not finish within the 8s timeout/);
    expect(result.targets[0]).toMatchObject({ target: 'kernel', status: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(90_000);
    expect(await kmatrixContainers(docker)).toEqual([]);
    expect(JSON.parse(await readFile(join(outDir, 'result.json'), 'utf8')).status).toBe('timeout');
  });

  it('is cancelled by an AbortSignal during make and leaves no container behind', async () => {
    const outDir = join(work, 'docker-abort');
    const ac = new AbortController();
    const { result } = await buildCell({
      tree,
      arch: 'arm64',
      runtime,
      outDir,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'build:target-start') setTimeout(() => ac.abort(), 3_000);
      },
    });
    expect(result.status).toBe('cancelled');
    expect(result.targets[0]).toMatchObject({ target: 'kernel', status: 'cancelled' });
    expect(await kmatrixContainers(docker)).toEqual([]);
  });
});
