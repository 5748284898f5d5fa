import { describe, expect, it } from 'vitest';
import { rankSuspects, suspectsByFile } from '../../../src/bisect/suspects.js';

const patch = (file: string, lines: string[]) =>
  `diff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1,2 +1,3 @@ config X\n${lines.join('\n')}\n`;

describe('rankSuspects', () => {
  const candidates = ['c0', 'c1', 'c2', 'c3', 'bad'];
  const required = new Set(['KEXEC']);
  const symbols = new Set(['KEXEC', 'CRASH_DUMP']);

  it('ranks changed lines naming required symbols above other symbols, later first on ties', () => {
    const patches = new Map([
      ['c0', patch('arch/x86/Kconfig', [' config CRASH_DUMP', '+\tselect KEXEC'])],
      ['c1', patch('kernel/Kconfig', ['+\tdepends on CRASH_DUMP'])],
      ['c2', patch('arch/x86/Kconfig', ['-\tselect KEXEC'])],
      ['c3', patch('net/Kconfig', ['+\tbool "unrelated"'])],
      ['bad', patch('arch/x86/Kconfig', ['+\tselect KEXEC', '+\tselect KEXEC'])],
    ]);
    // c0 and c2 score 3 (c2 is later), c1 scores 1; the bad endpoint is never a suspect.
    expect(rankSuspects(candidates, patches, required, symbols)).toEqual([2, 0]);
  });

  it('ignores comments and context lines, and finds nothing without a named symbol', () => {
    const patches = new Map([
      ['c1', patch('arch/x86/Kconfig', ['+# select KEXEC here', ' config KEXEC'])],
    ]);
    expect(rankSuspects(candidates, patches, required, symbols)).toEqual([]);
  });
});

describe('suspectsByFile', () => {
  const candidates = ['c0', 'c1', 'c2', 'c3', 'bad'];
  const changed = new Map([
    ['c0', ['arch/arm/kernel/crash_dump.c']],
    ['c1', ['mm/Kconfig']],
    ['c2', ['arch/arm/kernel/setup.c', 'arch/arm/kernel/crash_dump.c']],
    ['c3', ['arch/arm/kernel/crash_dump.c']],
    ['bad', ['arch/arm/kernel/crash_dump.c']],
  ]);

  it('picks the latest two candidates that change a file with the errors, never the bad end', () => {
    expect(suspectsByFile(candidates, changed, new Set(['arch/arm/kernel/crash_dump.c']))).toEqual([
      3, 2,
    ]);
  });

  it('finds nothing when no candidate changes those files', () => {
    expect(suspectsByFile(candidates, changed, new Set(['kernel/fork.c']))).toEqual([]);
  });
});
