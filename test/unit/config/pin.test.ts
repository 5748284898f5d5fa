import { describe, expect, it } from 'vitest';
import { formatPinLine, parsePin, parsePins } from '../../../src/config/pin.js';

describe('parsePin', () => {
  it.each([
    ['CRASH_DUMP=y', 'CRASH_DUMP', 'y'],
    ['CONFIG_KEXEC=n', 'KEXEC', 'n'],
    ['CONFIG_FOO=m', 'FOO', 'm'],
    ['NR_CPUS=64', 'NR_CPUS', '64'],
    ['PHYSICAL_START=0x1000000', 'PHYSICAL_START', '0x1000000'],
    ['CMDLINE="console=ttyS0 quiet"', 'CMDLINE', '"console=ttyS0 quiet"'],
    ['# CONFIG_KEXEC is not set', 'KEXEC', 'n'],
    ['  KEXEC_FILE=y  ', 'KEXEC_FILE', 'y'],
  ])('%s -> %s=%s', (text, symbol, value) => {
    const r = parsePin(text, '--set');
    expect(r).toEqual({ ok: true, pin: { symbol, value, origin: '--set' } });
  });

  it.each([
    ['CRASH_DUMP', 'expected SYMBOL=VALUE'],
    ['=y', 'is not a Kconfig symbol name'],
    ['FOO=maybe', 'value "maybe" is not y, m, n'],
    ['FOO=y;rm -rf /', 'value "y;rm -rf /" is not y, m, n'],
    ['FOO BAR=y', 'symbol "FOO BAR" is not a Kconfig symbol name'],
    ['FOO="unterminated', 'value ""unterminated" is not'],
  ])('rejects %s', (text, message) => {
    const r = parsePin(text, '--set');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain(message);
      expect(r.message).toContain(`"${text}"`);
    }
  });
});

describe('parsePins', () => {
  it('reports every bad pin at once', () => {
    expect(() => parsePins(['A=y', 'B=maybe', 'C'], '--set')).toThrowError(/B=maybe[\s\S]*"C"/);
  });
  it('keeps the last value per symbol', () => {
    expect(
      parsePins(['A=y', 'B=n', 'CONFIG_A=m'], '--set').map((p) => `${p.symbol}=${p.value}`),
    ).toEqual(['B=n', 'A=m']);
  });
});

describe('formatPinLine', () => {
  it('writes .config syntax', () => {
    expect(formatPinLine({ symbol: 'KEXEC', value: 'n' })).toBe('# CONFIG_KEXEC is not set');
    expect(formatPinLine({ symbol: 'CRASH_DUMP', value: 'y' })).toBe('CONFIG_CRASH_DUMP=y');
  });
});
