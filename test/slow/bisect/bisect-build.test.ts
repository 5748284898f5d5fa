// kmatrix bisect --build on a full Debian 6.1 tree history (armel tinyconfig, CRASH_DUMP=y,
// KEXEC=n): one commit breaks arch/arm/kernel/crash_dump.c only for that combination,
// an earlier one breaks init/main.c for everyone (and is fixed two commits later). The build
// bisect must name the crash_dump commit, skip the unrelated breakage, never build the
// commits that touch only docs or x86, and leave the user's repository alone.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendTo,
  createHistory,
  repoState,
  replaceIn,
  type History,
  type PlannedCommit,
} from '../../helpers/history.js';
import { kmatrix } from '../../helpers/cli.js';
import { treePath } from '../../helpers/trees.js';

let work: string;
let h: History;

const BREAK_MAIN = 'int kmatrix_unrelated(void) { return kmatrix_undefined_everywhere; }\n';
const GUARDED =
  '\n#if defined(CONFIG_CRASH_DUMP) && !defined(CONFIG_KEXEC)\nint kmatrix_needs_kexec(void) { return kmatrix_kexec_only_symbol; }\n#endif\n';

const E1000 = 'drivers/net/ethernet/intel/e1000/e1000_main.c';

// Candidates (arm build inputs): 2, 3, 5, 6, 7, 9 and the bad endpoint 11. The search
// probes 5 (fails in init/main.c: skipped), builds 6 (passes), decides 7 without a build
// (from 6 only e1000_main.c differs, which armel tinyconfig never compiles), then finds 9.
const COMMITS: PlannedCommit[] = [
  { message: 'docs: a note', edits: appendTo('Documentation/kmatrix-note.txt', 'one') },
  { message: 'misc: Makefile comment', edits: appendTo('drivers/misc/Makefile', '# harmless') },
  { message: 'init: break the build for everyone', edits: appendTo('init/main.c', BREAK_MAIN) },
  { message: 'docs: another note', edits: appendTo('Documentation/kmatrix-note.txt', 'two') },
  { message: 'e1000: a comment', edits: appendTo(E1000, '/* kmatrix */') },
  { message: 'init: fix the build again', edits: replaceIn('init/main.c', BREAK_MAIN, '') },
  { message: 'e1000: another comment', edits: appendTo(E1000, '/* kmatrix again */') },
  { message: 'x86: comment only', edits: appendTo('arch/x86/Kconfig', '# x86 only') },
  {
    message: 'arm: crash_dump needs kexec (breaks CRASH_DUMP=y KEXEC=n)',
    edits: appendTo('arch/arm/kernel/crash_dump.c', GUARDED),
  },
  { message: 'docs: a third note', edits: appendTo('Documentation/kmatrix-note.txt', 'three') },
  { message: 'x86: another comment', edits: appendTo('arch/x86/Kconfig', '# x86 again') },
];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kmatrix-bisect-build-'));
  h = await createHistory({
    tree: treePath('6.1'),
    dir: join(work, 'repo'),
    subset: false,
    commits: COMMITS,
  });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('kmatrix bisect --build (6.1 armel tinyconfig)', () => {
  it('finds the crash_dump commit and skips the unrelated breakage', async () => {
    const before = await repoState(h.dir);
    const cache = join(work, 'cache');
    const r = await kmatrix(
      work,
      [
        'bisect',
        '--repo',
        h.dir,
        '--good',
        h.shas[0]!,
        '--bad',
        'main',
        '--arch',
        'armel',
        '--base',
        'tinyconfig',
        '--set',
        'CRASH_DUMP=y',
        '--set',
        'KEXEC=n',
        '--build',
        '--targets',
        'kernel',
        '--runtime',
        'local',
        '--json',
      ],
      { env: { KMATRIX_CACHE: cache } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.kind).toBe('found');
    expect(out.firstBad.sha).toBe(h.shas[9]);
    // Default match: the bad endpoint's diagnostics, by fingerprint.
    expect(out.predicate.match).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^arch-arm-kernel-crash_dump\.c:error:kmatrix_kexec_only_symbol-undeclared/,
        ),
      ]),
    );
    for (const m of out.predicate.match) expect(m).toMatch(/^arch-arm-kernel-crash_dump\.c:error:/);
    expect(out.culprit.verdict).toBe('bad');
    expect(out.parent.step.verdict).toBe('good');
    // Only commits that touch arm build inputs were candidates: not docs, not x86.
    expect(out.range).toEqual({ commits: 11, candidates: 7 });
    const bySha = new Map<string, { verdict: string; why: string; tested: boolean }>(
      out.steps.map((s: { sha: string }) => [s.sha, s]),
    );
    for (const docOnly of [1, 4, 8, 10]) expect(bySha.has(h.shas[docOnly]!)).toBe(false);
    // The unrelated breakage is skipped, never blamed.
    expect(bySha.get(h.shas[5]!)?.verdict).toBe('skip');
    expect(bySha.get(h.shas[5]!)?.why).toMatch(/other diagnostics: init-main\.c:error/);
    for (const s of out.steps)
      if (s.verdict === 'skip') expect([h.shas[3], h.shas[5]]).toContain(s.sha);
    // Decided without a build: same .config as the passing build of commit 6, and only
    // e1000_main.c (not compiled for armel tinyconfig) differs.
    const unbuilt = bySha.get(h.shas[7]!);
    expect(unbuilt).toMatchObject({ verdict: 'good', tested: false });
    expect(unbuilt?.why).toMatch(/passes without a build/);
    expect(out.steps.length).toBeLessThanOrEqual(7);
    expect(await repoState(h.dir)).toEqual(before);
    expect(await readdir(join(cache, 'bisect'))).toEqual([]);
  });
});
