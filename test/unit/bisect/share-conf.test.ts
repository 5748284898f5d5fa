import { describe, expect, it } from 'vitest';
import { cmdSources, sameSources } from '../../../src/bisect/share-conf.js';

// A .cmd file as Kbuild writes it for an O= dir directly inside the source tree (srctree = ..).
const CONF_O_CMD = `cmd_scripts/kconfig/conf.o := gcc -Wp,-MMD,scripts/kconfig/.conf.o.d -Wall -O2 -std=gnu11     -I ./scripts/kconfig -c -o scripts/kconfig/conf.o ../scripts/kconfig/conf.c

source_scripts/kconfig/conf.o := ../scripts/kconfig/conf.c

deps_scripts/kconfig/conf.o := \\
  ../scripts/kconfig/lkc.h \\
    $(wildcard include/config/prefix) \\
  ../scripts/include/list.h \\
  ../scripts/kconfig/lkc_proto.h \\

scripts/kconfig/conf.o: $(deps_scripts/kconfig/conf.o)
`;

describe('sharing one conf build between bisect workers', () => {
  it('reads the tree-relative sources a .cmd file names, not O= paths', () => {
    expect(cmdSources(CONF_O_CMD).sort()).toEqual([
      'scripts/include/list.h',
      'scripts/kconfig/conf.c',
      'scripts/kconfig/lkc.h',
      'scripts/kconfig/lkc_proto.h',
    ]);
  });

  const tree = new Map([
    ['scripts/kconfig/conf.c', '100644 aaa'],
    ['scripts/kconfig/lkc.h', '100644 bbb'],
    ['scripts/basic/fixdep.c', '100644 ccc'],
    ['arch/x86/Kconfig', '100644 ddd'],
  ]);

  it('shares when every source of the build has the same blob, whatever else differs', () => {
    const other = new Map(tree).set('arch/x86/Kconfig', '100644 eee');
    expect(sameSources(tree, other, ['scripts/kconfig/conf.c'])).toBe(true);
  });

  it('does not share when a dependency, or any file of scripts/kconfig or scripts/basic, differs', () => {
    expect(sameSources(tree, new Map(tree).set('scripts/kconfig/lkc.h', '100644 fff'), [])).toBe(
      false,
    );
    expect(sameSources(tree, new Map(tree).set('scripts/basic/fixdep.c', '100755 ccc'), [])).toBe(
      false,
    );
    const added = new Map(tree).set('scripts/kconfig/new.c', '100644 123');
    expect(sameSources(tree, added, [])).toBe(false);
    const dep = new Map(tree).set('tools/include/x.h', '100644 1');
    expect(sameSources(tree, dep, ['tools/include/x.h'])).toBe(false);
  });
});
