// Running real build cells from tests: runBuild with the real config generation, a chosen
// runtime and a private ccache, collecting events.
import { join } from 'node:path';
import { findArch } from '../../../src/arch/arches.js';
import type { BuildEvent } from '../../../src/build/events.js';
import type { BuildResult } from '../../../src/build/result.js';
import { runBuild, type BuildRequest } from '../../../src/build/run.js';
import type { BuildTarget } from '../../../src/build/targets.js';
import type { Base } from '../../../src/config/base.js';
import { generateConfig } from '../../../src/config/generate.js';
import { symbolLookup } from '../../../src/config/kconfig-bridge.js';
import { defaultCacheDir } from '../../../src/fsutil/cache.js';
import { execaRunner } from '../../../src/process/runner.js';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { resolveSource } from '../../../src/source/resolve.js';
import type { KernelTree } from '../../../src/source/tree.js';

export async function pathTree(path: string): Promise<KernelTree> {
  return resolveSource(
    { kind: 'path', path },
    {
      runner: execaRunner,
      cacheDir: defaultCacheDir(process.env),
      cwd: process.cwd(),
      emit: () => {},
    },
  );
}

export interface CellOptions {
  tree: KernelTree;
  arch: string;
  runtime: Runtime;
  outDir: string;
  ccacheDir?: string;
  base?: Base;
  targets?: BuildTarget[];
  timeoutMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: BuildEvent) => void;
}

export async function buildCell(
  o: CellOptions,
): Promise<{ result: BuildResult; events: BuildEvent[] }> {
  const arch = findArch(o.arch);
  if (!arch) throw new Error(`no arch ${o.arch}`);
  const events: BuildEvent[] = [];
  const req: BuildRequest = {
    tree: o.tree,
    arch,
    toolchain: 'gcc',
    base: o.base ?? { kind: 'tinyconfig' },
    pins: [],
    outDir: o.outDir,
    targets: o.targets ?? ['kernel', 'modules'],
    jobs: 2,
    allowUnsatisfied: false,
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
  const result = await runBuild(req, {
    runtime: o.runtime,
    generateConfig: (r) =>
      generateConfig(r, {
        runner: execaRunner,
        cacheDir: defaultCacheDir(process.env),
        env: process.env,
        emit: () => {},
        symbols: symbolLookup,
      }),
    emit: (e) => {
      events.push(e);
      o.onEvent?.(e);
    },
    ...(o.ccacheDir ? { ccacheDir: o.ccacheDir } : {}),
  });
  return { result, events };
}

export const ccacheIn = (dir: string) => join(dir, 'ccache');
