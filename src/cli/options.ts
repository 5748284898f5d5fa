// The options several commands share, each declared and parsed in one place: commander calls
// the parser as it reads argv, so an action gets typed values, and a bad value is one
// KmatrixError naming the option, the value and what is accepted (exit 2).
import { availableParallelism } from 'node:os';
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { acceptedArchSpellings, findArch, type Arch } from '../arch/arches.js';
import { DEFAULT_TARGETS, parseDuration, parseTargets } from '../build/targets.js';
import { parseBase, type Base } from '../config/base.js';
import { readConfigFile, readFragments } from '../config/fragment.js';
import { isLabel, LABEL_ACCEPTED, parseSize, SIZE_ACCEPTED } from '../matrix/resources.js';
import { parseRedisUrl } from '../queue/url.js';
import { dedupePins, parsePins, type Pin } from '../config/pin.js';
import { KmatrixError } from '../core/errors.js';
import { defaultCacheDir } from '../fsutil/cache.js';
import { RUNTIME_KINDS } from '../runtime/runtime.js';
import { parseSourceSpec } from '../source/spec.js';
import type { RuntimeChoice } from '../runtime/select.js';
import { defaultResultsDir } from '../store/file.js';
import { TOOLCHAINS, isToolchainName, type ToolchainName } from '../toolchain/toolchains.js';
import type { CliIo } from './io.js';

/** For repeatable options: `--set A=y --set B=n` -> ['A=y', 'B=n']. */
export const collect = (value: string, previous: readonly string[]): string[] => [
  ...previous,
  value,
];

/** The one shape of a bad option value. */
function badValue(option: string, value: string, accepted: string): KmatrixError {
  return new KmatrixError('usage', `bad ${option} ${JSON.stringify(value)}: expected ${accepted}`);
}

function parseWholeNumber(text: string, option: string, min = 1): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min)
    throw badValue(option, text, `a whole number >= ${min}`);
  return n;
}

function parsePositiveNumber(text: string, option: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw badValue(option, text, 'a number above 0');
  return n;
}

const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['auto', ...RUNTIME_KINDS];

function parseRuntimeChoice(text: string): RuntimeChoice {
  const choice = RUNTIME_CHOICES.find((c) => c === text);
  if (!choice) throw badValue('--runtime', text, `one of ${RUNTIME_CHOICES.join(', ')}`);
  return choice;
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

/** `arm,arm64 s390` -> arches, each checked; every bad name is reported. */
function parseArchList(text: string): Arch[] {
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

export function parseToolchain(text: string): ToolchainName {
  if (!isToolchainName(text)) {
    throw new KmatrixError(
      'usage',
      `unknown toolchain "${text}"; accepted: ${TOOLCHAINS.join(', ')}`,
    );
  }
  return text;
}

/** The long name of an option's flags, for messages: '-j, --jobs <n>' -> '--jobs'. */
function longName(flags: string): string {
  return /--[\w-]+/.exec(flags)?.[0] ?? flags;
}

/** `--jobs <n>` and friends: a whole number >= min. */
export function wholeNumberOption(flags: string, description: string, min = 1): Option {
  return new Option(flags, description).argParser((v: string) =>
    parseWholeNumber(v, longName(flags), min),
  );
}

/** `--memory <GiB>`, `--cpus <n>`: a number above 0. */
export function positiveNumberOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((v: string) =>
    parsePositiveNumber(v, longName(flags)),
  );
}

/** `--timeout <duration>` -> milliseconds. */
export function durationOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((v: string) => parseDuration(v, longName(flags)));
}

/** `--runtime <rt>` -> RuntimeChoice; no default when none is given (run keeps the matrix's). */
export function runtimeOption(description: string, fallback?: RuntimeChoice): Option {
  const o = new Option('--runtime <rt>', description).argParser(parseRuntimeChoice);
  return fallback ? o.default(fallback) : o;
}

/** `--redis <url>`: checked here (scheme, host, db); the password never appears in a message. */
export function redisOption(description: string): Option {
  return new Option('--redis <url>', description).argParser((v: string) => {
    parseRedisUrl(v);
    return v;
  });
}

/** `--executor local|queue`. */
export function executorOption(description: string): Option {
  return new Option('--executor <kind>', description).argParser((v: string) => {
    if (v !== 'local' && v !== 'queue') throw badValue('--executor', v, 'local or queue');
    return v;
  });
}

/** `--mem <size>` -> bytes: 512M, 16G. */
export function sizeOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((v: string) => {
    const bytes = parseSize(v);
    if (bytes === undefined) throw badValue(longName(flags), v, SIZE_ACCEPTED);
    return bytes;
  });
}

/** `--label k=v` (repeatable) -> sorted, unique labels. */
export function labelOption(description: string): Option {
  return new Option('--label <k=v>', description)
    .argParser((v: string, previous: readonly string[] = []) => {
      if (!isLabel(v)) throw badValue('--label', v, LABEL_ACCEPTED);
      return [...new Set([...previous, v])].sort();
    })
    .default([]);
}

/** `--targets <list>` -> BuildTarget[], kernel by default. */
export function targetsOption(description: string): Option {
  return new Option('--targets <list>', description)
    .argParser(parseTargets)
    .default([...DEFAULT_TARGETS], DEFAULT_TARGETS.join(','));
}

export function jsonOption(description: string): Option {
  return new Option('--json', description);
}

export function noCcacheOption(description = 'do not use the shared ccache'): Option {
  return new Option('--no-ccache', description);
}

/** `--cache-dir <dir>` -> an absolute path; $KMATRIX_CACHE or $XDG_CACHE_HOME/kmatrix by default. */
export function cacheDirOption(io: CliIo, description = 'cache for trees and tools'): Option {
  return new Option('--cache-dir <dir>', description)
    .argParser((v: string) => resolve(io.cwd, v))
    .default(defaultCacheDir(io.env), '$KMATRIX_CACHE or $XDG_CACHE_HOME/kmatrix');
}

/** `--results <dir>` -> an absolute path; $KMATRIX_RESULTS or ./kmatrix-results by default. */
export function resultsDirOption(io: CliIo, description: string): Option {
  return new Option('--results <dir>', description)
    .argParser((v: string) => resolve(io.cwd, v))
    .default(defaultResultsDir(io.env, io.cwd), '$KMATRIX_RESULTS or ./kmatrix-results');
}

/** A path option resolved against the command's cwd. */
export function pathOption(flags: string, description: string, io: CliIo): Option {
  return new Option(flags, description).argParser((v: string) => resolve(io.cwd, v));
}

/** make -j when not given: $KMATRIX_JOBS, else the number of CPUs. */
export function defaultMakeJobs(env: NodeJS.ProcessEnv): number {
  return Number(env['KMATRIX_JOBS'] ?? 0) || cpuCount();
}

export function cpuCount(): number {
  return Math.max(1, availableParallelism());
}

/** What addConfigOptions gives an action (plus the command's own options). */
export interface RawConfigOptions {
  arch: Arch[];
  base: string;
  seed?: string;
  probability?: string;
  set: string[];
  fragment: string[];
  toolchain: ToolchainName;
  cacheDir: string;
}

export interface ConfigOptions {
  /** The first (or only) arch. */
  arch: Arch;
  /** Every arch asked for (`--arch arm,arm64,s390`), when the command allows several. */
  arches: Arch[];
  base: Base;
  pins: Pin[];
  toolchain: ToolchainName;
  cacheDir: string;
}

/** `--source <src>` (required) -> SourceSpec. */
export function sourceOption(
  description = 'kernel tree: a path, git:PATH@REF, or debian:VERSION (6.1, 6.12, 7.2)',
): Option {
  return new Option('--source <src>', description).argParser(parseSourceSpec).makeOptionMandatory();
}

/** The options every config-generating command takes (the tree comes from --source or --repo). */
export function addConfigOptions(cmd: Command, io: CliIo): Command {
  return cmd
    .addOption(
      new Option('--arch <arch>', `architecture: ${acceptedArchSpellings()}`)
        .argParser(parseArchList)
        .makeOptionMandatory(),
    )
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
    .addOption(
      new Option('--toolchain <tc>', `toolchain: ${TOOLCHAINS.join(', ')}`)
        .argParser(parseToolchain)
        .default('gcc'),
    )
    .addOption(cacheDirOption(io));
}

/** The base and pins of addConfigOptions (reading the fragments), checked together. */
export async function parseConfigOptions(
  raw: RawConfigOptions,
  cwd: string,
  opts: { multiArch?: boolean } = {},
): Promise<ConfigOptions> {
  const arch = raw.arch[0]!;
  if (raw.arch.length > 1 && !opts.multiArch) {
    throw new KmatrixError(
      'usage',
      `this command takes one --arch, got ${raw.arch.map((a) => a.name).join(', ')}`,
    );
  }
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
    arch,
    arches: raw.arch,
    base: resolvedBase,
    pins: dedupePins([...fragmentPins, ...setPins]),
    toolchain: raw.toolchain,
    cacheDir: raw.cacheDir,
  };
}
