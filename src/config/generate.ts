// Generate a .config with the tree's own Kconfig (make ... <base>; pins merged; olddefconfig)
// in a fresh O= directory, then verify every pin. The result is a value: a pin that did not
// hold is an `unsatisfied` verdict, not an error.
import { createHash } from 'node:crypto';
import {
  copyFile,
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import { KmatrixError } from '../core/errors.js';
import { printable } from '../core/text.js';
import type { ConfigEvent, Emit } from '../core/events.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { parseBuildLog } from '../diagnostics/parse.js';
import { exists, stagingPath, writeFileAtomic } from '../fsutil/atomic.js';
import { lastLines, which, type ProcessRunner } from '../process/runner.js';
import type { KernelTree } from '../source/tree.js';
import { formatSourceSpec } from '../source/spec.js';
import {
  compilerCommand,
  compilerVersionText,
  toolchainMakeVars,
  toolchainPackages,
  type ToolchainName,
} from '../toolchain/toolchains.js';
import { baseLabel, type Base } from './base.js';
import { mergePins, parseDotConfig } from './dotconfig.js';
import { readConfigFile } from './fragment.js';
import { cleanMakeEnv, formatStep, type MakeStep } from './make.js';
import { formatPinLine, type Pin } from './pin.js';
import { kconfigTools, seedTools } from './tools.js';
import { verifyPins, type PinResult, type SymbolLookup, type ConfigVerdict } from './verify.js';

export interface ConfigRequest {
  tree: KernelTree;
  arch: Arch;
  toolchain: ToolchainName;
  base: Base;
  /** Fragment entries first, then --set pins; a later pin for a symbol wins. */
  pins: readonly Pin[];
  /** Absolute output (O=) directory. Created fresh; replaced only if kmatrix made it. */
  outDir: string;
}

export interface ConfigDeps {
  runner: ProcessRunner;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  emit: Emit<ConfigEvent>;
  /** Which symbols exist for this arch (from the Kconfig model). */
  symbols: (tree: KernelTree, arch: Arch) => Promise<SymbolLookup>;
  signal?: AbortSignal;
}

export interface ConfigResult {
  verdict: ConfigVerdict;
  arch: string;
  base: string;
  seed: string | null;
  probability: string | null;
  toolchain: ToolchainName;
  source: { spec: string; label: string; version: string; path: string };
  configPath: string;
  outDir: string;
  pins: PinResult[];
  /** conf's own warnings (override, unmet dependencies), verbatim. */
  kconfigWarnings: string[];
  /** The same warnings as diagnostics (kind `kconfig`), fingerprinted like build complaints. */
  diagnostics: Diagnostic[];
  /** The make command lines that produced the config, for reproducers. */
  commands: string[];
  durationMs: number;
}

const RESULT_FILE = 'kmatrix-config.json';
const ALLCONFIG_FILE = 'kmatrix.allconfig';

/** Refuse to overwrite a directory kmatrix did not create. */
async function checkOutDir(outDir: string): Promise<void> {
  // The output dir is replaced as a whole (staging dir + rename): a link there would be
  // replaced too, or, followed, put the output somewhere the user did not name.
  const link = await lstat(outDir).then(
    (s) => s.isSymbolicLink(),
    () => false,
  );
  if (link) {
    const target = await readlink(outDir).catch(() => '?');
    throw new KmatrixError(
      'usage',
      `output directory ${printable(outDir)} is a symbolic link (to ${printable(target)}); give a real directory path or a new one`,
    );
  }
  if (!(await exists(outDir))) return;
  const entries = await readdir(outDir).catch(() => {
    throw new KmatrixError('io', `output directory ${outDir} is not a readable directory`);
  });
  if (entries.length > 0 && !entries.includes(RESULT_FILE)) {
    throw new KmatrixError(
      'usage',
      `output directory ${outDir} exists and was not made by kmatrix (no ${RESULT_FILE}); give an empty or new --out directory`,
    );
  }
}

async function checkToolchain(
  arch: Arch,
  toolchain: ToolchainName,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const cc = compilerCommand(arch, toolchain);
  if (!(await which(cc, env))) {
    throw new KmatrixError(
      'missing-toolchain',
      `${toolchain} toolchain for ${arch.name} not found: ${cc} is not on PATH; install Debian package(s) ${toolchainPackages(arch, toolchain).join(' ')} or use --runtime docker`,
    );
  }
}

/** The make steps for a base, given where the O= dir and allconfig file are. */
export function planSteps(
  req: Pick<ConfigRequest, 'arch' | 'toolchain' | 'base' | 'pins' | 'tree'>,
  outDir: string,
): {
  first: MakeStep;
  merge: boolean;
} {
  const common = [
    '-s',
    '-C',
    req.tree.path,
    `O=${outDir}`,
    ...toolchainMakeVars(req.arch, req.toolchain),
  ];
  const b = req.base;
  switch (b.kind) {
    case 'defconfig':
      return {
        first: { step: 'defconfig', args: [...common, req.arch.defconfigTarget], env: {} },
        merge: req.pins.length > 0,
      };
    case 'tinyconfig':
      // tinyconfig sets KCONFIG_ALLCONFIG itself, so pins are merged afterwards.
      return {
        first: { step: 'tinyconfig', args: [...common, 'tinyconfig'], env: {} },
        merge: req.pins.length > 0,
      };
    case 'file':
      return {
        first: { step: 'olddefconfig', args: [...common, 'olddefconfig'], env: {} },
        merge: false,
      };
    case 'allnoconfig':
    case 'allmodconfig':
    case 'allyesconfig':
    case 'randconfig': {
      const env: Record<string, string> = {};
      if (req.pins.length > 0) env['KCONFIG_ALLCONFIG'] = join(outDir, ALLCONFIG_FILE);
      if (b.kind === 'randconfig') {
        env['KCONFIG_SEED'] = b.seed;
        if (b.probability !== undefined) env['KCONFIG_PROBABILITY'] = b.probability;
      }
      return { first: { step: b.kind, args: [...common, b.kind], env }, merge: false };
    }
  }
}

function olddefconfigStep(req: ConfigRequest, outDir: string): MakeStep {
  return {
    step: 'olddefconfig',
    args: [
      '-s',
      '-C',
      req.tree.path,
      `O=${outDir}`,
      ...toolchainMakeVars(req.arch, req.toolchain),
      'olddefconfig',
    ],
    env: {},
  };
}

/** conf's warnings, one string each (multi-line "unmet direct dependencies" blocks kept whole). */
export function kconfigWarnings(log: string): string[] {
  const out: string[] = [];
  const lines = log.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (/^WARNING: unmet direct dependencies/.test(l)) {
      const block = [l];
      while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1] ?? ''))
        block.push(lines[++i] ?? '');
      out.push(block.join('\n'));
    } else if (/warning:/i.test(l)) {
      out.push(l.trim());
    }
  }
  return out;
}

/** conf's warnings as diagnostics: one per unmet select, per invalid value, per override. */
function kconfigDiagnostics(log: string, stripPrefixes: readonly string[]): Diagnostic[] {
  return parseBuildLog(log, { stripPrefixes }).filter((d) => d.kind === 'kconfig');
}

/**
 * Where the output of a base's first step is kept for reuse, or undefined when it must not
 * be: local trees can change under us, and randconfig/all*config depend on the pins.
 */
export async function baseCachePath(
  req: Pick<ConfigRequest, 'tree' | 'arch' | 'toolchain' | 'base'>,
  deps: Pick<ConfigDeps, 'runner' | 'cacheDir'>,
): Promise<string | undefined> {
  if (req.tree.spec.kind === 'path') return undefined;
  if (req.base.kind !== 'defconfig' && req.base.kind !== 'tinyconfig') return undefined;
  const cc = await compilerVersionText(deps.runner, req.arch, req.toolchain);
  if (!cc) return undefined;
  // Kconfig's toolchain probes also see installed libraries and headers (CC_CAN_LINK needs a
  // libc): any package change on the host invalidates the reuse.
  const dpkg = await stat('/var/lib/dpkg/status').then(
    (s) => `${s.mtimeMs}:${s.size}`,
    () => 'no-dpkg',
  );
  const key = createHash('sha256')
    .update(`${req.arch.name}\0${req.toolchain}\0${req.base.kind}\0${cc}\0${dpkg}`)
    .digest('hex')
    .slice(0, 16);
  return join(
    deps.cacheDir,
    'base-configs',
    req.tree.cacheKey,
    `${req.arch.name}-${req.toolchain}-${req.base.kind}-${key}.config`,
  );
}

export async function generateConfig(req: ConfigRequest, deps: ConfigDeps): Promise<ConfigResult> {
  const started = Date.now();
  await checkOutDir(req.outDir);
  await checkToolchain(req.arch, req.toolchain, deps.env);
  let fileBase: string | undefined;
  if (req.base.kind === 'file') {
    fileBase = await readConfigFile(req.base.path, { what: 'base config file' });
  }
  const tools = await kconfigTools(req.tree, deps);
  const baseCache = await baseCachePath(req, deps);
  const cell = `${req.tree.label}/${req.arch.name}/${baseLabel(req.base)}`;

  // Everything happens in a staging dir next to the output, published by one rename.
  await mkdir(dirname(req.outDir), { recursive: true });
  const staging = stagingPath(req.outDir);
  await mkdir(staging, { recursive: true });
  try {
    await seedTools(tools, staging);
    const log: string[] = [];
    const commands: string[] = [];
    const env = cleanMakeEnv(deps.env);
    const run = async (step: MakeStep) => {
      // The reproducer names the final directory, not the staging one.
      commands.push(formatStep(step).split(staging).join(req.outDir));
      deps.emit({
        type: 'config:step',
        cell,
        step: step.step,
        command: commands[commands.length - 1] ?? '',
      });
      const r = await deps.runner.run('make', step.args, {
        env: { ...env, ...step.env },
        extendEnv: false,
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      log.push(`$ ${commands[commands.length - 1]}\n${r.stdout}${r.stderr}`);
      if (r.cancelled)
        throw new KmatrixError('command-failed', `cancelled while running make ${step.step}`);
      if (r.failed) {
        throw new KmatrixError(
          'kconfig-failed',
          `make ${step.step} failed for ${req.arch.name} in ${req.tree.label} (exit ${r.exitCode ?? r.signal})`,
          lastLines(r.stderr || r.stdout, 20),
        );
      }
      return r;
    };
    const plan = planSteps(req, staging);
    if (fileBase !== undefined)
      await writeFile(join(staging, '.config'), mergePins(fileBase, req.pins));
    if (plan.first.env['KCONFIG_ALLCONFIG']) {
      await writeFile(join(staging, ALLCONFIG_FILE), req.pins.map(formatPinLine).join('\n') + '\n');
    }
    // (a cached base without its log predates the log: made again once)
    if (baseCache && (await exists(baseCache)) && (await exists(`${baseCache}.log`))) {
      // Same tree, arch, compiler and base: conf would write the same file (and warnings) again.
      commands.push(formatStep(plan.first).split(staging).join(req.outDir));
      const said = await readFile(`${baseCache}.log`, 'utf8');
      log.push(`$ ${commands[commands.length - 1]}\n(reused ${baseCache})\n${said}`);
      await copyFile(baseCache, join(staging, '.config'));
    } else {
      const r = await run(plan.first);
      if (baseCache) {
        await writeFileAtomic(`${baseCache}.log`, `${r.stdout}${r.stderr}`);
        await writeFileAtomic(baseCache, await readFile(join(staging, '.config'), 'utf8'));
      }
    }
    if (plan.merge) {
      const text = await readFile(join(staging, '.config'), 'utf8');
      await writeFile(join(staging, '.config'), mergePins(text, req.pins));
      await run(olddefconfigStep(req, staging));
    }
    const configText = await readFile(join(staging, '.config'), 'utf8');
    const values = parseDotConfig(configText);
    // conf writes every symbol that exists and is visible; only absent ones need the model.
    const lookup: SymbolLookup = req.pins.every((p) => values.has(p.symbol))
      ? { isDefined: (s) => values.has(s) }
      : await deps.symbols(req.tree, req.arch);
    const { verdict, pins } = verifyPins(req.pins, values, lookup);
    const logText = log.join('\n');
    await writeFile(join(staging, 'kconfig.log'), logText.split(staging).join(req.outDir));
    const result: ConfigResult = {
      verdict,
      arch: req.arch.name,
      base: baseLabel(req.base),
      seed: req.base.kind === 'randconfig' ? req.base.seed : null,
      probability: req.base.kind === 'randconfig' ? (req.base.probability ?? null) : null,
      toolchain: req.toolchain,
      source: {
        spec: formatSourceSpec(req.tree.spec),
        label: req.tree.label,
        version: req.tree.version,
        path: req.tree.path,
      },
      configPath: join(req.outDir, '.config'),
      outDir: req.outDir,
      pins,
      kconfigWarnings: kconfigWarnings(logText),
      diagnostics: kconfigDiagnostics(logText, [staging, req.outDir, req.tree.path]),
      commands,
      durationMs: Date.now() - started,
    };
    await writeFile(join(staging, RESULT_FILE), JSON.stringify(result, null, 2) + '\n');
    if (req.base.kind === 'file')
      await copyFile(req.base.path, join(staging, 'base.config')).catch(() => undefined);
    await rm(req.outDir, { recursive: true, force: true });
    await rename(staging, req.outDir);
    deps.emit({ type: 'config:done', cell, verdict, ms: result.durationMs });
    return result;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
