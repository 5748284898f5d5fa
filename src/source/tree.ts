// A resolved kernel source tree: where it is, what it is, and a key for caches.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KmatrixError } from '../core/errors.js';
import { printable } from '../core/text.js';
import type { SourceSpec } from './spec.js';

export interface KernelTree {
  spec: SourceSpec;
  /** Absolute path of the tree's top directory. kmatrix never writes into it. */
  path: string;
  /** Kernel version from the top Makefile, e.g. 6.1.192. */
  version: string;
  /** Short, filesystem-safe label: debian-6.1, git-1a2b3c4d5e6f, linux-6.1. */
  label: string;
  /** Identifies the tree's content for caches (commit sha, package version, or path). */
  cacheKey: string;
}

/** Check that `path` is a kernel tree and read its version; throws not-a-kernel-tree otherwise. */
export async function inspectKernelTree(path: string, what: string): Promise<{ version: string }> {
  const missing: string[] = [];
  for (const f of ['Makefile', 'Kconfig', 'scripts/kconfig/Makefile', 'arch']) {
    try {
      await stat(join(path, f));
    } catch {
      missing.push(f);
    }
  }
  if (missing.length > 0) {
    throw new KmatrixError(
      'not-a-kernel-tree',
      `${printable(what)} is not a Linux kernel source tree (missing ${missing.join(', ')}); expected a directory with Makefile, Kconfig and scripts/kconfig/`,
    );
  }
  let makefile: string;
  try {
    makefile = await readFile(join(path, 'Makefile'), 'utf8');
  } catch (e) {
    throw new KmatrixError(
      'not-a-kernel-tree',
      `cannot read ${join(path, 'Makefile')}: ${String(e)}`,
    );
  }
  return { version: parseKernelVersion(makefile) };
}

export function parseKernelVersion(makefile: string): string {
  const get = (name: string) =>
    new RegExp(`^${name}[ \\t]*=[ \\t]*(\\S*)`, 'm').exec(makefile)?.[1] ?? '';
  const v = [get('VERSION'), get('PATCHLEVEL'), get('SUBLEVEL')].filter((x) => x !== '').join('.');
  return v + get('EXTRAVERSION');
}
