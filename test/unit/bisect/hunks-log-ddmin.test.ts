import { describe, expect, it } from 'vitest';
import { ddmin } from '../../../src/bisect/ddmin.js';
import { hunksNaming, parseUnifiedDiff, symbolsChanged } from '../../../src/bisect/hunks.js';
import { renderBisectLog } from '../../../src/bisect/log.js';

const DIFF = `diff --git a/arch/x86/Kconfig b/arch/x86/Kconfig
index 1111111..2222222 100644
--- a/arch/x86/Kconfig
+++ b/arch/x86/Kconfig
@@ -2068,6 +2068,7 @@ config KEXEC_BZIMAGE_VERIFY_SIG
 config CRASH_DUMP
 	bool "kernel crash dumps"
 	depends on X86_64 || (X86_32 && HIGHMEM)
+	select KEXEC
 	help
 	  Generate crash dump after being started by kexec.
@@ -3000,3 +3001,4 @@ config OTHER
 	bool "other"
+	default y
 	help
diff --git a/net/Kconfig b/net/Kconfig
--- a/net/Kconfig
+++ b/net/Kconfig
@@ -1,2 +1,3 @@
 menu "Networking"
+# comment
`;

describe('hunks', () => {
  it('parses files and hunks and finds those naming given symbols', () => {
    const hunks = parseUnifiedDiff(DIFF);
    expect(hunks.map((h) => h.file)).toEqual([
      'arch/x86/Kconfig',
      'arch/x86/Kconfig',
      'net/Kconfig',
    ]);
    const named = hunksNaming(hunks, new Set(['KEXEC', 'CRASH_DUMP']));
    expect(named).toHaveLength(1);
    expect(named[0]!.symbols).toEqual(['CRASH_DUMP', 'KEXEC']);
    expect(symbolsChanged(hunks[0]!, new Set(['KEXEC', 'CRASH_DUMP']))).toEqual(['KEXEC']);
  });
});

describe('bisect log', () => {
  it('is what git bisect replay reads', () => {
    const log = renderBisectLog({
      good: 'g'.repeat(40),
      bad: 'b'.repeat(40),
      firstParent: true,
      entries: [
        { sha: 'b'.repeat(40), subject: "it's bad", verdict: 'bad' },
        { sha: 'c'.repeat(40), subject: 'parent', verdict: 'good', note: 'inferred' },
      ],
      firstBad: { sha: 'b'.repeat(40), subject: "it's bad" },
    });
    expect(log.split('\n')).toEqual([
      `git bisect start '--first-parent' '${'b'.repeat(40)}' '${'g'.repeat(40)}'`,
      `# bad: [${'b'.repeat(40)}] it's bad`,
      `git bisect bad ${'b'.repeat(40)}`,
      '# inferred',
      `# good: [${'c'.repeat(40)}] parent`,
      `git bisect good ${'c'.repeat(40)}`,
      `# first bad commit: [${'b'.repeat(40)}] it's bad`,
      '',
    ]);
  });
});

describe('ddmin', () => {
  const items = Array.from({ length: 40 }, (_, i) => `S${i}`);
  it('finds a single culprit in O(log n) tests', async () => {
    const r = await ddmin(items, async (s) => (s.includes('S27') ? 'fail' : 'pass'));
    expect(r.minimal).toEqual(['S27']);
    expect(r.tests).toBeLessThan(15);
  });
  it('finds an interaction of two changes (which plain halving misses)', async () => {
    const r = await ddmin(items, async (s) =>
      s.includes('S3') && s.includes('S31') ? 'fail' : 'pass',
    );
    expect(r.minimal.sort()).toEqual(['S3', 'S31']);
  });
  it('copes with unresolved tests', async () => {
    const r = await ddmin(items, async (s) =>
      s.length > 1 && s.length < 10 ? 'unresolved' : s.includes('S5') ? 'fail' : 'pass',
    );
    expect(r.minimal).toContain('S5');
  });
  it('reports when the full set does not fail', async () => {
    const r = await ddmin(items, async () => 'pass');
    expect(r).toEqual({ minimal: [], tests: 1, reproduced: false });
  });
});

describe('symbolsChanged', () => {
  it('ignores comment lines', () => {
    const [h] = parseUnifiedDiff(
      'diff --git a/K b/K\n--- a/K\n+++ b/K\n@@ -1 +1,3 @@\n config A\n+# KEXEC is fine\n+\tselect KEXEC\n',
    );
    expect(symbolsChanged(h!, new Set(['KEXEC', 'A']))).toEqual(['KEXEC']);
    const [c] = parseUnifiedDiff(
      'diff --git a/K b/K\n--- a/K\n+++ b/K\n@@ -1 +1,2 @@\n x\n+# KEXEC\n',
    );
    expect(symbolsChanged(c!, new Set(['KEXEC']))).toEqual([]);
  });
});
