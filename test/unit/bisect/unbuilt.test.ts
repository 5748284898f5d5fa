import { describe, expect, it } from 'vitest';
import { decideWithoutBuild, depsFromCmd } from '../../../src/bisect/unbuilt.js';

const CMD = `savedcmd_init/main.o := arm-linux-gnueabi-gcc -Wp,-MMD,init/.main.o.d -c -o init/main.o /w/src0/init/main.c

source_init/main.o := /w/src0/init/main.c

deps_init/main.o := \\
  include/linux/compiler-version.h \\
    $(wildcard include/config/CC_VERSION_TEXT) \\
  /w/src0/include/linux/kconfig.h \\
  /w/src0/include/linux/init.h \\
  /usr/lib/gcc-cross/arm-linux-gnueabi/12/include/stdarg.h \\

init/main.o: $(deps_init/main.o)

$(deps_init/main.o):
`;

describe('depsFromCmd', () => {
  it('collects the source and every dependency, relative to the source tree', () => {
    expect(depsFromCmd(CMD, '/w/src0').sort()).toEqual(
      [
        'include/config/CC_VERSION_TEXT',
        'include/linux/compiler-version.h',
        'include/linux/init.h',
        'include/linux/kconfig.h',
        'init/main.c',
      ].sort(),
    );
  });
});

describe('decideWithoutBuild', () => {
  const deps = new Set(['init/main.c', 'include/linux/init.h']);
  it('decides when the config is the same and only unread files were modified', () => {
    const d = decideWithoutBuild({
      sameConfig: true,
      changed: [{ status: 'M', path: 'drivers/net/ethernet/intel/e1000/e1000_main.c' }],
      deps,
    });
    expect(d.decided).toBe(true);
  });
  it.each([
    [{ status: 'M', path: 'init/main.c' }, /is compiled or included/],
    [{ status: 'A', path: 'drivers/x/new.h' }, /added, deleted or renamed/],
    [{ status: 'M', path: 'drivers/x/Makefile' }, /build machinery/],
    [{ status: 'M', path: 'scripts/mod/modpost.c' }, /build machinery/],
  ])('builds when %o changed', (changed, why) => {
    const d = decideWithoutBuild({ sameConfig: true, changed: [changed], deps });
    expect(d.decided).toBe(false);
    expect(d.why).toMatch(why);
  });
  it('builds when the resolved config differs', () => {
    expect(decideWithoutBuild({ sameConfig: false, changed: [], deps }).decided).toBe(false);
  });
});
