// Resolve a config in a persistent O= directory of a moving worktree: make <base>, merge
// pins, make olddefconfig, exactly what generateConfig does, but without a fresh staging
// dir per call, so conf is only rebuilt when scripts/kconfig changed and a build in the same
// O= dir stays incremental.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import type { Base } from '../config/base.js';
import { mergePins, parseDotConfig, type ConfigValues } from '../config/dotconfig.js';
import { planSteps } from '../config/generate.js';
import { cleanMakeEnv, formatStep, type MakeStep } from '../config/make.js';
import { formatPinLine, type Pin } from '../config/pin.js';
import { readSavedConf, type SavedConf } from '../config/probe-cache.js';
import { sameValue } from '../config/verify.js';
import { KmatrixError } from '../core/errors.js';
import { lastLines, type ProcessRunner, type RunResult } from '../process/runner.js';
import { toolchainMakeVars, type ToolchainName } from '../toolchain/toolchains.js';

export interface KconfigPlace {
  /** Source tree (the private clone's checkout). */
  src: string;
  /** Persistent O= dir. */
  out: string;
  arch: Arch;
  toolchain: ToolchainName;
}

export interface KconfigDeps {
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  /** Put first on PATH for config steps (the probe cache's compiler wrapper). */
  pathPrefix?: string;
  signal?: AbortSignal;
  /** make -j: the first run in a fresh O= dir builds conf, which parallelizes. */
  jobs?: number;
  /**
   * HOSTCFLAGS for the host programs (conf, fixdep). A config bisect passes -O0: it builds
   * conf in a fresh O= dir, and compiling it at -O0 takes half the CPU of the default -O2,
   * while conf's own run time hardly changes (its toolchain probes dominate). No Kconfig file
   * reads HOSTCFLAGS (checked on 6.1, 6.12, 7.2), so the resolved .config is the same. Build
   * bisects leave it alone: their build would rebuild conf and fixdep with other flags.
   */
  hostCflags?: string;
  /**
   * Run the olddefconfig after the pins are merged as conf itself, with the command line
   * and environment make gave conf in the step before (saved by the probe cache's wrapper,
   * see KMATRIX_CONF_ENV in probe-cache.ts). That is exactly what `make olddefconfig` runs
   * in the same O= dir at the same commit, less make's own ~0.2 s of Makefile parsing and
   * probes. Falls back to make when nothing was saved.
   */
  directOlddefconfig?: boolean;
}

export type Resolved =
  | {
      kind: 'ok';
      text: string;
      values: ConfigValues;
      commands: string[];
      /** The base step replayed conf's saved run instead of running make (see replay). */
      replayed?: boolean;
    }
  | { kind: 'failed'; step: string; output: string; commands: string[] };

const ALLCONFIG = 'kmatrix.allconfig';
const CONF_ENV = '.kmatrix-conf-env';

async function make(step: MakeStep, deps: KconfigDeps, confEnv?: string) {
  const env = cleanMakeEnv(deps.env);
  if (deps.pathPrefix) env['PATH'] = `${deps.pathPrefix}:${env['PATH'] ?? ''}`;
  if (confEnv) env['KMATRIX_CONF_ENV'] = confEnv;
  const args = [
    ...(deps.jobs && deps.jobs > 1 ? [`-j${deps.jobs}`] : []),
    ...step.args,
    ...(deps.hostCflags !== undefined ? [`HOSTCFLAGS=${deps.hostCflags}`] : []),
  ];
  return deps.runner.run('make', args, {
    env: { ...env, ...step.env },
    extendEnv: false,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
}

function olddefconfig(place: KconfigPlace): MakeStep {
  return {
    step: 'olddefconfig',
    args: [
      '-s',
      '-C',
      place.src,
      `O=${place.out}`,
      ...toolchainMakeVars(place.arch, place.toolchain),
      'olddefconfig',
    ],
    env: {},
  };
}

/** base + pins -> .config in place.out (the tree's own conf decides every value). */
export async function resolveConfig(
  place: KconfigPlace,
  base: Base,
  pins: readonly Pin[],
  deps: KconfigDeps,
  baseText?: string,
  /**
   * The caller knows that no make input changed since the make that saved conf's run in
   * this O= dir (only Kconfig files and defconfigs differ): run conf's `--defconfig=` again
   * directly, as that make would. Only when that make ran conf once and the base is
   * defconfig; otherwise make runs as usual.
   */
  replay = false,
): Promise<Resolved> {
  await mkdir(place.out, { recursive: true });
  const plan = planIn(place, base, pins);
  const commands: string[] = [];
  const confEnv = deps.directOlddefconfig ? join(place.out, CONF_ENV) : undefined;
  const run = async (step: MakeStep, save?: string): Promise<Resolved | undefined> => {
    commands.push(formatStep(step));
    return outcome(save ? await make(step, deps, save) : await make(step, deps), step, commands);
  };
  const cfg = join(place.out, '.config');
  if (base.kind === 'file') {
    await writeFile(cfg, mergePins(baseText ?? (await readFile(base.path, 'utf8')), pins));
  }
  if (plan.first.env['KCONFIG_ALLCONFIG']) {
    await writeFile(join(place.out, ALLCONFIG), pins.map(formatPinLine).join('\n') + '\n');
  }
  let saved =
    confEnv && replay && base.kind === 'defconfig' ? await readSavedConf(confEnv) : undefined;
  if (saved && (saved.multi || !saved.mode.startsWith('--defconfig='))) saved = undefined;
  if (saved) {
    const f1 = await runConf(place, saved, saved.args, deps, commands, plan.first);
    if (f1) return f1;
  } else {
    if (confEnv)
      await Promise.all(
        ['', '.argv', '.pid', '.multi'].map((x) => rm(`${confEnv}${x}`, { force: true })),
      );
    const failed = await run(plan.first, plan.merge ? confEnv : undefined);
    if (failed) return failed;
  }
  const replayed = saved !== undefined;
  if (plan.merge) {
    await writeFile(cfg, mergePins(await readFile(cfg, 'utf8'), pins));
    saved ??= confEnv ? await readSavedConf(confEnv) : undefined;
    const f2 = saved
      ? await runConf(
          place,
          saved,
          ['-s', '--olddefconfig', saved.kconfig],
          deps,
          commands,
          olddefconfig(place),
        )
      : await run(olddefconfig(place));
    if (f2) return f2;
  }
  const text = await readFile(cfg, 'utf8');
  return { kind: 'ok', text, values: parseDotConfig(text), commands, replayed };
}

/** generateConfig's make steps for `base` and `pins`, run in `place`. */
function planIn(place: KconfigPlace, base: Base, pins: readonly Pin[]) {
  return planSteps(
    {
      arch: place.arch,
      toolchain: place.toolchain,
      base,
      pins,
      tree: { path: place.src } as never,
    },
    place.out,
  );
}

/** The commands resolveConfig lists when it runs make for `base` and `pins` in `place`. */
export function resolveCommands(place: KconfigPlace, base: Base, pins: readonly Pin[]): string[] {
  const plan = planIn(place, base, pins);
  return [formatStep(plan.first), ...(plan.merge ? [formatStep(olddefconfig(place))] : [])];
}

async function runConf(
  place: KconfigPlace,
  saved: SavedConf,
  args: readonly string[],
  deps: KconfigDeps,
  commands: string[],
  equivalent: MakeStep,
): Promise<Resolved | undefined> {
  commands.push(formatStep(equivalent));
  const r = await deps.runner.run(join(place.out, 'scripts/kconfig/conf'), args, {
    cwd: place.out,
    env: saved.env,
    extendEnv: false,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  return outcome(r, equivalent, commands);
}

/** A config step's process result: cancelled throws, failed is data, success is undefined. */
function outcome(r: RunResult, step: MakeStep, commands: string[]): Resolved | undefined {
  if (r.cancelled) throw new KmatrixError('command-failed', `cancelled: ${r.command}`);
  if (!r.failed) return undefined;
  return { kind: 'failed', step: step.step, output: lastLines(r.stderr || r.stdout, 20), commands };
}

/** An existing .config text -> olddefconfig closure in place.out. */
export async function closeConfig(
  place: KconfigPlace,
  configText: string,
  deps: KconfigDeps,
): Promise<Resolved> {
  await mkdir(place.out, { recursive: true });
  await writeFile(join(place.out, '.config'), configText);
  const step = olddefconfig(place);
  const failed = outcome(await make(step, deps), step, [formatStep(step)]);
  if (failed) return failed;
  const text = await readFile(join(place.out, '.config'), 'utf8');
  return { kind: 'ok', text, values: parseDotConfig(text), commands: [formatStep(step)] };
}

export interface RequireResult {
  symbol: string;
  required: string;
  effective: string;
  holds: boolean;
}

/** Each required value against a resolved config (an absent symbol reads as n). */
export function checkRequires(requires: readonly Pin[], values: ConfigValues): RequireResult[] {
  return requires.map((p) => {
    const effective = values.get(p.symbol) ?? 'n';
    return { symbol: p.symbol, required: p.value, effective, holds: sameValue(p.value, effective) };
  });
}
