// Which changed paths can change a bisect predicate's answer. Kept in one table with the
// reason for each rule, because the filtered bisect is only as sound as this list.
import type { Arch } from '../arch/arches.js';
import type { Base } from '../config/base.js';

export interface InputRule {
  /** What the rule matches, for docs and --explain-inputs style output. */
  pattern: string;
  reason: string;
  matches: (path: string, ctx: InputContext) => boolean;
}

export interface InputContext {
  /** arch/<srcarch>/ of the arch being bisected. */
  srcarch: string;
  base: Base;
  /**
   * Kconfig files under another arch's directory that this arch's conf still reads:
   * crypto/Kconfig sources arch/<every arch>/crypto/Kconfig and drivers/ras/Kconfig
   * sources arch/x86/ras/Kconfig, each inside an `if`, but conf parses them all.
   */
  sourced: ReadonlySet<string>;
}

const inOwnArch = (p: string, c: InputContext) => p.startsWith(`arch/${c.srcarch}/`);
/** Under arch/<dir>/ for another arch (arch/Kconfig itself is generic). */
const otherArch = (p: string, c: InputContext) =>
  /^arch\/[^/]+\//.test(p) && !inOwnArch(p, c) && !c.sourced.has(p);
const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * Inputs of `make <base>` + pins + `make olddefconfig` for one arch. Everything else
 * (C sources, headers, docs, other archs) is invisible to conf.
 */
export const KCONFIG_INPUT_RULES: readonly InputRule[] = [
  {
    pattern: 'Kconfig* (any directory except arch/<other>/, unless sourced from outside it)',
    reason:
      "the Kconfig language files themselves; every file conf sources is named Kconfig* in the trees we checked (6.1, 6.12, 7.2); another arch's Kconfig file counts when a file outside that arch sources it (arch/*/crypto/Kconfig, arch/x86/ras/Kconfig)",
    matches: (p, c) => baseName(p).startsWith('Kconfig') && !otherArch(p, c),
  },
  {
    pattern: 'arch/<srcarch>/Makefile*, arch/<srcarch>/Kbuild*',
    reason:
      'included by the top Makefile for config targets: sets KBUILD_DEFCONFIG, compiler flags that toolchain probes see, and arch-specific config targets (mips includes Kbuild.platforms)',
    matches: (p, c) =>
      p.startsWith(`arch/${c.srcarch}/Makefile`) || p.startsWith(`arch/${c.srcarch}/Kbuild`),
  },
  {
    pattern: 'arch/<srcarch>/tools/**',
    reason:
      'helpers run by Kconfig $(shell) probes: powerpc gcc-check-mprofile-kernel.sh, s390 gcc-thunk-extern.sh, mips generic-board-config.sh',
    matches: (p, c) => p.startsWith(`arch/${c.srcarch}/tools/`),
  },
  {
    pattern: 'include/linux/compiler*.h (powerpc only)',
    reason:
      "powerpc's gcc-check-mprofile-kernel.sh probe compiles against $(srctree)/include, reading include/linux/compiler*.h",
    matches: (p, c) => c.srcarch === 'powerpc' && /^include\/linux\/compiler[^/]*\.h$/.test(p),
  },
  {
    pattern: 'arch/<srcarch>/configs/**',
    reason: 'defconfig files and fragments (tiny.config) read by the defconfig/tinyconfig bases',
    matches: (p, c) => p.startsWith(`arch/${c.srcarch}/configs/`),
  },
  {
    pattern: 'kernel/configs/**',
    reason: 'generic fragments merged by tinyconfig and *.config targets',
    matches: (p) => p.startsWith('kernel/configs/'),
  },
  {
    pattern: 'Makefile (top)',
    reason:
      'exports what Kconfig reads: KERNELVERSION, CC/LD/CC_VERSION_TEXT, SRCARCH; runs the config targets',
    matches: (p) => p === 'Makefile',
  },
  {
    pattern: 'scripts/kconfig/**, scripts/basic/**, scripts/include/**',
    reason:
      'conf itself and fixdep, which make rebuilds when they change; since 6.7 they include list.h, hashtable.h, xalloc.h from scripts/include (the top Makefile puts it on the host -I path)',
    matches: (p) =>
      p.startsWith('scripts/kconfig/') ||
      p.startsWith('scripts/basic/') ||
      p.startsWith('scripts/include/'),
  },
  {
    pattern: 'scripts/<file> (top level of scripts/ only)',
    reason:
      'Kconfig.include and the helpers its $(shell) probes run (cc-version.sh, ld-version.sh, as-version.sh, min-tool-version.sh...), plus Kbuild.include/Makefile.* that run the config targets',
    matches: (p) => p.startsWith('scripts/') && !p.slice('scripts/'.length).includes('/'),
  },
  {
    pattern: 'scripts/dummy-tools/**',
    reason: 'used as the toolchain by some config targets',
    matches: (p) => p.startsWith('scripts/dummy-tools/'),
  },
];

/** Why a path is a Kconfig input, or undefined when it cannot change the config. */
export function kconfigInputReason(path: string, ctx: InputContext): string | undefined {
  for (const r of KCONFIG_INPUT_RULES) if (r.matches(path, ctx)) return r.pattern;
  return undefined;
}

export function isKconfigInput(path: string, ctx: InputContext): boolean {
  return kconfigInputReason(path, ctx) !== undefined;
}

/**
 * Paths a build of `arch` never reads: documentation, other archs' trees, userspace tools,
 * metadata. A commit touching only these cannot change a build's outcome.
 */
const NON_BUILD_RULES: readonly InputRule[] = [
  {
    pattern: 'Documentation/**',
    reason: 'not compiled (kernel-doc runs only for htmldocs)',
    matches: (p) => p.startsWith('Documentation/'),
  },
  {
    pattern: 'arch/<other>/**',
    reason:
      'another arch: its Kconfig, Makefiles and headers are only read with ARCH set to it (a cross-arch #include of arch/<other>/ would break this; none in 6.1 for arm/arm64/x86); its Kconfig files sourced from outside it (InputContext.sourced) do count',
    matches: (p, c) => otherArch(p, c),
  },
  {
    pattern: 'tools/testing/**, tools/perf/**',
    reason:
      'selftests and perf are userspace; the rest of tools/ is not listed because objtool, libsubcmd and tools/include feed kernel builds',
    matches: (p) => p.startsWith('tools/testing/') || p.startsWith('tools/perf/'),
  },
  {
    pattern: 'MAINTAINERS, CREDITS, README, .mailmap, LICENSES/**, *.rst, *.txt outside the build',
    reason: 'metadata only',
    matches: (p) =>
      ['MAINTAINERS', 'CREDITS', 'README', '.mailmap', 'COPYING'].includes(p) ||
      p.startsWith('LICENSES/') ||
      (p.endsWith('.rst') && !p.startsWith('scripts/')),
  },
];

export function isBuildInput(path: string, ctx: InputContext): boolean {
  return !NON_BUILD_RULES.some((r) => r.matches(path, ctx));
}

export function inputContext(
  arch: Arch,
  base: Base,
  sourced: ReadonlySet<string> = new Set(),
): InputContext {
  return { srcarch: arch.srcarch, base, sourced };
}

/** `git grep -n` output line: [<rev>:]<path>:<line>:<text>. */
const SOURCE_LINE = /^(?:[0-9a-f]{7,64}:)?([^:]+):\d+:\s*o?source\s+"(arch\/[^"$]+)"/;

/**
 * The `git grep` that finds every `source "arch/..."` line (see sourcedFromOutside). A fixed
 * string (also matching `osource`, and comments, which SOURCE_LINE then drops) greps ~2x
 * faster than the regex.
 */
export const SOURCE_GREP = ['grep', '-n', '-I', '-F', '-e', 'source "arch/'] as const;
export const SOURCE_GREP_PATHS = ['--', 'Kconfig*', '**/Kconfig*'] as const;

/**
 * Files under arch/<other>/ that conf for `srcarch` parses: named by a literal `source`
 * line in a file it parses, starting from files outside arch/<other>/ and following
 * sources within arch/ transitively. `grepOutput` is `git grep -n` of SOURCE_GREP.
 */
export function sourcedFromOutside(grepOutput: string, srcarch: string): Set<string> {
  return sourcedVia(sourceEdges(grepOutput), srcarch);
}

/** file -> the arch/ files its `source` lines name, from `git grep -n` output. */
export function sourceEdges(grepOutput: string): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const line of grepOutput.split('\n')) {
    const m = SOURCE_LINE.exec(line);
    if (!m) continue;
    const [, from, to] = m as unknown as [string, string, string];
    edges.set(from, [...(edges.get(from) ?? []), to]);
  }
  return edges;
}

/** sourcedFromOutside from the `source` edges of the tree's Kconfig files. */
export function sourcedVia(
  edges: ReadonlyMap<string, readonly string[]>,
  srcarch: string,
): Set<string> {
  const isOther = (p: string) => /^arch\/[^/]+\//.test(p) && !p.startsWith(`arch/${srcarch}/`);
  const out = new Set<string>();
  const queue = [...edges.keys()].filter((f) => !isOther(f));
  while (queue.length > 0) {
    for (const to of edges.get(queue.pop()!) ?? []) {
      if (!isOther(to) || out.has(to)) continue;
      out.add(to);
      queue.push(to);
    }
  }
  return out;
}
