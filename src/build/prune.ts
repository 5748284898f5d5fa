// After a build: keep what a user looks at (the .config, logs, diagnostics, reproducer,
// results, the kernel image, System.map, dtbs and modules when built) and remove the O=
// object tree, 50-75 MB for a tinyconfig kernel and gigabytes for a defconfig one. One
// function, so a caller that still needs the tree (a debugging run, triage) can skip it.
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import type { BuildTarget } from './targets.js';

/** Files kmatrix itself writes into a build or cell directory. */
const KMATRIX_FILES = [
  '.config',
  'base.config',
  'build.log',
  'kconfig.log',
  'kmatrix-config.json',
  'result.json',
  'repro.json',
  'reproducer.sh',
  'diagnostics.json',
] as const;

/** make's outputs worth keeping at the top of O= (the module lists only with modules). */
const TOP_ARTIFACTS = ['System.map'];
const MODULE_LISTS = ['modules.order', 'modules.builtin', 'Module.symvers'];

export interface PruneResult {
  keptFiles: number;
  keptBytes: number;
  removedFiles: number;
  removedBytes: number;
}

/** Whether a path (relative to O=, with /) is kept for this arch and these targets. */
export function keepPath(rel: string, arch: Arch, targets: readonly BuildTarget[]): boolean {
  if (!rel.includes('/'))
    return (
      (KMATRIX_FILES as readonly string[]).includes(rel) ||
      TOP_ARTIFACTS.includes(rel) ||
      (targets.includes('modules') && MODULE_LISTS.includes(rel))
    );
  if (rel === arch.imagePath) return true;
  if (targets.includes('dtbs') && rel.startsWith(`arch/${arch.srcarch}/boot/dts/`))
    return rel.endsWith('.dtb') || rel.endsWith('.dtbo');
  if (targets.includes('modules')) return rel.endsWith('.ko');
  return false;
}

/** Remove everything under `outDir` that keepPath does not keep, and the dirs left empty. */
export async function pruneBuildDir(
  outDir: string,
  o: { arch: Arch; targets: readonly BuildTarget[] },
): Promise<PruneResult> {
  const r: PruneResult = { keptFiles: 0, keptBytes: 0, removedFiles: 0, removedBytes: 0 };
  const walk = async (relDir: string): Promise<boolean> => {
    const abs = join(outDir, relDir);
    let empty = true;
    for (const e of await readdir(abs, { withFileTypes: true })) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (await walk(rel)) await rmdir(join(outDir, rel));
        else empty = false;
        continue;
      }
      const size = (await lstat(join(outDir, rel))).size;
      if (keepPath(rel, o.arch, o.targets)) {
        r.keptFiles++;
        r.keptBytes += size;
        empty = false;
      } else {
        await rm(join(outDir, rel), { force: true });
        r.removedFiles++;
        r.removedBytes += size;
      }
    }
    return empty;
  };
  await walk('');
  return r;
}
