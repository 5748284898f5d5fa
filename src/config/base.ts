// The starting point of a config: a make target of the tree, randconfig with a seed, or a file.
import { KmatrixError } from '../core/errors.js';

export type Base =
  | { kind: 'defconfig' }
  | { kind: 'allnoconfig' }
  | { kind: 'tinyconfig' }
  | { kind: 'allmodconfig' }
  | { kind: 'allyesconfig' }
  | { kind: 'randconfig'; seed: string; probability?: string }
  | { kind: 'file'; path: string };

export const BASE_NAMES = [
  'defconfig',
  'allnoconfig',
  'tinyconfig',
  'allmodconfig',
  'allyesconfig',
  'randconfig',
] as const;
export const ACCEPTED_BASES = `${BASE_NAMES.join(', ')}, or a config file path (file:PATH or any path containing /)`;

function parseSeed(text: string): string {
  if (/^\d+$/.test(text) || /^0x[0-9a-fA-F]+$/.test(text)) {
    const n = BigInt(text);
    if (n <= 0xffffffffn) return text;
  }
  throw new KmatrixError(
    'usage',
    `bad --seed "${text}": expected a decimal or 0x hex number below 2^32 (KCONFIG_SEED)`,
  );
}

function parseProbability(text: string): string {
  // KCONFIG_PROBABILITY: N, N:M or N:M:L, each 0..100
  if (/^\d{1,3}(:\d{1,3}){0,2}$/.test(text) && text.split(':').every((p) => Number(p) <= 100))
    return text;
  throw new KmatrixError(
    'usage',
    `bad --probability "${text}": expected N, N:M or N:M:L with each number 0..100 (KCONFIG_PROBABILITY)`,
  );
}

export function parseBase(
  text: string,
  opts: { seed?: string; probability?: string; randomSeed: () => string },
): Base {
  const isFile = text.startsWith('file:') || text.includes('/');
  const name = text as (typeof BASE_NAMES)[number];
  if (!isFile && !BASE_NAMES.includes(name)) {
    throw new KmatrixError('bad-base', `unknown base "${text}"; expected ${ACCEPTED_BASES}`);
  }
  if (name !== 'randconfig' && opts.seed !== undefined) {
    throw new KmatrixError(
      'usage',
      `--seed ${opts.seed} only applies to --base randconfig (base is ${text})`,
    );
  }
  if (name !== 'randconfig' && opts.probability !== undefined) {
    throw new KmatrixError(
      'usage',
      `--probability only applies to --base randconfig (base is ${text})`,
    );
  }
  if (isFile) return { kind: 'file', path: text.replace(/^file:/, '') };
  if (name === 'randconfig') {
    const seed = parseSeed(opts.seed ?? opts.randomSeed());
    return opts.probability === undefined
      ? { kind: 'randconfig', seed }
      : { kind: 'randconfig', seed, probability: parseProbability(opts.probability) };
  }
  return { kind: name };
}

export function baseLabel(base: Base): string {
  switch (base.kind) {
    case 'file':
      return `file:${base.path}`;
    case 'randconfig':
      return `randconfig`;
    default:
      return base.kind;
  }
}
