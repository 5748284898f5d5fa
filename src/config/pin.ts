// Pins: the values a user asks Kconfig for (`CRASH_DUMP=y`, `CONFIG_KEXEC=n`,
// `# CONFIG_KEXEC is not set`), parsed and checked purely.
import { KmatrixError } from '../core/errors.js';
import { printable } from '../core/text.js';

export interface Pin {
  /** Symbol name without the CONFIG_ prefix. */
  symbol: string;
  /** Value as .config writes it: y, m, n, 123, 0x1f, "text". */
  value: string;
  /** Where the pin came from, for messages: `--set`, `fragment foo.config:3`. */
  origin: string;
}

const SYMBOL = /^[A-Za-z0-9_]+$/;
export const ACCEPTED_VALUES =
  'y, m, n, a decimal or 0x hex number, or a "double-quoted string" (one line)';

export type PinParse = { ok: true; pin: Pin } | { ok: false; message: string };

/** Parse one pin; failures are values so a caller can collect all of them. */
export function parsePin(text: string, origin: string): PinParse {
  const raw = text.trim();
  const notSet = /^#\s*CONFIG_([A-Za-z0-9_]+)\s+is not set$/.exec(raw);
  if (notSet?.[1]) return { ok: true, pin: { symbol: notSet[1], value: 'n', origin } };
  const eq = raw.indexOf('=');
  if (eq < 0) {
    return {
      ok: false,
      message: `bad pin "${printable(text)}" (${origin}): expected SYMBOL=VALUE, CONFIG_SYMBOL=VALUE or "# CONFIG_SYMBOL is not set"`,
    };
  }
  const name = raw
    .slice(0, eq)
    .trim()
    .replace(/^CONFIG_/, '');
  const value = raw.slice(eq + 1).trim();
  if (name === '' || !SYMBOL.test(name)) {
    return {
      ok: false,
      message: `bad pin "${printable(text)}" (${origin}): symbol "${printable(raw.slice(0, eq))}" is not a Kconfig symbol name (letters, digits and _)`,
    };
  }
  const v = normalizeValue(value);
  if (v === undefined) {
    return {
      ok: false,
      message: `bad pin "${printable(text)}" (${origin}): value "${printable(value)}" is not ${ACCEPTED_VALUES}`,
    };
  }
  return { ok: true, pin: { symbol: name, value: v, origin } };
}

/** Canonical .config spelling of a value, or undefined if it is not a Kconfig value. */
export function normalizeValue(value: string): string | undefined {
  if (value === 'y' || value === 'm' || value === 'n') return value;
  if (/^-?\d+$/.test(value)) return value;
  if (/^0[xX][0-9a-fA-F]+$/.test(value)) return value;
  // A string stays on its line: no newline or other control character (a tab is fine).
  // eslint-disable-next-line no-control-regex
  if (/^"(?:[^"\\\u0000-\u0008\u000a-\u001f\u007f]|\\[^\u0000-\u001f\u007f])*"$/.test(value))
    return value;
  return undefined;
}

/** Parse many pins, collecting every problem before failing. Later pins for a symbol win. */
export function parsePins(texts: readonly string[], origin: string): Pin[] {
  const pins: Pin[] = [];
  const problems: string[] = [];
  for (const t of texts) {
    const r = parsePin(t, origin);
    if (r.ok) pins.push(r.pin);
    else problems.push(r.message);
  }
  if (problems.length > 0) {
    throw new KmatrixError('bad-pin', problems.join('\n'));
  }
  return dedupePins(pins);
}

/** Keep the last pin for each symbol, in first-seen order. */
export function dedupePins(pins: readonly Pin[]): Pin[] {
  const bySymbol = new Map<string, Pin>();
  for (const p of pins) {
    bySymbol.delete(p.symbol);
    bySymbol.set(p.symbol, p);
  }
  return [...bySymbol.values()];
}

export function formatPinLine(pin: Pick<Pin, 'symbol' | 'value'>): string {
  return pin.value === 'n'
    ? `# CONFIG_${pin.symbol} is not set`
    : `CONFIG_${pin.symbol}=${pin.value}`;
}
