// Finding a toolchain image on the daemon: the image a build would run in, or a clear error
// telling how to make it. Read-only; building images is in src/image-build.
import type Docker from 'dockerode';
import { errorMessage, KmatrixError } from '../core/errors.js';
import { printable } from '../core/text.js';
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

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const IMAGE_REF = new RegExp(
  `^(?:${HOST}(?:\\.${HOST})*(?::[0-9]+)?/)?${COMPONENT}(?:/${COMPONENT})*` +
    `(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

/** Docker's reference grammar (distribution/reference), or an image id. */
function isImageRef(s: string): boolean {
  return s.length <= 512 && (IMAGE_REF.test(s) || /^(?:sha256:)?[0-9a-f]{12,64}$/.test(s));
}

/** The image a build would use, or a clear error telling how to make it. */
export async function resolveToolchainImage(
  docker: Docker,
  toolchain: ToolchainName,
  ref?: string,
): Promise<{ spec: ImageSpec; ref: string; id: string }> {
  const spec = imageSpec(toolchain);
  const want = ref ?? spec.tag;
  if (!isImageRef(want))
    throw new KmatrixError(
      'usage',
      `bad image reference "${printable(want)}"; accepted: [REGISTRY/]NAME[:TAG][@DIGEST] in lower case (e.g. kmatrix/gcc:latest) or an image id (sha256:...)`,
    );
  const info = await inspectImage(docker, want).catch((e: unknown) => {
    throw new KmatrixError(
      'image-missing',
      `docker image ${printable(want)} cannot be inspected: ${errorMessage(e)}`,
    );
  });
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
