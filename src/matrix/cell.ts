// A Cell: one source x arch x toolchain x config (x seed) of a matrix, with an id derived
// from what the cell does (not its name or position), so it is stable across runs and
// reorderings of the file, and history follows it.
import { createHash } from 'node:crypto';
import type { BuildTarget } from '../build/targets.js';
import type { Base } from '../config/base.js';
import type { Pin } from '../config/pin.js';
import type { ToolchainName } from '../toolchain/toolchains.js';

export interface Cell {
  /** 12 hex digits of a sha256 over the cell's content. */
  id: string;
  /** The source as written in the matrix file (debian:6.1, git:..., a path). */
  source: string;
  /** What the source resolves from: relative paths made absolute against the file. */
  sourceResolved: string;
  /** Canonical arch name (arches.ts). */
  arch: string;
  toolchain: ToolchainName;
  /** Config name from the matrix file. */
  config: string;
  /** Config name plus seed for randconfig: rand-crash@2. */
  variant: string;
  base: Base;
  /** Fragment pins first, then the config's pins (later wins per symbol). */
  pins: Pin[];
  /** false: config stage only. */
  build: boolean;
  targets: BuildTarget[];
  allowUnsatisfied: boolean;
  /** `solve: true`: kmatrix solve adds the extra pins that make the pins hold (src/run/solve-cell.ts). */
  solve?: boolean;
}

/** What a cell's id is computed from; names, origins and order are left out. */
export function cellIdentity(
  c: Omit<Cell, 'id' | 'config' | 'variant' | 'sourceResolved'>,
  baseFileHash?: string,
): string {
  const base =
    c.base.kind === 'randconfig'
      ? { kind: c.base.kind, seed: c.base.seed, probability: c.base.probability ?? null }
      : c.base.kind === 'file'
        ? { kind: 'file', content: baseFileHash ?? c.base.path }
        : { kind: c.base.kind };
  const pins = [...c.pins]
    .map((p) => [p.symbol, p.value] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify({
    v: 1,
    source: c.source,
    arch: c.arch,
    toolchain: c.toolchain,
    base,
    pins,
    build: c.build,
    targets: c.build ? [...c.targets].sort() : [],
    allowUnsatisfied: c.build ? c.allowUnsatisfied : false,
    // solve changes the config a cell tests (and so its outcome); absent, ids stay as they were
    ...(c.solve ? { solve: true } : {}),
  });
}

export function cellId(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 12);
}

/** One line for people: debian:6.1 arm tiny-crash-dump gcc */
export function cellLabel(c: Pick<Cell, 'source' | 'arch' | 'variant' | 'toolchain'>): string {
  return `${c.source} ${c.arch} ${c.variant} ${c.toolchain}`;
}
