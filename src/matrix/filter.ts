// `--filter`: choosing a subset of a matrix's cells. A filter is comma-separated terms that
// must all hold; a term is KEY=VALUE (VALUE may list alternatives with | and use * globs)
// or a bare cell-id prefix. Several --filter options select the union.
import { KmatrixError } from '../core/errors.js';
import type { Cell } from './cell.js';

const FILTER_KEYS = [
  'id',
  'source',
  'arch',
  'toolchain',
  'config',
  'variant',
  'base',
  'build',
] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

export interface FilterTerm {
  key: FilterKey;
  patterns: RegExp[];
}
export type CellFilter = FilterTerm[];

function glob(text: string, prefix: boolean): RegExp {
  const body = text.replace(/[.+?^${}()[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${body}${prefix ? '' : '$'}`);
}

export function parseFilter(text: string): CellFilter {
  const terms: CellFilter = [];
  const bad: string[] = [];
  for (const raw of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = raw.indexOf('=');
    if (eq < 0) {
      if (/^[0-9a-f]{1,12}$/.test(raw)) terms.push({ key: 'id', patterns: [glob(raw, true)] });
      else bad.push(`"${raw}" is neither KEY=VALUE nor a cell id prefix (hex)`);
      continue;
    }
    const key = raw.slice(0, eq).trim() as FilterKey;
    const value = raw.slice(eq + 1).trim();
    if (!(FILTER_KEYS as readonly string[]).includes(key)) {
      bad.push(`unknown key "${key}" (accepted: ${FILTER_KEYS.join(', ')})`);
      continue;
    }
    if (value === '') {
      bad.push(`"${raw}" has no value`);
      continue;
    }
    terms.push({ key, patterns: value.split('|').map((v) => glob(v, key === 'id')) });
  }
  if (bad.length || terms.length === 0)
    throw new KmatrixError(
      'usage',
      `bad --filter ${JSON.stringify(text)}${bad.length ? `: ${bad.join('; ')}` : ''}`,
      'syntax: KEY=VALUE[,KEY=VALUE...] with KEY one of ' +
        `${FILTER_KEYS.join(', ')}; VALUE may be A|B and use *; a bare hex word is a cell id prefix`,
    );
  return terms;
}

function field(c: Cell, key: FilterKey): string[] {
  switch (key) {
    case 'id':
      return [c.id];
    case 'source':
      return [c.source];
    case 'arch':
      return [c.arch];
    case 'toolchain':
      return [c.toolchain];
    case 'config':
      return [c.config];
    case 'variant':
      return [c.variant];
    case 'base':
      return [c.base.kind];
    case 'build':
      return [String(c.build)];
  }
}

function matchesFilter(c: Cell, f: CellFilter): boolean {
  return f.every((t) => field(c, t.key).some((v) => t.patterns.some((p) => p.test(v))));
}

/** Cells matching any of the filters (all cells when there are none). */
export function applyFilters(cells: readonly Cell[], filters: readonly CellFilter[]): Cell[] {
  if (filters.length === 0) return [...cells];
  return cells.filter((c) => filters.some((f) => matchesFilter(c, f)));
}
