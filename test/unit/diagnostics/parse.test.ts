import { describe, expect, it } from 'vitest';
import { messageSlug } from '../../../src/diagnostics/diagnostic.js';
import { parseBuildLog } from '../../../src/diagnostics/parse.js';

const strip = {
  stripPrefixes: ['/src', '/out', '/var/tmp/ktrees/linux-6.1', '/tmp/kmatrix-out/arm-tiny'],
};

describe('parseBuildLog: gcc', () => {
  const log = `  CC      drivers/ssb/main.o
/src/drivers/ssb/main.c: In function ‘ssb_bus_register’:
/src/drivers/ssb/main.c:3:13: warning: unused variable ‘unused’ [-Wunused-variable]
    3 |         int unused;
      |             ^~~~~~
/src/drivers/ssb/main.c: In function ‘ssb_exit’:
/src/drivers/ssb/main.c:10:32: error: ‘undeclared_thing’ undeclared (first use in this function)
   10 | void bar(void) { missing_fn(); undeclared_thing = 1; }
      |                                ^~~~~~~~~~~~~~~~
/src/drivers/ssb/main.c:10:32: note: each undeclared identifier is reported only once for each function it appears in
make[3]: *** [/src/scripts/Makefile.build:250: drivers/ssb/main.o] Error 1
make[2]: *** [/src/scripts/Makefile.build:500: drivers/ssb] Error 2
make[1]: *** [/src/Makefile:1992: .] Error 2
make: *** [Makefile:231: __sub-make] Error 2
`;
  const ds = parseBuildLog(log, strip);

  it('finds the compiler diagnostics with tree-relative file, line, column and function', () => {
    expect(ds.filter((d) => d.kind === 'compiler')).toEqual([
      {
        severity: 'warning',
        kind: 'compiler',
        file: 'drivers/ssb/main.c',
        line: 3,
        column: 13,
        message: 'unused variable ‘unused’ [-Wunused-variable]',
        function: 'ssb_bus_register',
        fingerprint: 'drivers-ssb-main.c:warning:unused-variable-unused',
      },
      {
        severity: 'error',
        kind: 'compiler',
        file: 'drivers/ssb/main.c',
        line: 10,
        column: 32,
        message: '‘undeclared_thing’ undeclared (first use in this function)',
        function: 'ssb_exit',
        fingerprint:
          'drivers-ssb-main.c:error:undeclared_thing-undeclared-first-use-in-this-function',
      },
    ]);
  });

  it('reports make failures with the target that failed', () => {
    const make = ds.filter((d) => d.kind === 'make');
    expect(make.map((d) => [d.file, d.message])).toEqual([
      ['drivers/ssb/main.o', 'Error 1'],
      ['drivers/ssb', 'Error 2'],
      ['.', 'Error 2'],
      ['__sub-make', 'Error 2'],
    ]);
  });

  it('keeps the fingerprint when only line numbers shift', () => {
    const moved = parseBuildLog(
      log.replace(/main\.c:10:32/g, 'main.c:57:9').replace(/main\.c:3:13/g, 'main.c:40:5'),
      strip,
    );
    expect(moved.map((d) => d.fingerprint)).toEqual(ds.map((d) => d.fingerprint));
    expect(moved.find((d) => d.severity === 'error' && d.kind === 'compiler')?.line).toBe(57);
  });

  it('matches the 0-day example', () => {
    const [d] = parseBuildLog(
      '/var/tmp/ktrees/linux-6.1/drivers/ssb/main.c:612:1: error: label at end of compound statement\n',
      strip,
    );
    expect(d?.fingerprint).toBe('drivers-ssb-main.c:error:label-at-end-of-compound-statement');
  });
});

describe('parseBuildLog: clang', () => {
  it('skips source and caret lines and reads [-Werror,...] errors', () => {
    const log = `/src/drivers/ssb/main.c:8:1: error: expected statement
}
^
/src/kernel/fork.c:100:6: error: variable 'x' set but not used [-Werror,-Wunused-but-set-variable]
        int x;
            ^
2 errors generated.
`;
    const ds = parseBuildLog(log, strip);
    expect(ds.map((d) => [d.file, d.line, d.column, d.severity, d.fingerprint])).toEqual([
      ['drivers/ssb/main.c', 8, 1, 'error', 'drivers-ssb-main.c:error:expected-statement'],
      ['kernel/fork.c', 100, 6, 'error', 'kernel-fork.c:error:variable-x-set-but-not-used'],
    ]);
  });

  it('reads ld.lld undefined symbols with the referencing file and function', () => {
    const log = `ld.lld: error: undefined symbol: missing_fn
>>> referenced by main.c:1003 (/src/init/main.c:1003)
>>>               init/main.o:(start_kernel) in archive vmlinux.a
`;
    expect(parseBuildLog(log, strip)).toEqual([
      {
        severity: 'error',
        kind: 'linker',
        file: 'init/main.c',
        line: 1003,
        message: 'undefined symbol: missing_fn',
        function: 'start_kernel',
        fingerprint: 'init-main.c:error:undefined-symbol-missing_fn',
      },
    ]);
  });
});

describe('parseBuildLog: binutils, modpost, kconfig', () => {
  it('reads GNU ld undefined references with the object from the in-function line', () => {
    const log = `  LD      vmlinux.o
arm-linux-gnueabi-ld: init/main.o: in function \`start_kernel':
main.c:(.init.text+0x1c8): undefined reference to \`missing_fn'
arm-linux-gnueabi-ld: main.c:(.init.text+0x2f0): undefined reference to \`missing_fn'
`;
    const ds = parseBuildLog(log, strip);
    expect(ds[0]).toEqual({
      severity: 'error',
      kind: 'linker',
      file: 'init/main.c',
      message: "undefined reference to 'missing_fn'",
      function: 'start_kernel',
      fingerprint: 'init-main.c:error:undefined-reference-to-missing_fn',
    });
    // the second reference differs only in its offset: same fingerprint
    expect(new Set(ds.map((d) => d.fingerprint)).size).toBe(1);
  });

  it('reads assembler errors', () => {
    const log = `/src/arch/arm/kernel/entry-common.S: Assembler messages:
/src/arch/arm/kernel/entry-common.S:42: Error: bad instruction \`foo r0,r1'
`;
    expect(parseBuildLog(log, strip)).toEqual([
      {
        severity: 'error',
        kind: 'assembler',
        file: 'arch/arm/kernel/entry-common.S',
        line: 42,
        message: "bad instruction `foo r0,r1'",
        fingerprint: 'arch-arm-kernel-entry-common.S:error:bad-instruction-foo-r0-r1',
      },
    ]);
  });

  it('reads modpost undefined symbols and section mismatches', () => {
    const log = `  MODPOST Module.symvers
ERROR: modpost: "ssb_bus_unregister" [drivers/net/b44.ko] undefined!
WARNING: modpost: vmlinux.o: section mismatch in reference: foo (section: .text) -> bar (section: .init.text)
make[2]: *** [/src/scripts/Makefile.modpost:126: Module.symvers] Error 1
`;
    const ds = parseBuildLog(log, strip);
    expect(ds.map((d) => [d.kind, d.severity, d.file, d.fingerprint])).toEqual([
      [
        'modpost',
        'error',
        'drivers/net/b44.ko',
        'drivers-net-b44.ko:error:ssb_bus_unregister-undefined',
      ],
      [
        'modpost',
        'warning',
        'vmlinux.o',
        'vmlinux.o:warning:section-mismatch-in-reference-foo-section-text-bar-section-init-text',
      ],
      ['make', 'error', 'Module.symvers', 'Module.symvers:error:error-1'],
    ]);
  });

  it('reads Kconfig warnings in both formats', () => {
    const log = `
WARNING: unmet direct dependencies detected for SND_SOC_MAX98357A
  Depends on [n]: SOUND [=y] && SND [=y] && SND_SOC [=y] && GPIOLIB [=n]
  Selected by [y]:
  - SND_SOC_INTEL_SOF_RT5682_MACH [=y] && SOUND [=y]
warning: (ARCH_FOO && BAR) selects BAZ which has unmet direct dependencies (QUX)
arch/arm/Kconfig:1234:warning: symbol value '' invalid for PHYS_OFFSET
.config:88:warning: override: reassigning to symbol SSB
`;
    const ds = parseBuildLog(log, strip);
    expect(ds.map((d) => [d.kind, d.file, d.line, d.fingerprint])).toEqual([
      [
        'kconfig',
        '',
        undefined,
        'kconfig:warning:unmet-direct-dependencies-detected-for-snd_soc_max98357a-selected-by-snd_soc_intel_sof_rt5682_mach',
      ],
      [
        'kconfig',
        '',
        undefined,
        'kconfig:warning:arch_foo-bar-selects-baz-which-has-unmet-direct-dependencies-qux',
      ],
      [
        'kconfig',
        'arch/arm/Kconfig',
        1234,
        'arch-arm-Kconfig:warning:symbol-value-invalid-for-phys_offset',
      ],
      ['kconfig', '.config', 88, '.config:warning:override-reassigning-to-symbol-ssb'],
    ]);
  });

  it('reads tool-level compiler errors without a file', () => {
    const ds = parseBuildLog(
      "arm-linux-gnueabi-gcc: error: unrecognized command-line option '-mfoo'\n",
      strip,
    );
    expect(ds).toEqual([
      {
        severity: 'error',
        kind: 'compiler',
        file: '',
        message: "unrecognized command-line option '-mfoo'",
        fingerprint: 'compiler:error:unrecognized-command-line-option-mfoo',
      },
    ]);
  });

  it('dedupes what parallel make prints twice and ignores ordinary output', () => {
    const line = '/src/kernel/fork.c:100:6: warning: unused variable ‘x’ [-Wunused-variable]\n';
    const ds = parseBuildLog(`  CC      kernel/fork.o\n${line}${line}  LD      vmlinux\n`, strip);
    expect(ds).toHaveLength(1);
  });
});

describe('parseBuildLog: old binutils and linker continuation lines', () => {
  it('takes the object file as the location under "x.o: In function" (binutils < 2.29)', () => {
    const log = `kernel/kexec_core.o: In function \`kimage_load_segment':
kexec_core.c:(.text+0x9a4): undefined reference to \`machine_kexec_prepare'
(.text+0xa10): undefined reference to \`machine_kexec_cleanup'
drivers/base/firmware.o:(.data+0x1c): undefined reference to \`fw_fallback_config'
`;
    expect(parseBuildLog(log).map((d) => [d.file, d.function, d.message, d.fingerprint])).toEqual([
      [
        'kernel/kexec_core.c',
        'kimage_load_segment',
        "undefined reference to 'machine_kexec_prepare'",
        'kernel-kexec_core.c:error:undefined-reference-to-machine_kexec_prepare',
      ],
      [
        'kernel/kexec_core.o',
        'kimage_load_segment',
        "undefined reference to 'machine_kexec_cleanup'",
        'kernel-kexec_core.o:error:undefined-reference-to-machine_kexec_cleanup',
      ],
      // names its own object: the function of another object's context does not apply
      [
        'drivers/base/firmware.o',
        undefined,
        "undefined reference to 'fw_fallback_config'",
        'drivers-base-firmware.o:error:undefined-reference-to-fw_fallback_config',
      ],
    ]);
  });

  it('attaches "more undefined references ... follow" to the previous problem', () => {
    const log = `ld: vmlinux.o: in function \`__crash_kexec':
kernel/crash_core.c:62: undefined reference to \`machine_crash_shutdown'
ld: vmlinux.o:kernel/crash_core.c:62: more undefined references to \`machine_crash_shutdown' follow
`;
    expect(parseBuildLog(log)).toEqual([
      {
        severity: 'error',
        kind: 'linker',
        file: 'kernel/crash_core.c',
        line: 62,
        message: "undefined reference to 'machine_crash_shutdown'",
        function: '__crash_kexec',
        fingerprint: 'kernel-crash_core.c:error:undefined-reference-to-machine_crash_shutdown',
      },
    ]);
  });

  it('reads a "more undefined references" line alone at its own location', () => {
    expect(
      parseBuildLog(
        "arm-linux-gnueabi-ld: drivers/foo.o:(.text+0x10): more undefined references to `bar' follow\n",
      ).map((d) => [d.file, d.line, d.message]),
    ).toEqual([['drivers/foo.o', undefined, "undefined reference to 'bar'"]]);
  });

  it('reads "file format not recognized" linker lines', () => {
    expect(
      parseBuildLog('ld: .tmp_vmlinux.btf: file not recognized: file format not recognized\n').map(
        (d) => [d.kind, d.severity, d.fingerprint],
      ),
    ).toEqual([
      [
        'linker',
        'error',
        'linker:error:tmp_vmlinux-btf-file-not-recognized-file-format-not-recognized',
      ],
    ]);
  });
});

describe('parseBuildLog: Kconfig unmet dependencies', () => {
  const fps = (log: string) => parseBuildLog(log).map((d) => d.message);

  it('gives one diagnostic per selector, for [y] and [m] selectors alike', () => {
    expect(
      fps(`WARNING: unmet direct dependencies detected for I2C_K1
  Depends on [n]: I2C [=m] && OF [=n]
  Selected by [y]:
  - MFD_A [=y] && I2C [=m]
  Selected by [m]:
  - MFD_B [=m]
`),
    ).toEqual([
      'unmet direct dependencies detected for I2C_K1 (selected by MFD_A)',
      'unmet direct dependencies detected for I2C_K1 (selected by MFD_B)',
    ]);
  });

  it('reads blocks whose lines were unindented (robot reports) and the pre-4.19 wording', () => {
    expect(
      fps(`WARNING: unmet direct dependencies detected for GET_FREE_REGION
Depends on [n]: SPARSEMEM [=n]
Selected by [y]:
- RESOURCE_KUNIT_TEST [=y] && KUNIT [=y]
WARNING: unmet direct dependencies detected for LOCKDEP
  Depends on DEBUG_KERNEL && LOCK_DEBUGGING_SUPPORT
  Selected by
  - LOCK_STAT && DEBUG_KERNEL
  - DEBUG_LOCK_ALLOC && DEBUG_KERNEL
kernel/fork.c:1:1: warning: after the block
`),
    ).toEqual([
      'unmet direct dependencies detected for GET_FREE_REGION (selected by RESOURCE_KUNIT_TEST)',
      'unmet direct dependencies detected for LOCKDEP (selected by LOCK_STAT)',
      'unmet direct dependencies detected for LOCKDEP (selected by DEBUG_LOCK_ALLOC)',
      'after the block',
    ]);
  });

  it("gives the kismet line and conf's block the same fingerprint", () => {
    const [kismet] = parseBuildLog(
      'kismet: WARNING: unmet direct dependencies detected for KEXEC when selected by CRASH_DUMP\n',
    );
    const [conf] = parseBuildLog(
      'WARNING: unmet direct dependencies detected for KEXEC\n  Depends on [n]: MMU [=n]\n  Selected by [y]:\n  - CRASH_DUMP [=y]\n',
    );
    expect(kismet?.fingerprint).toBe(conf?.fingerprint);
  });
});

describe('messageSlug', () => {
  it('drops warning flags, offsets and embedded positions, keeps identifiers', () => {
    expect(messageSlug('unused variable ‘foo_bar’ [-Wunused-variable]')).toBe(
      'unused-variable-foo_bar',
    );
    expect(messageSlug("undefined reference to `x' (.text+0x1c)")).toBe(
      'undefined-reference-to-x-text',
    );
    expect(messageSlug("previous definition of 'x' at foo.c:12:3")).toBe(
      'previous-definition-of-x-at-foo-c',
    );
  });
});

describe('linker lines with debug info', () => {
  it('keeps the line out of the file, so the fingerprint survives line shifts', () => {
    const at = (line: number) =>
      parseBuildLog(
        `arm-linux-gnueabi-ld: kernel/kallsyms.o: in function \`kallsyms_lookup':\nkernel/kallsyms.c:${line}:(.text+0x1c4): undefined reference to \`crash_notes'\n`,
      );
    const [a] = at(125);
    const [b] = at(140);
    expect(a).toMatchObject({ kind: 'linker', file: 'kernel/kallsyms.c', line: 125 });
    expect(b?.line).toBe(140);
    expect(a?.fingerprint).toBe(b?.fingerprint);
  });
});
