// The probe cache (src/config/probe-cache.ts) as a bisect's config steps use it.
import type { Arch } from '../arch/arches.js';
import { createProbeCache } from '../config/probe-cache.js';
import { compilerCommand, type ToolchainName } from '../toolchain/toolchains.js';
import type { KconfigDeps } from './configure.js';

/** `deps` with the probe cache (made in `dir`) first on PATH for config steps. */
export async function withProbeCache(
  deps: KconfigDeps,
  dir: string,
  arch: Arch,
  toolchain: ToolchainName,
): Promise<KconfigDeps> {
  const pathPrefix = await createProbeCache(dir, compilerCommand(arch, toolchain), deps.env);
  return { ...deps, ...(pathPrefix ? { pathPrefix } : {}) };
}
