// One example per kind of log line in LINE_RULES: the example is read by its own rule (not an
// earlier one in the table) and yields what a developer expects to see.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { LINE_RULES, parseBuildLog } from '../../../src/diagnostics/parse.js';

interface Example {
  log: string;
  /** Which line of `log` the rule reads (default the first). */
  at?: number;
  yields: Partial<Diagnostic>[];
  /** Fields the diagnostics must not have. */
  absent?: (keyof Diagnostic)[];
}

const EXAMPLES: Record<string, Example> = {
  'gcc-in-function': {
    log: "kernel/fork.c: In function 'copy_process':\nkernel/fork.c:9:3: error: 'x' undeclared",
    yields: [{ file: 'kernel/fork.c', line: 9, function: 'copy_process' }],
  },
  'gcc-top-level': {
    log: "kernel/fork.c: In function 'f':\nkernel/fork.c: At top level:\nkernel/fork.c:9:3: warning: 'g' defined but not used",
    at: 1,
    yields: [{ file: 'kernel/fork.c', line: 9 }],
    absent: ['function'],
  },
  'make-error': {
    log: 'make[3]: *** [scripts/Makefile.build:250: kernel/fork.o] Error 1',
    yields: [{ kind: 'make', severity: 'error', file: 'kernel/fork.o', message: 'Error 1' }],
  },
  modpost: {
    log: 'ERROR: modpost: "ssb_bus_unregister" [drivers/net/b44.ko] undefined!',
    yields: [
      { kind: 'modpost', file: 'drivers/net/b44.ko', message: '"ssb_bus_unregister" undefined!' },
    ],
  },
  'kconfig-selects': {
    log: 'warning: (FOO && BAR) selects BAZ which has unmet direct dependencies (QUX)',
    yields: [{ kind: 'kconfig', file: '', severity: 'warning' }],
  },
  kismet: {
    log: 'kismet: WARNING: unmet direct dependencies detected for KEXEC when selected by CRASH_DUMP',
    yields: [
      {
        kind: 'kconfig',
        file: '',
        message: 'unmet direct dependencies detected for KEXEC (selected by CRASH_DUMP)',
        fingerprint:
          'kconfig:warning:unmet-direct-dependencies-detected-for-kexec-selected-by-crash_dump',
      },
    ],
  },
  'kconfig-unmet': {
    log: 'WARNING: unmet direct dependencies detected for KEXEC\n  Depends on [n]: MMU [=n]\n  Selected by [y]:\n  - CRASH_DUMP [=y]',
    yields: [
      {
        kind: 'kconfig',
        message: 'unmet direct dependencies detected for KEXEC (selected by CRASH_DUMP)',
      },
    ],
  },
  'kconfig-file': {
    log: ".config:88:warning: symbol value 'x' invalid for NR_CPUS",
    yields: [{ kind: 'kconfig', file: '.config', line: 88 }],
  },
  'ld-in-function': {
    log: "ld: kernel/crash_core.o: in function `f':\ncrash_core.c:(.text+0x4): undefined reference to `g'",
    yields: [{ kind: 'linker', file: 'kernel/crash_core.c', function: 'f' }],
  },
  'ld-undefined-reference': {
    log: "kernel/kexec_core.c:1043: undefined reference to `kexec_crash_image'",
    yields: [
      {
        kind: 'linker',
        file: 'kernel/kexec_core.c',
        line: 1043,
        message: "undefined reference to 'kexec_crash_image'",
      },
    ],
  },
  'ld-undefined-reference-no-file': {
    log: "kernel/kexec.o: In function `kexec_load':\n(.text+0x1c): undefined reference to `machine_kexec'",
    at: 1,
    yields: [
      {
        kind: 'linker',
        file: 'kernel/kexec.o',
        function: 'kexec_load',
        message: "undefined reference to 'machine_kexec'",
      },
    ],
  },
  'ld-more-undefined': {
    log: "ld: vmlinux.o:kernel/crash_core.c:77: more undefined references to `crash_notes' follow",
    yields: [
      {
        kind: 'linker',
        file: 'kernel/crash_core.c',
        line: 77,
        message: "undefined reference to 'crash_notes'",
      },
    ],
  },
  compiler: {
    log: "kernel/fork.c:100:6: warning: unused variable 'x' [-Wunused-variable]",
    yields: [{ kind: 'compiler', file: 'kernel/fork.c', line: 100, column: 6 }],
  },
  'compiler-no-column': {
    log: 'kernel/power/swap.c:1518: warning: Function parameter not described',
    yields: [{ kind: 'compiler', file: 'kernel/power/swap.c', line: 1518 }],
    absent: ['column'],
  },
  assembler: {
    log: "arch/arm/kernel/head.S:42: Error: bad instruction `foo r0'",
    yields: [{ kind: 'assembler', file: 'arch/arm/kernel/head.S', line: 42 }],
  },
  'compiler-driver': {
    log: "gcc-13: error: unrecognized command-line option '-mfoo'",
    yields: [{ kind: 'compiler', file: '' }],
  },
  'ld-other': {
    log: "arm-linux-gnueabi-ld: kernel/a.o: multiple definition of `x'; kernel/b.o: first defined here",
    yields: [{ kind: 'linker', file: 'kernel/a.o' }],
  },
};

describe('LINE_RULES', () => {
  it('has one example per rule, and no example without a rule', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(LINE_RULES.map((r) => r.kind).sort());
  });

  for (const rule of LINE_RULES) {
    it(`${rule.kind}: its example is read by this rule and yields what it should`, () => {
      const ex = EXAMPLES[rule.kind]!;
      const line = ex.log.split('\n')[ex.at ?? 0]!;
      expect(LINE_RULES.find((r) => r.pattern.test(line))?.kind).toBe(rule.kind);
      const got = parseBuildLog(ex.log);
      expect(got).toHaveLength(ex.yields.length);
      ex.yields.forEach((y, i) => expect(got[i]).toMatchObject(y));
      for (const d of got) for (const f of ex.absent ?? []) expect(d).not.toHaveProperty(f);
    });
  }
});
