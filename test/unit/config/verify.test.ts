import { describe, expect, it } from 'vitest';
import { parseDotConfig } from '../../../src/config/dotconfig.js';
import { verifyPins } from '../../../src/config/verify.js';
import type { Pin } from '../../../src/config/pin.js';

const pin = (symbol: string, value: string): Pin => ({ symbol, value, origin: '--set' });
const defined = (names: string[]) => ({ isDefined: (s: string) => names.includes(s) });

describe('verifyPins', () => {
  const values = parseDotConfig(
    'CONFIG_CRASH_DUMP=y\nCONFIG_KEXEC=y\nCONFIG_NR_CPUS=0x40\nCONFIG_BTRFS_FS=m\n',
  );
  const symbols = defined([
    'CRASH_DUMP',
    'KEXEC',
    'KEXEC_FILE',
    'NR_CPUS',
    'BTRFS_FS',
    'DEBUG_INFO',
  ]);

  it('classifies holds, overridden, dropped and unavailable', () => {
    const r = verifyPins(
      [
        pin('CRASH_DUMP', 'y'),
        pin('KEXEC', 'n'),
        pin('KEXEC_FILE', 'y'),
        pin('NO_SUCH', 'y'),
        pin('BTRFS_FS', 'y'),
      ],
      values,
      symbols,
    );
    expect(r.verdict).toBe('unsatisfied');
    expect(r.pins.map((p) => [p.symbol, p.requested, p.effective, p.status])).toEqual([
      ['CRASH_DUMP', 'y', 'y', 'holds'],
      ['KEXEC', 'n', 'y', 'overridden'],
      ['KEXEC_FILE', 'y', 'n', 'dropped'],
      ['NO_SUCH', 'y', 'n', 'unavailable'],
      ['BTRFS_FS', 'y', 'm', 'overridden'],
    ]);
  });

  it('is satisfied only when every pin holds; unset reads as n; numbers compare by value', () => {
    const r = verifyPins(
      [pin('CRASH_DUMP', 'y'), pin('DEBUG_INFO', 'n'), pin('NR_CPUS', '64')],
      values,
      symbols,
    );
    expect(r.pins.map((p) => p.status)).toEqual(['holds', 'holds', 'holds']);
    expect(r.verdict).toBe('satisfied');
  });
});
