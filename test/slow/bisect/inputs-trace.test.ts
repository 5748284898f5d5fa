// Proof that KCONFIG_INPUT_RULES (src/bisect/inputs.ts) cover every file that `make <base>` +
// `make olddefconfig` read from a real kernel tree. The filtered bisect tests only commits
// that touch those inputs and materializes only those files, so a file conf or make reads
// that no rule matches is a soundness bug. Each case runs kmatrix's own make steps
// (planSteps) under strace, collects every regular file of the tree that any process opened,
// stat'ed, accessed or executed, and checks each one against the rules.
import { realpathSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findArch, type Arch } from '../../../src/arch/arches.js';
import {
  SOURCE_GREP,
  SOURCE_GREP_PATHS,
  inputContext,
  isKconfigInput,
  sourcedFromOutside,
} from '../../../src/bisect/inputs.js';
import type { Base } from '../../../src/config/base.js';
import { planSteps } from '../../../src/config/generate.js';
import { cleanMakeEnv, type MakeStep } from '../../../src/config/make.js';
import type { KernelTree } from '../../../src/source/tree.js';
import { treePath, type TreeVersion } from '../../helpers/trees.js';

interface Case {
  tree: TreeVersion;
  arch: string;
  base: 'defconfig' | 'tinyconfig';
}

// Each case costs 20-60 s under strace on 2 cores, so one per kind of finding: generic
// Kconfig plus other arches' crypto/ras files and kernel/configs fragments (tinyconfig),
// arch tools/ scripts run by probes (powerpc, s390, mips), powerpc's compiler headers, mips'
// Kbuild.platforms, and scripts/include from 6.7 on (6.12, where conf is built under trace).
const CASES: Case[] = [
  { tree: '6.1', arch: 'x86_64', base: 'tinyconfig' },
  { tree: '6.1', arch: 'powerpc64le', base: 'defconfig' },
  { tree: '6.1', arch: 's390', base: 'defconfig' },
  { tree: '6.1', arch: 'mips', base: 'defconfig' },
  { tree: '6.12', arch: 'arm64', base: 'defconfig' },
];

/** Syscalls that name a path, plus what the cwd tracker needs (chdir, process creation). */
const PATH_SYSCALLS = [
  'open',
  'openat',
  'openat2',
  'stat',
  'lstat',
  'newfstatat',
  'statx',
  'access',
  'faccessat',
  'faccessat2',
  'readlink',
  'readlinkat',
  'execve',
  'execveat',
];
const AT_SYSCALLS = new Set([
  'openat',
  'openat2',
  'newfstatat',
  'statx',
  'faccessat',
  'faccessat2',
  'readlinkat',
  'execveat',
]);
const FORKS = new Set(['clone', 'clone3', 'fork', 'vfork']);
const TRACED = [...PATH_SYSCALLS, 'chdir', 'fchdir', ...FORKS];

let work: string;

beforeAll(async () => {
  work = await realpath(await mkdtemp(join(tmpdir(), 'kmatrix-inputs-trace-')));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** strace's quoted-string escapes (\", \\, \n, \xNN, \ooo) back to the raw string. */
function unquote(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ({ n: '\n', t: '\t', r: '\r', v: '\v', f: '\f' } as Record<string, string>)[e] ?? e;
  });
}

const QUOTED = String.raw`"((?:[^"\\]|\\.)*)"`;
/** A dirfd as `strace -y` prints it: AT_FDCWD</cwd>, 3</dir>, or bare when undecodable. */
const DIRFD = String.raw`(AT_FDCWD|-?\d+)(?:<((?:[^>\\]|\\.)*)>)?`;
const AT_ARGS = new RegExp(`^${DIRFD}, ${QUOTED}`);
const PLAIN_ARGS = new RegExp(`^${QUOTED}`);
const START = /^(\d+)\s+([a-z0-9_]+)\((.*)$/;
const RESUMED = /^(\d+)\s+<\.\.\. ([a-z0-9_]+) resumed>(.*)$/;
const RESULT = /\)\s+=\s+(-?\d+)(?:<[^>]*>)?(?:\s.*)?$/;

interface TraceFiles {
  /** Absolute paths of every path argument, resolved against the dirfd or the process's cwd. */
  paths: Set<string>;
  /** Relative path arguments whose directory the tracker could not know. */
  unresolved: string[];
  /** Where the tracked cwd disagreed with strace's own AT_FDCWD</cwd> annotation. */
  cwdMismatches: string[];
}

/**
 * Every path argument in an `strace -f -y` log, made absolute. Relative paths of the
 * non-*at syscalls (stat, access, execve...) need the process's cwd, so it is tracked from
 * the spawn cwd through chdir/fchdir and inherited at clone/fork/vfork; strace's own
 * AT_FDCWD</cwd> annotations correct it and check it.
 */
function parseTrace(text: string, spawnCwd: string): TraceFiles {
  const lines = text.split('\n');
  // Pass 1: which line created which child (the child may print before clone returns).
  const childrenAt = new Map<number, { parent: string; child: string }[]>();
  const forkStart = new Map<string, number>();
  const hasParent = new Set<string>();
  const addChild = (i: number | undefined, parent: string, line: string) => {
    const r = RESULT.exec(line);
    if (i === undefined || !r || Number(r[1]) <= 0) return;
    childrenAt.set(i, [...(childrenAt.get(i) ?? []), { parent, child: r[1]! }]);
    hasParent.add(r[1]!);
  };
  lines.forEach((line, i) => {
    const s = START.exec(line);
    if (s && FORKS.has(s[2]!)) {
      if (line.endsWith('<unfinished ...>')) forkStart.set(s[1]!, i);
      else addChild(i, s[1]!, line);
      return;
    }
    const r = RESUMED.exec(line);
    if (r && FORKS.has(r[2]!)) addChild(forkStart.get(r[1]!), r[1]!, line);
  });

  // Pass 2: cwd per pid, path arguments.
  const cwd = new Map<string, string>();
  const pendingChdir = new Map<string, string>();
  const out: TraceFiles = { paths: new Set(), unresolved: [], cwdMismatches: [] };
  let root: string | undefined;
  lines.forEach((line, i) => {
    const resumed = RESUMED.exec(line);
    if (resumed) {
      const [, pid, call] = resumed as unknown as [string, string, string];
      const dir = pendingChdir.get(pid);
      if ((call === 'chdir' || call === 'fchdir') && dir !== undefined) {
        pendingChdir.delete(pid);
        if (RESULT.exec(line)?.[1] === '0') cwd.set(pid, dir);
      }
      return;
    }
    const s = START.exec(line);
    if (!s) return;
    const [, pid, call, args] = s as unknown as [string, string, string, string];
    if (root === undefined && !hasParent.has(pid)) {
      root = pid;
      cwd.set(pid, spawnCwd);
    }
    for (const { parent, child } of childrenAt.get(i) ?? []) {
      const c = cwd.get(parent);
      if (c !== undefined) cwd.set(child, c);
    }
    const here = cwd.get(pid);
    const unfinished = line.endsWith('<unfinished ...>');

    if (call === 'chdir' || call === 'fchdir') {
      let dir: string | undefined;
      if (call === 'chdir') {
        const m = PLAIN_ARGS.exec(args);
        const p = m ? unquote(m[1]!) : undefined;
        if (p !== undefined && (isAbsolute(p) || here !== undefined)) dir = resolve(here ?? '/', p);
      } else {
        const m = /^-?\d+<((?:[^>\\]|\\.)*)>/.exec(args);
        if (m) dir = unquote(m[1]!);
      }
      if (dir === undefined) {
        cwd.delete(pid);
        out.unresolved.push(line);
      } else if (unfinished) pendingChdir.set(pid, dir);
      else if (RESULT.exec(line)?.[1] === '0') cwd.set(pid, dir);
      return;
    }
    if (!PATH_SYSCALLS.includes(call)) return;

    let dir: string | undefined;
    let p: string;
    if (AT_SYSCALLS.has(call)) {
      const m = AT_ARGS.exec(args);
      if (!m) throw new Error(`cannot parse strace line: ${line}`);
      const [, fd, annotated, quoted] = m as unknown as [string, string, string?, string?];
      p = unquote(quoted!);
      if (annotated !== undefined) {
        dir = unquote(annotated);
        if (fd === 'AT_FDCWD') {
          if (here !== undefined && here !== dir)
            out.cwdMismatches.push(`${line}\n  tracked cwd: ${here}`);
          cwd.set(pid, dir);
        }
      } else if (fd === 'AT_FDCWD') dir = here;
    } else {
      const m = PLAIN_ARGS.exec(args);
      if (!m) throw new Error(`cannot parse strace line: ${line}`);
      p = unquote(m[1]!);
      dir = here;
    }
    if (isAbsolute(p)) out.paths.add(p);
    else if (dir !== undefined) out.paths.add(p === '' ? dir : `${dir}/${p}`);
    else out.unresolved.push(line);
  });
  return out;
}

/**
 * Tree-relative names of the existing regular files among `paths`: by the name used (made
 * lexically absolute) and by where it really is, so a symlink and its target both count.
 */
function treeFiles(paths: Iterable<string>, tree: string): Set<string> {
  const roots = [...new Set([tree, realpathSync(tree)])];
  const realRoot = realpathSync(tree);
  const files = new Set<string>();
  const add = (abs: string, under: readonly string[]) => {
    for (const r of under) {
      if (!abs.startsWith(`${r}/`)) continue;
      try {
        if (statSync(abs).isFile()) files.add(relative(r, abs));
      } catch {
        // missing: an existence check, not a content input
      }
    }
  };
  for (const p of paths) {
    add(resolve(p), roots);
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      continue;
    }
    add(real, [realRoot]);
  }
  return files;
}

async function traced(step: MakeStep, traceFile: string, cwd: string): Promise<TraceFiles> {
  const r = await execa(
    'strace',
    [
      '-f',
      '-qq',
      '-y',
      '-e',
      'signal=none',
      '-e',
      `trace=${TRACED.join(',')}`,
      '-o',
      traceFile,
      'make',
      ...step.args,
    ],
    { cwd, env: { ...cleanMakeEnv(process.env), ...step.env }, extendEnv: false, reject: false },
  );
  if (r.exitCode !== 0)
    throw new Error(`strace make ${step.args.join(' ')} failed (${r.exitCode}):\n${r.stderr}`);
  return parseTrace(await readFile(traceFile, 'utf8'), cwd);
}

/** The `source "arch/..."` lines of the tree, as kmatrix greps them (git grep without a repo). */
async function sourcedIn(tree: string, arch: Arch): Promise<Set<string>> {
  const [cmd, ...rest] = SOURCE_GREP;
  const r = await execa(
    'git',
    ['-c', 'core.quotePath=false', cmd, '--no-index', ...rest, ...SOURCE_GREP_PATHS],
    { cwd: tree, env: { LC_ALL: 'C' }, reject: false },
  );
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`git grep failed: ${r.stderr}`);
  return sourcedFromOutside(r.stdout, arch.srcarch);
}

describe('Kconfig input rules cover every file make <base> + olddefconfig read (strace)', () => {
  it.each(CASES.map((c) => [`${c.tree} ${c.arch} ${c.base}`, c] as const))(
    '%s',
    async (_, c) => {
      const tree = treePath(c.tree);
      const arch = findArch(c.arch);
      if (!arch) throw new Error(`no arch ${c.arch} in src/arch/arches.ts`);
      const base: Base = { kind: c.base };
      const dir = join(work, `${c.tree}-${arch.name}-${c.base}`);
      const out = join(dir, 'out');
      await mkdir(out, { recursive: true });
      const kernelTree: KernelTree = {
        spec: { kind: 'path', path: tree },
        path: tree,
        version: c.tree,
        label: `debian-${c.tree}`,
        cacheKey: tree,
      };
      const req = { arch, toolchain: 'gcc' as const, tree: kernelTree, pins: [] };
      const first = planSteps({ ...req, base }, out).first;
      // A config-file base plans exactly kmatrix's olddefconfig step.
      const old = planSteps(
        { ...req, base: { kind: 'file', path: join(out, '.config') } },
        out,
      ).first;
      expect(old.args.at(-1)).toBe('olddefconfig');

      const traces = [
        await traced(first, join(dir, 'base.trace'), dir),
        await traced(old, join(dir, 'olddefconfig.trace'), dir),
      ];
      expect(traces.flatMap((t) => t.unresolved)).toEqual([]);
      expect(traces.flatMap((t) => t.cwdMismatches)).toEqual([]);
      const config = await readFile(join(out, '.config'), 'utf8');
      expect(config).toMatch(/^CONFIG_[A-Z0-9_]+=/m);

      const read = [
        ...treeFiles(
          traces.flatMap((t) => [...t.paths]),
          tree,
        ),
      ].sort();
      expect(read).toContain('Makefile');
      expect(read).toContain('Kconfig');
      expect(read).toContain(`arch/${arch.srcarch}/Kconfig`);
      expect(read).toContain('scripts/kconfig/conf.c');
      // the base's own config files: arch/<srcarch>/configs/* (defconfig), kernel/configs/* (tinyconfig)
      const configsDir =
        c.base === 'defconfig' ? `arch/${arch.srcarch}/configs/` : 'kernel/configs/';
      expect(read.filter((p) => p.startsWith(configsDir))).not.toEqual([]);
      expect(read.length).toBeGreaterThan(1000);

      const sourced = await sourcedIn(tree, arch);
      expect(sourced.size).toBeGreaterThan(0);
      const ctx = inputContext(arch, base, sourced);
      const missed = read.filter((p) => !isKconfigInput(p, ctx));
      expect(missed).toEqual([]);
    },
    180_000,
  );
});
