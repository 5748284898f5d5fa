// .config files and fragments: parse into symbol -> value, and merge pins into one
// the way scripts/kconfig/merge_config.sh does (a later value replaces the earlier line).
import { printable } from '../core/text.js';
import type { Pin } from './pin.js';
import { formatPinLine, normalizeValue } from './pin.js';

export type ConfigValues = Map<string, string>;

export interface ConfigLine {
  symbol: string;
  value: string;
  line: number;
}

const SET = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const NOT_SET = /^# CONFIG_([A-Za-z0-9_]+) is not set$/;

/** Each assignment in a .config or fragment, with its line number; other lines are ignored. */
export function parseConfigLines(text: string): ConfigLine[] {
  const out: ConfigLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = (lines[i] ?? '').trim();
    const set = SET.exec(l);
    if (set?.[1] !== undefined && set[2] !== undefined) {
      out.push({ symbol: set[1], value: set[2], line: i + 1 });
      continue;
    }
    const ns = NOT_SET.exec(l);
    if (ns?.[1]) out.push({ symbol: ns[1], value: 'n', line: i + 1 });
  }
  return out;
}

/** symbol -> value (n for "is not set"); a symbol absent from the map is unset. */
export function parseDotConfig(text: string): ConfigValues {
  const values: ConfigValues = new Map();
  for (const l of parseConfigLines(text)) values.set(l.symbol, l.value);
  return values;
}

/** Effective value of a symbol: unset reads as n. */
export function effectiveValue(values: ConfigValues, symbol: string): string {
  return values.get(symbol) ?? 'n';
}

/** Problems in a fragment: lines that look like assignments but are not valid ones. */
export function fragmentProblems(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (l === '' || (l.startsWith('#') && !NOT_SET.test(l) && !/^#\s*CONFIG_/.test(l))) return;
    const set = SET.exec(l);
    if (NOT_SET.test(l)) return;
    if (set?.[2] !== undefined && normalizeValue(set[2]) !== undefined) return;
    out.push({ line: i + 1, text: raw });
  });
  return out;
}

/**
 * The same check for a whole .config (a base file, --config, config-bisect's endpoints): one
 * message per line that is neither blank, a comment, nor a valid assignment, the first 20.
 */
export function configFileProblems(text: string, shown: string): string[] {
  const bad = fragmentProblems(text);
  const out = bad
    .slice(0, 20)
    .map(
      (p) =>
        `${printable(shown)}:${p.line}: "${printable(p.text.trim(), 120)}" is not CONFIG_SYMBOL=VALUE, "# CONFIG_SYMBOL is not set" or a comment`,
    );
  if (bad.length > 20) out.push(`${printable(shown)}: ... and ${bad.length - 20} more such lines`);
  return out;
}

/** Replace or append each pin's line in a .config text (merge_config.sh -m semantics). */
export function mergePins(configText: string, pins: readonly Pin[]): string {
  const wanted = new Map(pins.map((p) => [p.symbol, p]));
  const kept = configText.split('\n').filter((raw) => {
    const l = raw.trim();
    const sym = SET.exec(l)?.[1] ?? NOT_SET.exec(l)?.[1];
    return sym === undefined || !wanted.has(sym);
  });
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  return [...kept, ...pins.map(formatPinLine)].join('\n') + '\n';
}
