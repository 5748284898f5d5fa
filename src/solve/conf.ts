// The tree's own conf, as the judge of every solver answer: one O= dir per tree and arch,
// seeded with the prebuilt Kconfig tools, the base made once with make (through the probe
// cache, which also saves conf's environment), then each check is a direct
// `conf --olddefconfig` on base + pins, each in its own KCONFIG_CONFIG file so several run at
// once in the same dir, its Kconfig shell probes answered from the session's shell cache
// (config/shell-cache.ts). That is what `kmatrix config` does for the same base and pins.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import type { Base } from '../config/base.js';
import { mergePins, parseDotConfig, type ConfigValues } from '../config/dotconfig.js';
import { baseCachePath, planSteps } from '../config/generate.js';
import { cleanMakeEnv, formatStep, type MakeStep } from '../config/make.js';
import type { Pin } from '../config/pin.js';
import { createProbeCache, readSavedConf, type SavedConf } from '../config/probe-cache.js';
import { createShellCache, type ShellCacheEnv } from '../config/shell-cache.js';
import { kconfigTools, seedTools } from '../config/tools.js';
import { KmatrixError } from '../core/errors.js';
import type { ConfigEvent, Emit } from '../core/events.js';
import { exists, writeFileAtomic } from '../fsutil/atomic.js';
import { lastLines, type ProcessRunner } from '../process/runner.js';
import type { KernelTree } from '../source/tree.js';
import { compilerCommand, toolchainMakeVars, type ToolchainName } from '../toolchain/toolchains.js';

export interface ConfChecker {
  /** The .config the pins are merged into (conf's output for a make base, or the file). */
  readonly baseText: string;
  /** conf's values for the base alone (olddefconfig of baseText): toolchain probes, distances. */
  readonly baseValues: ConfigValues;
  /** conf --olddefconfig on the base merged with `pins` (in order: a later pin wins). */
  resolve(pins: readonly Pin[]): Promise<ConfigValues>;
  /** How many conf runs so far (the base's included). */
  runs(): number;
  close(): Promise<void>;
}

export interface ConfDeps {
  runner: ProcessRunner;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  emit: Emit<ConfigEvent>;
  /** Where the O= dir goes (tmpfs when there is one). */
  scratch: string;
  /** Limits how many conf processes run at once across every session. */
  limit: <T>(task: () => Promise<T>) => Promise<T>;
  /** false: every direct conf run runs all its Kconfig shell probes (tests compare). */
  shellCache?: boolean;
  signal?: AbortSignal;
}

const CONF_ENV = '.kmatrix-conf-env';

export async function openConfChecker(
  tree: KernelTree,
  arch: Arch,
  toolchain: ToolchainName,
  base: Base,
  deps: ConfDeps,
): Promise<ConfChecker> {
  const tools = await kconfigTools(tree, deps);
  const dir = join(deps.scratch, `solve-${process.pid}-${randomBytes(4).toString('hex')}`);
  const out = join(dir, 'o');
  await mkdir(out, { recursive: true });
  try {
    await seedTools(tools, out);
    const probes = await createProbeCache(
      join(dir, 'probes'),
      compilerCommand(arch, toolchain),
      deps.env,
    );
    const env = cleanMakeEnv(deps.env);
    if (probes) env['PATH'] = `${probes}:${env['PATH'] ?? ''}`;
    let runs = 0;
    const make = async (step: MakeStep, save?: string) => {
      runs++;
      deps.emit({
        type: 'config:step',
        cell: `${tree.label}/${arch.name}`,
        step: step.step,
        command: formatStep(step),
      });
      const r = await deps.limit(() =>
        deps.runner.run('make', step.args, {
          env: { ...env, ...step.env, ...(save ? { KMATRIX_CONF_ENV: save } : {}) },
          extendEnv: false,
          ...(deps.signal ? { signal: deps.signal } : {}),
        }),
      );
      if (r.failed)
        throw new KmatrixError(
          'kconfig-failed',
          `make ${step.step} failed for ${arch.name} in ${tree.label}: ${r.command}`,
          lastLines(r.stderr || r.stdout, 20),
        );
    };
    const common = ['-s', '-C', tree.path, `O=${out}`, ...toolchainMakeVars(arch, toolchain)];
    const cfg = join(out, '.config');
    // the base's first step is the same as kmatrix config's: share its cached output
    const cached = await baseCachePath({ tree, arch, toolchain, base }, deps);
    if (base.kind === 'file') await writeFile(cfg, await readBase(base.path));
    else if (cached && (await exists(cached))) await copyFile(cached, cfg);
    else {
      await make(planSteps({ arch, toolchain, base, pins: [], tree }, out).first);
      if (cached) await writeFileAtomic(cached, await readFile(cfg, 'utf8'));
    }
    const baseText = await readFile(cfg, 'utf8');
    // One make olddefconfig saves the environment make gives conf; every check reuses it.
    const confEnv = join(out, CONF_ENV);
    await make({ step: 'olddefconfig', args: [...common, 'olddefconfig'], env: {} }, confEnv);
    const saved = await readSavedConf(confEnv);
    // the tree and toolchain stay as they are for the session: probes answer the same
    const shell =
      saved && deps.shellCache !== false
        ? await createShellCache(join(dir, 'shell'), deps)
        : undefined;
    const baseValues = parseDotConfig(await readFile(cfg, 'utf8'));
    let job = 0;
    const resolve = async (pins: readonly Pin[]): Promise<ConfigValues> => {
      const name = `.config.solve${job++}`;
      await writeFile(join(out, name), mergePins(baseText, pins));
      runs++;
      try {
        if (saved) await deps.limit(() => runConf(out, saved, name, deps, shell));
        else
          await make({
            step: 'olddefconfig',
            args: [...common, 'olddefconfig'],
            env: { KCONFIG_CONFIG: name },
          });
        return parseDotConfig(await readFile(join(out, name), 'utf8'));
      } finally {
        await rm(join(out, name), { force: true });
        await rm(join(out, `${name}.old`), { force: true });
      }
    };
    return {
      baseText,
      baseValues,
      resolve,
      runs: () => runs,
      close: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function readBase(path: string): Promise<string> {
  return readFile(path, 'utf8').catch((e: unknown) => {
    throw new KmatrixError(
      'bad-config-file',
      `cannot read base config file ${path}: ${(e as Error).message}`,
    );
  });
}

async function runConf(
  out: string,
  saved: SavedConf,
  name: string,
  deps: ConfDeps,
  shell: ShellCacheEnv | undefined,
): Promise<void> {
  const r = await deps.runner.run(
    join(out, 'scripts/kconfig/conf'),
    ['-s', '--olddefconfig', saved.kconfig],
    {
      cwd: out,
      env: { ...saved.env, ...shell, KCONFIG_CONFIG: name },
      extendEnv: false,
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
  );
  if (r.cancelled) throw new KmatrixError('command-failed', `cancelled: ${r.command}`);
  if (r.failed)
    throw new KmatrixError(
      'kconfig-failed',
      `conf --olddefconfig failed in ${out}: ${r.command}`,
      lastLines(r.stderr || r.stdout, 20),
    );
}
