// The tree's own Kconfig host tools (scripts/basic/fixdep, scripts/kconfig/conf), built
// once per tree into the cache and copied into each fresh O= dir with their timestamps,
// so make sees them up to date and each cell only runs conf.
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KmatrixError } from '../core/errors.js';
import type { ConfigEvent, Emit } from '../core/events.js';
import { exists, publishDir, withLock } from '../fsutil/atomic.js';
import { lastLines, which, type ProcessRunner } from '../process/runner.js';
import type { KernelTree } from '../source/tree.js';
import { cleanMakeEnv } from './make.js';

const HOST_TOOLS = [
  { cmd: 'make', pkg: 'make' },
  { cmd: 'gcc', pkg: 'gcc' },
  { cmd: 'flex', pkg: 'flex' },
  { cmd: 'bison', pkg: 'bison' },
];

async function checkHostTools(env: NodeJS.ProcessEnv): Promise<void> {
  const missing = [];
  for (const t of HOST_TOOLS) if (!(await which(t.cmd, env))) missing.push(t);
  if (missing.length > 0) {
    throw new KmatrixError(
      'missing-toolchain',
      `host tools needed to build the tree's Kconfig programs are missing: ${missing.map((t) => t.cmd).join(', ')}; install Debian packages: ${missing.map((t) => t.pkg).join(' ')}`,
    );
  }
}

/** Path of the cached tools dir for a tree, building it on first use. */
export async function kconfigTools(
  tree: KernelTree,
  deps: {
    runner: ProcessRunner;
    cacheDir: string;
    emit: Emit<ConfigEvent>;
    env: NodeJS.ProcessEnv;
  },
): Promise<string> {
  const dir = join(deps.cacheDir, 'kconfig-tools', tree.cacheKey);
  const conf = join(dir, 'scripts', 'kconfig', 'conf');
  // Local trees can change under us: let make decide freshness there (it rebuilds in the cell).
  if (await exists(conf)) {
    deps.emit({ type: 'config:tools', tree: tree.label, cached: true });
    return dir;
  }
  await checkHostTools(deps.env);
  return withLock(join(deps.cacheDir, 'locks', `tools-${tree.cacheKey}.lock`), async () => {
    if (await exists(conf)) return dir;
    deps.emit({ type: 'config:tools', tree: tree.label, cached: false });
    await publishDir(dir, async (staging) => {
      const work = join(staging, 'work');
      await mkdir(work);
      // allnoconfig for the host arch: the cheapest config target that builds conf and fixdep.
      const r = await deps.runner.run('make', ['-s', '-C', tree.path, `O=${work}`, 'allnoconfig'], {
        env: cleanMakeEnv(deps.env),
        extendEnv: false,
      });
      if (r.failed) {
        throw new KmatrixError(
          'kconfig-failed',
          `building the Kconfig tools of ${tree.label} failed: ${r.command}`,
          lastLines(r.stderr || r.stdout, 20),
        );
      }
      await cp(join(work, 'scripts'), join(staging, 'scripts'), {
        recursive: true,
        preserveTimestamps: true,
        verbatimSymlinks: true,
      });
      await rm(work, { recursive: true, force: true });
    });
    return dir;
  });
}

/** Seed an O= dir with the prebuilt tools. */
export async function seedTools(toolsDir: string, outDir: string): Promise<void> {
  for (const entry of await readdir(join(toolsDir, 'scripts'))) {
    await cp(join(toolsDir, 'scripts', entry), join(outDir, 'scripts', entry), {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
    });
  }
}
