// kmatrix bisect --build on a full Debian 6.1 tree history (armel tinyconfig, CRASH_DUMP=y,
// KEXEC=n): one commit breaks arch/arm/kernel/crash_dump.c only for that combination,
// an earlier one breaks init/main.c for everyone (and is fixed two commits later). The build
// bisect must name the crash_dump commit, skip the unrelated breakage, never build the
// commits that touch only docs or x86, and leave the user's repository alone.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendTo,
  createHistory,
  repoState,
  replaceIn,
  type History,
  type PlannedCommit,
} from '../../helpers/history.js';
import { treePath } from '../../helpers/trees.js';

const CLI = resolve(process.env['KMATRIX_CLI'] ?? 'bin/kmatrix.js');
let work: string;
let h: History;

const BREAK_MAIN = 'int kmatrix_unrelated(void) { return kmatrix_undefined_everywhere; }\n';
const GUARDED =
  '\n#if defined(CONFIG_CRASH_DUMP) && !defined(CONFIG_KEXEC)\nint kmatrix_needs_kexec(void) { return kmatrix_kexec_only_symbol; }\n#endif\n';

const COMMITS: PlannedCommit[] = [
  { message: 'docs: a note', edits: appendTo('Documentation/kmatrix-note.txt', 'one') },
  { message: 'misc: Makefile comment', edits: appendTo('drivers/misc/Makefile', '# harmless') },
  { message: 'init: break the build for everyone', edits: appendTo('init/main.c', BREAK_MAIN) },
  { message: 'docs: another note', edits: appendTo('Documentation/kmatrix-note.txt', 'two') },
  { message: 'init: fix the build again', edits: replaceIn('init/main.c', BREAK_MAIN, '') },
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
    const r = await execa(
      process.execPath,
      [
        CLI,
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
      { cwd: work, env: { ...process.env, KMATRIX_CACHE: cache }, reject: false },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.kind).toBe('found');
    expect(out.firstBad.sha).toBe(h.shas[7]);
    // Default match: the bad endpoint's diagnostics, by fingerprint.
    expect(out.predicate.match).toEqual([
      expect.stringMatching(/^arch-arm-kernel-crash_dump\.c:error:.*kmatrix_kexec_only_symbol/),
    ]);
    expect(out.culprit.verdict).toBe('bad');
    expect(out.parent.step.verdict).toBe('good');
    // Only commits that touch arm build inputs were candidates: not docs, not x86.
    expect(out.range).toEqual({ commits: 9, candidates: 5 });
    const bySha = new Map(out.steps.map((s: { sha: string }) => [s.sha, s]));
    for (const docOnly of [h.shas[1], h.shas[4], h.shas[6], h.shas[8]])
      expect(bySha.has(docOnly)).toBe(false);
    const skipped = out.steps.filter((s: { verdict: string }) => s.verdict === 'skip');
    for (const s of skipped) {
      expect([h.shas[3], h.shas[4]]).toContain(s.sha);
      expect(s.why).toMatch(/other diagnostics: init-main\.c:error/);
    }
    expect(out.steps.length).toBeLessThanOrEqual(6);
    expect(await repoState(h.dir)).toEqual(before);
    expect(await readdir(join(cache, 'bisect'))).toEqual([]);
  });
});
