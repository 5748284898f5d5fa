// Verification: compare each pin with the value conf actually wrote.
import type { Pin } from './pin.js';
import { effectiveValue, type ConfigValues } from './dotconfig.js';

export type PinStatus = 'holds' | 'overridden' | 'dropped' | 'unavailable';
export type ConfigVerdict = 'satisfied' | 'unsatisfied';

export interface PinResult {
  symbol: string;
  requested: string;
  effective: string;
  status: PinStatus;
  origin: string;
}

export interface SymbolLookup {
  /** Is the symbol defined in this tree's Kconfig for this arch? */
  isDefined(symbol: string): boolean;
}

export function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  const num = (s: string) =>
    /^-?\d+$/.test(s)
      ? BigInt(s)
      : /^0[xX][0-9a-fA-F]+$/.test(s)
        ? BigInt(s.toLowerCase())
        : undefined;
  const na = num(a);
  const nb = num(b);
  return na !== undefined && nb !== undefined && na === nb;
}

export function pinStatus(pin: Pin, values: ConfigValues, symbols: SymbolLookup): PinResult {
  const effective = effectiveValue(values, pin.symbol);
  const base = { symbol: pin.symbol, requested: pin.value, effective, origin: pin.origin };
  if (!symbols.isDefined(pin.symbol)) return { ...base, status: 'unavailable' };
  if (sameValue(pin.value, effective)) return { ...base, status: 'holds' };
  if (effective === 'n') return { ...base, status: 'dropped' };
  return { ...base, status: 'overridden' };
}

export function verifyPins(
  pins: readonly Pin[],
  values: ConfigValues,
  symbols: SymbolLookup,
): { verdict: ConfigVerdict; pins: PinResult[] } {
  const results = pins.map((p) => pinStatus(p, values, symbols));
  return {
    verdict: results.every((r) => r.status === 'holds') ? 'satisfied' : 'unsatisfied',
    pins: results,
  };
}
