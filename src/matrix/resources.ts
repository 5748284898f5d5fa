// What a cell needs from the machine that runs it (CPUs, memory, worker labels) and how urgent
// it is, as a matrix config says (`resources:`, `priority:`), with the defaults. Sizes are
// written as people write them (512M, 16G), powers of 1024 as free(1) and docker count.
import type { Cell } from './cell.js';

export const SIZE_ACCEPTED = 'a size such as 512M, 16G or 1.5T (K, M, G, T: powers of 1024)';
export const LABEL_ACCEPTED =
  'KEY=VALUE with letters, digits, ".", "_", "-" (and "/" in the value), e.g. arch=arm64';

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Bytes, or undefined when the text is not a size. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isSafeInteger(text) && text > 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (!m) return undefined;
  const bytes = Math.round(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** 2147483648 -> 2G, 1610612736 -> 1.5G. */
export function formatSize(bytes: number): string {
  for (const unit of ['T', 'G', 'M', 'K'] as const) {
    const n = bytes / UNITS[unit]!;
    if (n >= 1) return `${Number.isInteger(n) ? n : Number(n.toFixed(1))}${unit}`;
  }
  return `${bytes}B`;
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]*=[A-Za-z0-9._/-]+$/;

export function isLabel(text: string): boolean {
  return LABEL.test(text);
}

/** What one cell needs: a worker takes it only when these fit its free capacity and labels. */
export interface CellResources {
  cpus: number;
  memBytes: number;
  /** KEY=VALUE labels the worker must all have (sorted). */
  labels: string[];
}

/** Defaults: conf is single-threaded and small; a build gets make -j2 and 2 GiB. */
export const CONFIG_ONLY_RESOURCES: CellResources = {
  cpus: 1,
  memBytes: 512 * 2 ** 20,
  labels: [],
};
export const BUILD_RESOURCES: CellResources = { cpus: 2, memBytes: 2 * 2 ** 30, labels: [] };

/** A config's `resources:` block as the schema gives it. */
export interface ResourcesSpec {
  cpus?: number | undefined;
  mem?: string | number | undefined;
  labels?: readonly string[] | undefined;
}

export function cellResources(cell: Pick<Cell, 'build'>, spec?: ResourcesSpec): CellResources {
  const d = cell.build ? BUILD_RESOURCES : CONFIG_ONLY_RESOURCES;
  return {
    cpus: spec?.cpus ?? d.cpus,
    memBytes: spec?.mem !== undefined ? (parseSize(spec.mem) ?? d.memBytes) : d.memBytes,
    labels: [...new Set(spec?.labels ?? d.labels)].sort(),
  };
}

export function describeResources(r: CellResources): string {
  const labels = r.labels.length ? `, labels ${r.labels.join(' ')}` : '';
  return `${r.cpus} CPU${r.cpus === 1 ? '' : 's'}, ${formatSize(r.memBytes)}${labels}`;
}
