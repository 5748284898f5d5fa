// Building the toolchain images through dockerode. The build context is the
// image's docker/<toolchain>/ folder streamed as a tar; apt inside the build uses host
// networking. Without a registry the Debian base is made here with debootstrap.
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { KmatrixError, toError } from '../core/errors.js';
import type { ProcessRunner } from '../process/runner.js';
import { lastLines } from '../process/runner.js';
import { inspectImage } from '../images/lookup.js';
import { BASE_IMAGE, DEFAULT_MIRROR, bookwormMirror, imageSpec } from '../images/spec.js';
import type { ToolchainName } from '../toolchain/toolchains.js';

export type ImageEvent =
  | { kind: 'base-present'; image: string; id: string }
  | { kind: 'base-pull-failed'; image: string; reason: string }
  | { kind: 'base-debootstrap'; image: string; mirror: string; rootfs: string }
  | { kind: 'base-imported'; image: string; id: string; seconds: number }
  | { kind: 'build-start'; toolchain: ToolchainName; tag: string }
  | { kind: 'build-output'; toolchain: ToolchainName; line: string }
  | { kind: 'build-done'; toolchain: ToolchainName; tag: string; id: string; seconds: number };

export interface ImageDeps {
  docker: Docker;
  runner: ProcessRunner;
  emit: (e: ImageEvent) => void;
  /** Where docker/<toolchain>/Dockerfile lives (defaults to the package's docker/). */
  dockerDir?: string;
  /** Read by bookwormMirror(); defaults to /etc/apt. */
  aptDir?: string;
  signal?: AbortSignal;
}

export interface BaseImageResult {
  how: 'present' | 'pulled' | 'debootstrapped';
  id: string;
  mirror?: string;
}

export interface BuiltImage {
  toolchain: ToolchainName;
  tag: string;
  id: string;
  seconds: number;
  base: BaseImageResult;
}

/** docker/ in the installed package: two levels above src/image-build or dist/image-build. */
function packageDockerDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docker');
}

async function tryPull(
  docker: Docker,
  ref: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const pulled = new Promise<void>((resolve, reject) => {
    docker.pull(ref).then(
      (stream) =>
        docker.modem.followProgress(stream, (e: unknown) => (e ? reject(toError(e)) : resolve())),
      (e: unknown) => reject(toError(e)),
    );
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`no answer from the registry in ${timeoutMs / 1000}s`)),
      timeoutMs,
    ).unref(),
  );
  try {
    await Promise.race([pulled, timeout]);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
}

async function hostMirror(aptDir: string): Promise<string> {
  const files: { name: string; text: string }[] = [];
  const add = async (p: string) => {
    try {
      files.push({ name: p, text: await readFile(p, 'utf8') });
    } catch {
      // absent: fine
    }
  };
  await add(join(aptDir, 'sources.list'));
  try {
    for (const n of (await readdir(join(aptDir, 'sources.list.d'))).sort())
      if (n.endsWith('.list') || n.endsWith('.sources'))
        await add(join(aptDir, 'sources.list.d', n));
  } catch {
    // no sources.list.d
  }
  return bookwormMirror(files) ?? DEFAULT_MIRROR;
}

/** Make sure debian:bookworm-slim exists: present, pulled, or debootstrapped and imported. */
async function ensureBaseImage(deps: ImageDeps): Promise<BaseImageResult> {
  const { docker, emit } = deps;
  const have = await inspectImage(docker, BASE_IMAGE);
  if (have) {
    emit({ kind: 'base-present', image: BASE_IMAGE, id: have.Id });
    return { how: 'present', id: have.Id };
  }
  const pullError = await tryPull(docker, BASE_IMAGE, 30_000);
  if (pullError === undefined) {
    const pulled = await inspectImage(docker, BASE_IMAGE);
    if (pulled) return { how: 'pulled', id: pulled.Id };
  }
  emit({
    kind: 'base-pull-failed',
    image: BASE_IMAGE,
    reason: pullError ?? 'pulled image not found',
  });

  const started = Date.now();
  const mirror = await hostMirror(deps.aptDir ?? '/etc/apt');
  const work = await mkdtemp(join(tmpdir(), 'kmatrix-base-'));
  const rootfs = join(work, 'rootfs');
  const tarball = join(work, 'rootfs.tar');
  try {
    emit({ kind: 'base-debootstrap', image: BASE_IMAGE, mirror, rootfs });
    const boot = await deps.runner.run(
      'debootstrap',
      ['--variant=minbase', 'bookworm', rootfs, mirror],
      { signal: deps.signal },
    );
    if (boot.failed) {
      throw new KmatrixError(
        'command-failed',
        `could not create ${BASE_IMAGE}: ${boot.command} ${boot.exitCode === undefined ? 'could not run' : `exited with ${boot.exitCode}`}`,
        `${lastLines(boot.stderr || boot.stdout, 15)}\n(debootstrap needs root and the debootstrap package: apt-get install debootstrap)`,
      );
    }
    // Slim it like the official image: no apt lists, no caches.
    await rm(join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
    await rm(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    const t = await deps.runner.run('tar', ['-C', rootfs, '--numeric-owner', '-cf', tarball, '.']);
    if (t.failed)
      throw new KmatrixError(
        'command-failed',
        `tar of the debootstrap rootfs failed: ${t.command}`,
        lastLines(t.stderr, 10),
      );
    const [repo, tag] = BASE_IMAGE.split(':') as [string, string];
    const stream = await docker.importImage(createReadStream(tarball), {
      repo,
      tag,
      changes: ['LABEL org.kmatrix.base=debootstrap', 'CMD ["bash"]'],
    } as unknown as object);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (e: unknown) => (e ? reject(toError(e)) : resolve())),
    );
    const made = await inspectImage(docker, BASE_IMAGE);
    if (!made)
      throw new KmatrixError('internal', `imported ${BASE_IMAGE} but the daemon does not show it`);
    emit({
      kind: 'base-imported',
      image: BASE_IMAGE,
      id: made.Id,
      seconds: (Date.now() - started) / 1000,
    });
    return { how: 'debootstrapped', id: made.Id, mirror };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The build context: the Dockerfile folder as an in-memory tar stream. */
async function contextTar(dir: string): Promise<NodeJS.ReadableStream> {
  const p = pack();
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const s = await stat(path);
    if (!s.isFile()) continue;
    p.entry({ name, mode: s.mode & 0o777, mtime: s.mtime }, await readFile(path));
  }
  p.finalize();
  return p as unknown as NodeJS.ReadableStream;
}

interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

export async function buildToolchainImage(
  toolchain: ToolchainName,
  deps: ImageDeps,
): Promise<BuiltImage> {
  const { docker, emit } = deps;
  const base = await ensureBaseImage(deps);
  const spec = imageSpec(toolchain);
  const started = Date.now();
  emit({ kind: 'build-start', toolchain, tag: spec.tag });
  const context = await contextTar(join(deps.dockerDir ?? packageDockerDir(), spec.dir));
  const stream = await docker.buildImage(context, {
    t: spec.tag,
    networkmode: 'host',
    buildargs: spec.buildArgs,
    rm: true,
    forcerm: true,
    abortSignal: deps.signal,
  } as Docker.ImageBuildOptions);
  let id: string | undefined;
  let error: string | undefined;
  const recent: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (e: unknown) => (e ? reject(toError(e)) : resolve()),
      (m: BuildMessage) => {
        if (m.aux?.ID) id = m.aux.ID;
        if (m.error) error = m.errorDetail?.message ?? m.error;
        const text = m.stream ?? m.status;
        if (text) {
          for (const line of text.split('\n')) {
            if (!line.trim()) continue;
            recent.push(line);
            if (recent.length > 30) recent.shift();
            emit({ kind: 'build-output', toolchain, line });
          }
        }
      },
    );
  });
  if (error || !id) {
    throw new KmatrixError(
      'command-failed',
      `building ${spec.tag} failed: ${error ?? 'the daemon returned no image id'}`,
      recent.join('\n'),
    );
  }
  const seconds = (Date.now() - started) / 1000;
  emit({ kind: 'build-done', toolchain, tag: spec.tag, id, seconds });
  return { toolchain, tag: spec.tag, id, seconds, base };
}
