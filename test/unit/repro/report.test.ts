// Robot report texts in the formats the 0-day robot has used (2019-2025; quoted and not;
// gcc and clang; W=1 and sparse) read into the right fields.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../../src/diagnostics/diagnostic.js';
import { parseBuildLog } from '../../../src/diagnostics/parse.js';
import {
  addReproduceFile,
  parseMakeLine,
  parseReport,
  reportCommit,
  reportGoals,
  reportMakeVars,
  splitWords,
  unquote,
} from '../../../src/repro/report.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/reports', name), 'utf8');

describe('parseReport: older reports (2019-2020)', () => {
  it('reads the tree/head/commit/config/compiler/reproduce block and the errors (gcc, attached config)', () => {
    const r = parseReport(fixture('2019-gcc-arm-attached.txt'));
    expect(r.quoteDepth).toBe(0);
    expect(r.tree).toEqual({
      url: 'https://git.kernel.org/pub/scm/linux/kernel/git/next/linux-next.git',
      branch: 'master',
    });
    expect(r.head).toBe('5d0cfbb3e4c2b21a8a2cf2e1d9b1e5f7a8c90d12');
    expect(r.commit).toEqual({
      sha: '8f3a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c',
      subject: 'kexec: move crash core helpers into crash_core.c',
    });
    expect(r.config).toEqual({ name: 'arm-allnoconfig', attached: true });
    expect(r.compiler).toEqual({
      text: 'arm-linux-gnueabi-gcc (GCC) 7.4.0',
      family: 'gcc',
      version: '7.4.0',
    });
    expect(r.makeLines).toHaveLength(1);
    expect(r.makeLines[0]).toMatchObject({
      env: { GCC_VERSION: '7.4.0' },
      command: 'make.cross',
      vars: [{ name: 'ARCH', value: 'arm' }],
      goals: [],
    });
    expect(r.checkout).toBe('8f3a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c');
    expect(r.reportedBy).toBe('kbuild test robot <lkp@intel.com>');
    expect(r.issues.map((i) => [i.file, i.line, i.severity, i.kind, i.new])).toEqual([
      ['kernel/crash_core.c', 412, 'error', 'compiler', true],
      ['kernel/kexec_core.c', undefined, 'error', 'linker', true],
    ]);
    expect(r.issues[0]!.function).toBe('crash_save_vmcoreinfo');
    expect(r.issues[1]!.message).toBe("undefined reference to 'crash_update_vmcoreinfo_safecopy'");
    expect(r.missing).toEqual([]);
  });

  it('unquotes a "> " reply with a clang report, keeps ">>" and reads files split by "--"', () => {
    const r = parseReport(fixture('2020-clang-arm-quoted.txt'));
    expect(r.quoteDepth).toBe(1);
    expect(r.config).toEqual({ name: 'arm-randconfig-r013-20200913', attached: true });
    expect(r.compiler).toMatchObject({ family: 'clang', version: '12.0.0' });
    expect(r.base).toEqual({
      url: 'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git',
      ref: 'master',
    });
    expect(r.makeLines[0]!.env).toEqual({ COMPILER_INSTALL_PATH: '$HOME/0day', COMPILER: 'clang' });
    expect(r.issues.map((i) => `${i.new ? '>>' : '  '} ${i.file}:${i.line} ${i.severity}`)).toEqual(
      [
        '   kernel/crash_core.c:60 warning',
        '>> kernel/crash_core.c:88 error',
        '>> kernel/kexec_file.c:321 error',
      ],
    );
    // no commit: line; the checkout step repeated after the errors names it
    expect(r.commit).toBeUndefined();
    expect(reportCommit(r)).toBe('ce13d03d29ab9ef7c6236ddfbd25ef4ea78dccff');
    expect(r.missing).toEqual([]);
  });
});

describe('parseReport: W=1 make.cross reports (2021-2022)', () => {
  it('reads make variables, the olddefconfig and build lines, goals and the Link: tag', () => {
    const r = parseReport(fixture('2022-gcc-arm-make-cross-dir.txt'));
    expect(r.w1Build).toBe(true);
    expect(r.config).toEqual({
      name: 'arm-randconfig-001-20221120',
      link: 'https://download.01.org/0day-ci/archive/20221120/202211201234.abcdEFGh-lkp@intel.com/config',
      attached: false,
    });
    expect(r.compiler).toMatchObject({ family: 'gcc', version: '12.1.0' });
    expect(r.makeLines.map((m) => m.goals)).toEqual([['olddefconfig'], ['kernel/']]);
    expect(reportGoals(r)).toEqual(['kernel/']);
    expect(reportMakeVars(r).map((v) => `${v.name}=${v.value}`)).toEqual([
      'W=1',
      'O=build_dir',
      'ARCH=arm',
      'SHELL=/bin/bash',
    ]);
    expect(reportCommit(r)).toBe('2b7ccb3f0ad3b1a2c4d6e8f0a1b3c5d7e9f1a2b4');
    expect(r.date).toBe('3 weeks ago');
    expect(r.closes).toBe(
      'https://lore.kernel.org/oe-kbuild-all/202211201234.abcdEFGh-lkp@intel.com/',
    );
    expect(r.issues.map((i) => [i.file, i.line, i.column, i.severity, i.new])).toEqual([
      ['kernel/crash_core.c', 123, 5, 'error', true],
      ['kernel/crash_core.c', 350, 6, 'warning', false],
    ]);
  });

  it('reads sparse warnings (C=1) as sparse complaints, new ones flagged, details folded', () => {
    const r = parseReport(fixture('2022-gcc-sparse-i386.txt'));
    expect(reportMakeVars(r).map((v) => `${v.name}=${v.value}`)).toContain(
      'CF=-fdiagnostic-prefix -D__CHECK_ENDIAN__',
    );
    expect(r.issues).toHaveLength(2);
    expect(r.issues[0]).toMatchObject({
      file: 'kernel/crash_core.c',
      line: 41,
      column: 15,
      severity: 'warning',
      message: "symbol 'crash_notes_size' was not declared. Should it be static?",
      new: true,
      section: 'sparse',
      tool: 'sparse',
    });
    expect(r.issues[1]!.new).toBe(false);
  });
});

describe('parseReport: recent reports (2023-2025)', () => {
  it('reads url/base/patch link, the W=1 reproduce link, Closes: and linker errors in vmlinux.o', () => {
    const r = parseReport(fixture('2023-gcc13-x86-w1-closes.txt'));
    expect(r.w1Build).toBe(true);
    expect(r.reproduceLink).toBe(
      'https://download.01.org/0day-ci/archive/20231120/202311201818.xyzWQ12a-lkp@intel.com/reproduce',
    );
    expect(r.compiler).toEqual({
      text: 'gcc-13 (Ubuntu 13.2.0-4ubuntu3) 13.2.0',
      family: 'gcc',
      version: '13.2.0',
    });
    expect(r.patchSubject).toBe(
      '[PATCH v2 2/7] crash: split crash dumping code out of kexec_core.c',
    );
    expect(r.closes).toBe(
      'https://lore.kernel.org/oe-kbuild-all/202311201818.xyzWQ12a-lkp@intel.com/',
    );
    expect(r.issues.map((i) => [i.file, i.line, i.kind, i.function, i.new])).toEqual([
      ['kernel/crash_core.c', 62, 'linker', '__crash_kexec', true],
      ['kernel/kexec_core.c', 1043, 'linker', 'kexec_crash_loaded', false],
    ]);
    expect(reportMakeVars(r)).toEqual([
      { name: 'W', value: '1', from: 'reproduce (this is a W=1 build)' },
    ]);
    expect(r.missing).toEqual([
      'commit (no "commit:", "head:", "base: <sha>" or git checkout)',
      `make command lines (behind the reproduce link ${r.reproduceLink})`,
    ]);
  });

  it('reads a quoted clang 19 warnings report with a sha base', () => {
    const r = parseReport(fixture('2025-clang19-arm64-quoted-warnings.txt'));
    expect(r.quoteDepth).toBe(1);
    expect(r.base).toEqual({ sha: '4701f33a10702d5fc577c32434eb62adde0a1ae1' });
    expect(reportCommit(r)).toBe('4701f33a10702d5fc577c32434eb62adde0a1ae1');
    expect(r.compiler).toMatchObject({ family: 'clang', version: '19.1.7' });
    expect(r.config?.name).toBe('arm64-randconfig-002-20250313');
    expect(r.issues.map((i) => [i.line, i.severity, i.section, i.new])).toEqual([
      [102, 'warning', 'warnings', true],
      [131, 'warning', 'warnings', false],
    ]);
    // "[-Wmissing-prototypes]" is not part of the fingerprint
    expect(r.issues[0]!.fingerprint).toBe(
      'kernel-crash_dump_dm_crypt.c:warning:no-previous-prototype-for-function-crash_load_dm_crypt_keys',
    );
  });

  it('reads the same report quoted twice as unquoted', () => {
    const text = fixture('2022-gcc-arm-make-cross-dir.txt');
    const twice = text
      .split('\n')
      .map((l) => `> > ${l}`)
      .join('\n');
    const a = parseReport(text);
    const b = parseReport(twice);
    expect(b.quoteDepth).toBe(2);
    expect({ ...b, quoteDepth: 0 }).toEqual(a);
  });
});

describe('linker complaints', () => {
  it('reads binutils basename lines with the object path, and ld.lld undefined symbols', () => {
    const r = parseReport(`config: arm-randconfig-004-20250716 (https://x/config)
compiler: arm-linux-gnueabi-gcc (GCC) 8.5.0

All errors (new ones prefixed by >>):

   arm-linux-gnueabi-ld: drivers/phy/rockchip/phy-rockchip-typec.o: in function \`tcphy_orien_sw_set':
>> phy-rockchip-typec.c:(.text.tcphy_orien_sw_set+0x4): undefined reference to \`typec_switch_get_drvdata'
>> ld.lld: error: undefined symbol: kexec_crash_image
   >>> referenced by kexec_core.c:1043 (kernel/kexec_core.c:1043)
   >>>               kernel/kexec_core.o:(kexec_crash_loaded) in archive vmlinux.a
`);
    expect(r.issues.map((i) => [i.file, i.line, i.message, i.function, i.new])).toEqual([
      [
        'drivers/phy/rockchip/phy-rockchip-typec.c',
        undefined,
        "undefined reference to 'typec_switch_get_drvdata'",
        'tcphy_orien_sw_set',
        true,
      ],
      [
        'kernel/kexec_core.c',
        1043,
        'undefined symbol: kexec_crash_image',
        'kexec_crash_loaded',
        true,
      ],
    ]);
    expect(r.unparsed).toEqual([]);
  });
});

describe('parseReport: layouts added for issue 15', () => {
  it('reads both-marker sections: ">>" new, "<<" old; make lines dropped when something specific is there', () => {
    const r = parseReport(fixture('2021-gcc-arm-both-markers.txt'));
    expect(r.issues.map((i) => [i.section, i.file, i.line, i.severity, i.new])).toEqual([
      ['errors', 'kernel/crash_core.c', 640, 'error', true],
      ['errors', 'kernel/crash_core.c', 31, 'error', false],
      ['kconfig', '', undefined, 'warning', false],
    ]);
    // the "<<" marker is not part of the file name
    expect(r.issues[1]!.fingerprint).toBe(
      'kernel-crash_core.c:error:crash_notes_size-defined-but-not-used',
    );
    expect(r.issues[2]).toMatchObject({
      kind: 'kconfig',
      tool: 'kconfig',
      message: 'unmet direct dependencies detected for KEXEC_CORE (selected by CRASH_DUMP)',
    });
    expect(r.unparsed).toEqual([]);
  });

  it('reads "base: URL <sha>" as a commit fallback and the reproduce block\'s remote', () => {
    const r = parseReport(fixture('2021-gcc-arm-both-markers.txt'));
    expect(r.base).toEqual({
      url: 'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git',
      sha: '6880fa6c56601bb8ed59df6c30fd390cc5f6dd8f',
    });
    expect(r.remote).toEqual({
      name: 'linux-review',
      url: 'https://github.com/0day-ci/linux',
      ref: 'Eric-DeVolder/crash-hotplug-support/20210914-101010',
    });
    // the checkout (the patched commit) wins over the base
    expect(reportCommit(r)).toBe('91c0d5ae2e1b3f4a5b6c7d8e9f00112233445566');
    const noCheckout = parseReport(
      fixture('2021-gcc-arm-both-markers.txt').replace(/^ +git checkout .*$/m, ''),
    );
    expect(reportCommit(noCheckout)).toBe('6880fa6c56601bb8ed59df6c30fd390cc5f6dd8f');
  });

  it("reads a kismet report: the pair from the config name, the new kismet line, conf's block", () => {
    const r = parseReport(fixture('2024-kismet-arm-patch.txt'));
    expect(r.kismet).toEqual({
      selectee: 'KEXEC',
      selector: 'CRASH_DUMP',
      arch: 'arm',
      from: 'config name',
    });
    expect(r.issues.map((i) => [i.section, i.file, i.line, i.new, i.fingerprint])).toEqual([
      [
        'kismet',
        '',
        undefined,
        true,
        'kconfig:warning:unmet-direct-dependencies-detected-for-kexec-selected-by-crash_dump',
      ],
      [
        'kismet',
        '.config',
        1822,
        false,
        '.config:warning:symbol-value-onfig_arch_mmap_rnd_bits_mi-invalid-for-arch_mmap_rnd_bits',
      ],
    ]);
    expect(r.missing).toEqual([
      'commit (no "commit:", "head:", "base: <sha>" or git checkout)',
      'make command lines (behind the reproduce link https://download.01.org/0day-ci/archive/20240117/202401171122.kIsMeT01-lkp@intel.com/reproduce)',
    ]);
  });

  it('reads the saved reproduce file of a patch report: checkout, remote, kismet command, make', () => {
    const r = parseReport(fixture('2024-kismet-arm-patch.txt'));
    addReproduceFile(r, fixture('2024-kismet-arm-patch.reproduce'));
    expect(reportCommit(r)).toBe('3c1b2a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b');
    expect(r.remote).toEqual({
      name: 'linux-review',
      url: 'https://github.com/intel-lab-lkp/linux',
      ref: 'Baoquan-He/crash-select-KEXEC-for-CRASH_DUMP/20240117-093312',
    });
    expect(r.makeLines.map((m) => m.text)).toEqual(['make ARCH=arm olddefconfig']);
    expect(r.missing).toEqual([]);
  });

  it('reads a quoted 2021 kismet report with the steps inline and two conf blocks', () => {
    const r = parseReport(fixture('2021-kismet-quoted-inline.txt'));
    expect(r.quoteDepth).toBe(1);
    expect(r.kismet).toMatchObject({ selectee: 'CRYPTO_SHA256_S390', selector: 'KEXEC_FILE' });
    expect(reportCommit(r)).toBe('5f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6');
    expect(r.issues.map((i) => [i.message, i.new])).toEqual([
      ['unmet direct dependencies detected for CRYPTO_SHA256_S390 (selected by KEXEC_FILE)', true],
      ['unmet direct dependencies detected for CRYPTO_SHA256 (selected by KEXEC_FILE)', false],
    ]);
    // without the config name, the kismet command names the pair
    const renamed = parseReport(
      fixture('2021-kismet-quoted-inline.txt').replace(
        's390-kismet-CONFIG_CRYPTO_SHA256_S390-CONFIG_KEXEC_FILE-0-0',
        's390-randconfig-001',
      ),
    );
    expect(renamed.kismet).toEqual({
      selectee: 'CRYPTO_SHA256_S390',
      selector: 'KEXEC_FILE',
      arch: 's390',
      from: 'kismet command',
    });
  });

  it('reads old binutils link errors: the object file is the location, "more ... follow" is no new problem', () => {
    const r = parseReport(fixture('2018-gcc-old-binutils.txt'));
    expect(r.issues.map((i) => [i.file, i.function, i.message, i.new])).toEqual([
      [
        'kernel/kexec_file.c',
        'kimage_file_prepare_segments',
        "undefined reference to 'arch_kexec_kernel_image_probe'",
        true,
      ],
      [
        'kernel/kexec_core.o',
        'kimage_load_segment',
        "undefined reference to 'machine_kexec_prepare'",
        true,
      ],
      [
        'arch/x86/kernel/crash.o',
        undefined,
        "undefined reference to 'crash_setup_memmap_entries'",
        true,
      ],
    ]);
    expect(r.unparsed).toEqual([]);
  });

  it('keeps "file format not recognized" and make lines when nothing more specific is reported', () => {
    const r = parseReport(fixture('2023-gcc-btf-generic.txt'));
    expect(r.issues.map((i) => [i.kind, i.file, i.message, i.new])).toEqual([
      ['linker', '', '.tmp_vmlinux.btf: file not recognized: file format not recognized', true],
      ['make', 'vmlinux', 'Error 1', false],
    ]);
  });
});

describe('fingerprints agree with the build-log parser', () => {
  it('gives a reported error the fingerprint a build log line gets', () => {
    const r = parseReport(fixture('2022-gcc-arm-make-cross-dir.txt'));
    const log = parseBuildLog(
      "/src/linux/kernel/crash_core.c:130:5: error: 'foo' undeclared (first use in this function)\n",
      { stripPrefixes: ['/src/linux'] },
    );
    expect(log[0]!.fingerprint).toBe(r.issues[0]!.fingerprint);
    expect(r.issues[0]!.fingerprint).toBe(fingerprint(r.issues[0]!));
  });
});

describe('pieces', () => {
  it('unquotes only as deep as the header lines are quoted', () => {
    const { lines, depth } = unquote('> config: x86_64-defconfig\n> >> a.c:1:1: error: x\n>\n');
    expect(depth).toBe(1);
    expect(lines).toEqual(['config: x86_64-defconfig', '>> a.c:1:1: error: x', '', '']);
  });

  it('splits words with quotes and never expands anything', () => {
    expect(splitWords(`make CF='-a -b' X="$(y)" \`z\``)).toEqual([
      'make',
      'CF=-a -b',
      'X=$(y)',
      '`z`',
    ]);
    expect(parseMakeLine('# make W=1')).toBeUndefined();
    expect(parseMakeLine('git checkout abc')).toBeUndefined();
    expect(parseMakeLine('COMPILER=clang ~/bin/make.cross W=1 ARCH=arm kernel/')).toMatchObject({
      command: '~/bin/make.cross',
      env: { COMPILER: 'clang' },
      goals: ['kernel/'],
    });
  });

  it('lists what a bare text lacks', () => {
    expect(parseReport('hello').missing).toEqual([
      'config (no "config:" line)',
      'compiler (no "compiler:" line)',
      'commit (no "commit:", "head:", "base: <sha>" or git checkout)',
      'tree (no "tree:" or "base:" line)',
      'make command lines',
      'errors or warnings (no "All errors/warnings (new ones prefixed by >>):" list)',
    ]);
  });
});
