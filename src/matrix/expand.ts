// Matrix expansion, pure: sources x architectures x toolchains x configs (x seeds), minus
// `exclude` rules, plus `include` rules, each cell with a content-derived id.
import { isAbsolute, resolve } from 'node:path';
import { findArch } from '../arch/arches.js';
import type { BuildTarget } from '../build/targets.js';
import type { Base } from '../config/base.js';
import { dedupePins, parsePin, type Pin } from '../config/pin.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import { cellId, cellIdentity, type Cell } from './cell.js';
import type { MatrixConfig, MatrixFile, MatrixRule } from './schema.js';

export interface ExpandContext {
  /** Directory of the matrix file: relative sources, fragments and base files resolve here. */
  dir: string;
  /** Pins of each fragment, by the path as written in the file. */
  fragments: ReadonlyMap<string, readonly Pin[]>;
  /** sha256 of each file base's content, by the path as written. */
  baseFiles: ReadonlyMap<string, string>;
}

export interface Expansion {
  cells: Cell[];
  /** Not errors: e.g. two configs that produce identical cells (kept once). */
  warnings: string[];
}

interface Variant {
  config: MatrixConfig;
  name: string;
  base: Base;
}

function seedsOf(c: MatrixConfig): string[] {
  if (c.seeds === undefined) return ['1'];
  if (typeof c.seeds === 'number') return Array.from({ length: c.seeds }, (_, i) => String(i + 1));
  return c.seeds.map(String);
}

function variantsOf(c: MatrixConfig): Variant[] {
  if (c.base === 'randconfig') {
    return seedsOf(c).map((seed) => ({
      config: c,
      name: `${c.name}@${seed}`,
      base: {
        kind: 'randconfig',
        seed,
        ...(c.probability !== undefined ? { probability: String(c.probability) } : {}),
      },
    }));
  }
  const base: Base =
    c.base.startsWith('file:') || c.base.includes('/')
      ? { kind: 'file', path: c.base.replace(/^file:/, '') }
      : ({ kind: c.base } as Base);
  return [{ config: c, name: c.name, base }];
}

const list = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

function archName(a: string): string {
  return findArch(a)?.name ?? a;
}

function matches(
  rule: MatrixRule,
  c: { source: string; arch: string; toolchain: string; config: string },
): boolean {
  const src = list(rule.source);
  const arch = list(rule.arch)?.map(archName);
  const tc = list(rule.toolchain);
  const cfg = list(rule.config);
  return (
    (!src || src.includes(c.source)) &&
    (!arch || arch.includes(c.arch)) &&
    (!tc || tc.includes(c.toolchain)) &&
    (!cfg || cfg.includes(c.config))
  );
}

export function expandMatrix(m: MatrixFile, ctx: ExpandContext): Expansion {
  const warnings: string[] = [];
  const configs = new Map(m.configs.map((c) => [c.name, c]));
  const arches = unique(m.architectures.map(archName));
  const tcs = unique(m.toolchains) as ToolchainName[];

  const make = (source: string, arch: string, toolchain: ToolchainName, v: Variant): Cell => {
    const c = v.config;
    const pins: Pin[] = [];
    for (const f of c.fragments) pins.push(...(ctx.fragments.get(f) ?? []));
    for (const p of c.pins) {
      const r = parsePin(p, `matrix config ${c.name}`);
      if (r.ok) pins.push(r.pin);
    }
    const base: Base =
      v.base.kind === 'file' ? { kind: 'file', path: resolvePath(ctx.dir, v.base.path) } : v.base;
    const body = {
      source,
      sourceResolved: resolveSource(ctx.dir, source),
      arch,
      toolchain,
      config: c.name,
      variant: v.name,
      base,
      pins: dedupePins(pins),
      build: c.build,
      targets: (c.targets ?? m.targets) as BuildTarget[],
      allowUnsatisfied: c.allow_unsatisfied,
      ...(c.solve ? { solve: true } : {}),
    };
    const fileHash = v.base.kind === 'file' ? ctx.baseFiles.get(v.base.path) : undefined;
    return { id: cellId(cellIdentity(body, fileHash)), ...body };
  };

  const out: Cell[] = [];
  const byId = new Map<string, Cell>();
  const add = (cell: Cell) => {
    const seen = byId.get(cell.id);
    if (seen) {
      if (seen.variant !== cell.variant)
        warnings.push(
          `configs ${seen.variant} and ${cell.variant} give identical cells for ${cell.source} ${cell.arch} ${cell.toolchain}; kept ${seen.variant}`,
        );
      return;
    }
    byId.set(cell.id, cell);
    out.push(cell);
  };

  for (const source of m.sources)
    for (const c of m.configs)
      for (const v of variantsOf(c))
        for (const arch of arches)
          for (const tc of tcs) {
            const key = { source, arch, toolchain: tc, config: c.name };
            if (m.exclude.some((r) => matches(r, key))) continue;
            add(make(source, arch, tc, v));
          }

  for (const rule of m.include) {
    const srcs = list(rule.source) ?? m.sources;
    const ars = unique((list(rule.arch) ?? arches).map(archName));
    const ts = (list(rule.toolchain) ?? tcs) as ToolchainName[];
    const cfgs = (list(rule.config) ?? [...configs.keys()]).map((n) => configs.get(n)!);
    for (const source of srcs)
      for (const c of cfgs)
        for (const v of variantsOf(c))
          for (const arch of ars) for (const tc of ts) add(make(source, arch, tc, v));
  }
  return { cells: out, warnings };
}

function unique<T>(xs: readonly T[]): T[] {
  return xs.filter((x, i) => xs.indexOf(x) === i);
}

function resolvePath(dir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(dir, p);
}

/** Relative path sources are relative to the matrix file; git: repos too. */
export function resolveSource(dir: string, source: string): string {
  if (source.startsWith('debian:')) return source;
  if (source.startsWith('git:')) {
    const rest = source.slice(4);
    const at = rest.lastIndexOf('@');
    const repo = rest.slice(0, at);
    // A URL (file://, https://) is fetched, not a path relative to the matrix file.
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return source;
    return `git:${resolvePath(dir, repo)}${rest.slice(at)}`;
  }
  return resolvePath(dir, source);
}
