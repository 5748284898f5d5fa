// Options shared by config, build and bisect: parsed from commander's strings into typed values.
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { acceptedArchSpellings, findArch, type Arch } from '../arch/arches.js';
import { parseBase, type Base } from '../config/base.js';
import { readConfigFile, readFragments } from '../config/fragment.js';
import { dedupePins, parsePins, type Pin } from '../config/pin.js';
import { KmatrixError } from '../core/errors.js';
import { defaultCacheDir } from '../fsutil/cache.js';
import { parseSourceSpec, type SourceSpec } from '../source/spec.js';
import { TOOLCHAINS, isToolchainName, type ToolchainName } from '../toolchain/toolchains.js';

export interface RawConfigOptions {
  source: string;
  arch: string;
  base: string;
  seed?: string;
  probability?: string;
  set: string[];
  fragment: string[];
  toolchain: string;
  cacheDir?: string;
}

export interface ConfigOptions {
  source: SourceSpec;
  /** The first (or only) arch. */
  arch: Arch;
  /** Every arch asked for (`--arch arm,arm64,s390`), when the command allows several. */
  arches: Arch[];
  base: Base;
  pins: Pin[];
  toolchain: ToolchainName;
  cacheDir: string;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** Add the options every config-generating command takes. */
export function addConfigOptions(cmd: Command): Command {
  return cmd
    .requiredOption(
      '--source <src>',
      'kernel tree: a path, git:PATH@REF, or debian:VERSION (6.1, 6.12, 7.2)',
    )
    .requiredOption('--arch <arch>', `architecture: ${acceptedArchSpellings()}`)
    .option(
      '--base <base>',
      'defconfig, allnoconfig, tinyconfig, allmodconfig, allyesconfig, randconfig, or a config file path',
      'defconfig',
    )
    .option('--seed <n>', 'KCONFIG_SEED for randconfig (random and reported if omitted)')
    .option('--probability <p>', 'KCONFIG_PROBABILITY for randconfig')
    .option(
      '--set <SYM=VAL>',
      'pin a symbol (repeatable): CRASH_DUMP=y, CONFIG_KEXEC=n, "# CONFIG_X is not set"',
      collect,
      [],
    )
    .option(
      '--fragment <file>',
      'merge a config fragment (repeatable); its values are verified too',
      collect,
      [],
    )
    .option('--toolchain <tc>', `toolchain: ${TOOLCHAINS.join(', ')}`, 'gcc')
    .option(
      '--cache-dir <dir>',
      'cache for trees and tools (default $KMATRIX_CACHE or $XDG_CACHE_HOME/kmatrix)',
    );
}

export function parseArch(text: string): Arch {
  const arch = findArch(text);
  if (!arch)
    throw new KmatrixError(
      'bad-arch',
      `unknown arch "${text}"; accepted: ${acceptedArchSpellings()}`,
    );
  return arch;
}

export function parseToolchain(text: string): ToolchainName {
  if (!isToolchainName(text)) {
    throw new KmatrixError(
      'usage',
      `unknown toolchain "${text}"; accepted: ${TOOLCHAINS.join(', ')}`,
    );
  }
  return text;
}

/** `arm,arm64 s390` -> arches, each checked; every bad name is reported. */
export function parseArchList(text: string): Arch[] {
  const names = text.split(/[\s,]+/).filter((n) => n !== '');
  if (names.length === 0)
    throw new KmatrixError('bad-arch', `empty --arch; accepted: ${acceptedArchSpellings()}`);
  const bad = names.filter((n) => !findArch(n));
  if (bad.length > 0) {
    throw new KmatrixError(
      'bad-arch',
      `unknown arch ${bad.map((b) => `"${b}"`).join(', ')}; accepted: ${acceptedArchSpellings()}`,
    );
  }
  const arches = names.map((n) => findArch(n)!);
  return arches.filter((a, i) => arches.findIndex((b) => b.name === a.name) === i);
}

export async function parseConfigOptions(
  raw: RawConfigOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
  opts: { multiArch?: boolean } = {},
): Promise<ConfigOptions> {
  const source = parseSourceSpec(raw.source);
  const arches = parseArchList(raw.arch);
  const arch = arches[0]!;
  if (arches.length > 1 && !opts.multiArch) {
    throw new KmatrixError(
      'usage',
      `this command takes one --arch, got ${arches.map((a) => a.name).join(', ')}`,
    );
  }
  const toolchain = parseToolchain(raw.toolchain);
  const base = parseBase(raw.base, {
    ...(raw.seed !== undefined ? { seed: raw.seed } : {}),
    ...(raw.probability !== undefined ? { probability: raw.probability } : {}),
    randomSeed: () => String(randomInt(0, 2 ** 31)),
  });
  const resolvedBase: Base =
    base.kind === 'file' ? { kind: 'file', path: resolve(cwd, base.path) } : base;
  // Read now: a bad base file should stop the command before any tree or runtime work.
  if (resolvedBase.kind === 'file')
    await readConfigFile(resolvedBase.path, { what: '--base', shown: raw.base });
  const setPins = parsePins(raw.set, '--set');
  const fragmentPins = await readFragments(raw.fragment, cwd);
  return {
    source,
    arch,
    arches,
    base: resolvedBase,
    pins: dedupePins([...fragmentPins, ...setPins]),
    toolchain,
    cacheDir: raw.cacheDir ? resolve(cwd, raw.cacheDir) : defaultCacheDir(env),
  };
}
