// Real Debian kernel trees for slow tests, fetched through kmatrix's own source resolver
// (so the Debian path is exercised too) into $KMATRIX_CACHE. Global setup resolves them once
// and publishes their paths as KMATRIX_TEST_TREE_6_1 etc. for every test file.
import { defaultCacheDir } from '../../src/fsutil/cache.js';
import { execaRunner } from '../../src/process/runner.js';
import { resolveSource } from '../../src/source/resolve.js';
import type { KernelTree } from '../../src/source/tree.js';

export const TEST_TREE_VERSIONS = ['6.1', '6.12', '7.2'] as const;
export type TreeVersion = (typeof TEST_TREE_VERSIONS)[number];

export function treeEnvName(v: TreeVersion): string {
  return `KMATRIX_TEST_TREE_${v.replace('.', '_')}`;
}

export async function debianTree(
  version: TreeVersion,
  log: (s: string) => void = () => {},
): Promise<KernelTree> {
  return resolveSource(
    { kind: 'debian', version },
    {
      runner: execaRunner,
      cacheDir: defaultCacheDir(process.env),
      cwd: process.cwd(),
      emit: (e) => log(`${e.type} ${JSON.stringify(e)}`),
    },
  );
}

/** Path of a test tree; global setup has fetched it. */
export function treePath(version: TreeVersion): string {
  const p = process.env[treeEnvName(version)];
  if (!p)
    throw new Error(
      `${treeEnvName(version)} is not set: run the slow tests through vitest (global setup fetches the trees)`,
    );
  return p;
}
