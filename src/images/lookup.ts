// Finding a toolchain image on the daemon: the image a build would run in, or a clear error
// telling how to make it. Read-only; building images is in src/image-build.
import type Docker from 'dockerode';
import { KmatrixError } from '../core/errors.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import { imageSpec, type ImageSpec } from './spec.js';

export async function inspectImage(
  docker: Docker,
  ref: string,
): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** The image a build would use, or a clear error telling how to make it. */
export async function resolveToolchainImage(
  docker: Docker,
  toolchain: ToolchainName,
  ref?: string,
): Promise<{ spec: ImageSpec; ref: string; id: string }> {
  const spec = imageSpec(toolchain);
  const want = ref ?? spec.tag;
  const info = await inspectImage(docker, want);
  if (!info) {
    throw new KmatrixError(
      'image-missing',
      `docker image ${want} not found on the daemon`,
      ref
        ? `build or load ${want} first, or drop --image and run \`kmatrix images build --toolchain ${toolchain}\` for kmatrix's ${spec.tag}`
        : `run \`kmatrix images build --toolchain ${toolchain}\` first (or use --runtime local)`,
    );
  }
  return { spec, ref: want, id: info.Id };
}
