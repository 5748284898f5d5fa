// Turn a SourceSpec into a KernelTree on disk (fetching or exporting it if needed).
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { KmatrixError } from '../core/errors.js';
import { printable } from '../core/text.js';
import type { Emit, SourceEvent } from '../core/events.js';
import { exists } from '../fsutil/atomic.js';
import type { ProcessRunner } from '../process/runner.js';
import { resolveDebianTree } from './debian.js';
import { resolveGitTree } from './git.js';
import type { SourceSpec } from './spec.js';
import { inspectKernelTree, type KernelTree } from './tree.js';

export interface ResolveDeps {
  runner: ProcessRunner;
  cacheDir: string;
  cwd: string;
  emit: Emit<SourceEvent>;
  mirror?: string | undefined;
}

export async function resolveSource(spec: SourceSpec, deps: ResolveDeps): Promise<KernelTree> {
  switch (spec.kind) {
    case 'path': {
      const path = resolve(deps.cwd, spec.path);
      const st = await stat(path).catch(() => undefined);
      if (!st?.isDirectory()) {
        throw new KmatrixError(
          'bad-source',
          `source path ${printable(spec.path)} does not exist or is not a directory; expected a kernel tree path, git:PATH@REF or debian:VERSION`,
        );
      }
      const { version } = await inspectKernelTree(path, `source path ${spec.path}`);
      // Kbuild refuses O= builds from a configured tree; say so before make does.
      if ((await exists(join(path, '.config'))) || (await exists(join(path, 'include/config')))) {
        throw new KmatrixError(
          'not-a-kernel-tree',
          `source tree ${printable(spec.path)} is not clean (it has a .config or include/config); kmatrix builds out of tree and never writes into it: run 'make mrproper' there or use a clean copy`,
        );
      }
      const hash = createHash('sha256').update(path).digest('hex').slice(0, 12);
      deps.emit({ type: 'source:ready', label: basename(path), path, cached: true });
      return { spec, path, version, label: sanitize(basename(path)), cacheKey: `path-${hash}` };
    }
    case 'git': {
      const t = await resolveGitTree(spec.repo, spec.ref, deps);
      const { version } = await inspectKernelTree(t.path, `git:${spec.repo}@${spec.ref}`);
      deps.emit({
        type: 'source:ready',
        label: `git-${t.commit.slice(0, 12)}`,
        path: t.path,
        cached: t.cached,
      });
      return {
        spec,
        path: t.path,
        version,
        label: `git-${t.commit.slice(0, 12)}`,
        cacheKey: `git-${t.commit}`,
      };
    }
    case 'debian': {
      const t = await resolveDebianTree(spec.version, deps);
      const { version } = await inspectKernelTree(t.path, `debian:${spec.version}`);
      deps.emit({
        type: 'source:ready',
        label: `debian-${spec.version}`,
        path: t.path,
        cached: t.cached,
      });
      return {
        spec,
        path: t.path,
        version,
        label: `debian-${spec.version}`,
        cacheKey: `debian-${sanitize(t.packageVersion)}`,
      };
    }
  }
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9._+-]+/g, '_');
}
