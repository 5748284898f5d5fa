// The smallest config for a kismet pair, planned on in-memory Kconfig trees: the selector on
// (with its own dependencies), the selectee's dependencies off, the cheapest way each time.
import { describe, expect, it } from 'vitest';
import { kismetConfig } from '../../../src/repro/kismet.js';
import { model } from '../kconfig/helpers.js';

const pins = (r: { pins: { symbol: string; value: string }[] }) =>
  r.pins.map((p) => `${p.symbol}=${p.value}`).sort();

// arm's KEXEC as in 6.1, and a CRASH_DUMP that selects it (the 6.6 consolidation)
const ARM = [
  'config MMU',
  '\tbool "MMU"',
  '\tdefault y',
  'config HAVE_SMP',
  '\tbool',
  'config CPU_V7',
  '\tbool "v7"',
  '\tselect HAVE_SMP',
  'config SMP',
  '\tbool "SMP"',
  '\tdepends on CPU_V7 && HAVE_SMP && MMU',
  'config PM_SLEEP',
  '\tbool "sleep"',
  'config PM_SLEEP_SMP',
  '\tdef_bool y',
  '\tdepends on SMP && PM_SLEEP',
  'config KEXEC',
  '\tbool "kexec"',
  '\tdepends on (!SMP || PM_SLEEP_SMP)',
  '\tdepends on MMU',
  'config PROC_FS',
  '\tbool "proc"',
  'config ARCH_SUPPORTS_CRASH_DUMP',
  '\tdef_bool y',
  'config CRASH_DUMP',
  '\tbool "crash dump"',
  '\tdepends on ARCH_SUPPORTS_CRASH_DUMP && PROC_FS',
  '\tselect KEXEC',
].join('\n');

describe('kismetConfig', () => {
  it('turns the selector and its prompts on and takes the cheapest way to unmet dependencies', () => {
    const r = kismetConfig(model(ARM, { modules: false }), 'KEXEC', 'CRASH_DUMP');
    // MMU=n costs one pin; SMP=y with PM_SLEEP_SMP=n would cost three (SMP, CPU_V7, ...)
    expect(pins(r)).toEqual(['CRASH_DUMP=y', 'MMU=n', 'PROC_FS=y']);
    expect(r.notes).toEqual([]);
  });

  it('goes the long way when the short one is needed by the selector', () => {
    const text = ARM.replace('depends on ARCH_SUPPORTS_CRASH_DUMP && PROC_FS', 'depends on MMU');
    const r = kismetConfig(model(text, { modules: false }), 'KEXEC', 'CRASH_DUMP');
    expect(pins(r)).toEqual(['CPU_V7=y', 'CRASH_DUMP=y', 'MMU=y', 'PM_SLEEP=n', 'SMP=y']);
  });

  it("meets the select's own condition and reaches symbols without a prompt through selects", () => {
    const text = [
      'config ARCH_HAS_X',
      '\tbool',
      'config BOARD',
      '\tbool "board"',
      '\tselect ARCH_HAS_X',
      'config NEEDS_FOO',
      '\tbool "needs foo"',
      'config FOO',
      '\tbool',
      '\tdepends on NEEDS_FOO',
      'config USER',
      '\tbool "user"',
      '\tdepends on ARCH_HAS_X',
      '\tselect FOO if BOARD',
    ].join('\n');
    const r = kismetConfig(model(text, { modules: false }), 'FOO', 'USER');
    expect(pins(r)).toEqual(['BOARD=y', 'NEEDS_FOO=n', 'USER=y']);
  });

  it('says what it could not arrange', () => {
    const text = ['config A', '\tbool "a"', '\tselect B', 'config B', '\tbool'].join('\n');
    expect(kismetConfig(model(text, { modules: false }), 'B', 'A').notes).toEqual([
      'B has no "depends on": conf cannot warn about it',
    ]);
    expect(kismetConfig(model(text, { modules: false }), 'B', 'NOPE').notes).toEqual([
      "NOPE is not defined in this arch's Kconfig",
    ]);
    const forced = [
      'config A',
      '\tdef_bool y',
      '\tselect B',
      'config B',
      '\tbool',
      '\tdepends on A',
    ];
    expect(kismetConfig(model(forced.join('\n'), { modules: false }), 'B', 'A').notes).toEqual([
      "found no way to leave B's dependencies unmet",
    ]);
  });
});
