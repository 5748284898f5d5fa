// The key under which a build step reuses a .config resolved at another commit (predicate.ts
// configInPlace): the request, and what the config targets can read at the commit. The
// files are those a config bisect's trees hold (KCONFIG_INPUT_RULES in inputs.ts: make
// <base>, the pins and olddefconfig run in such a tree and resolve the same config as in the
// whole tree; test/slow/bisect/inputs-trace.test.ts checks under strace that the config
// targets open, stat or run no other file of real trees), with their blobs, except that a
// Kconfig file counts by its text without the lines conf skips (comment lines, blank
// lines): a commit that only adds a comment or a blank line to mm/Kconfig, or changes
// another arch's Kconfig, keeps the .config. What each Kconfig blob contributes is kept by
// blob id across calls (a digest of its text, its `source` lines), so a bisect step reads
// only the Kconfig files its commit changed.
import { createHash } from 'node:crypto';
import type { Arch } from '../arch/arches.js';
import type { Base } from '../config/base.js';
import type { Pin } from '../config/pin.js';
import type { ProcessRunner } from '../process/runner.js';
import { inputContext, isKconfigInput, sourceEdges, sourcedVia } from './inputs.js';

export interface KeyRequest {
  arch: Arch;
  toolchain: string;
  base: Base;
  pins: readonly Pin[];
  /** A file base's text, when it is given as text. */
  baseText: string | null;
}

const isKconfigFile = (path: string) => path.slice(path.lastIndexOf('/') + 1).startsWith('Kconfig');

/** One line of `git grep -n` at a revision, after its "<rev>:": path:line:text. */
const GREP_LINE = /^([^:]+):(\d+):(.*)$/;

/**
 * The lines of each Kconfig file that conf reads, from `git grep -n -v` of the lines it
 * skips. A line ending in a backslash continues on the next one even when that is blank or a
 * comment, so a file with such a continuation over a dropped line keeps its line numbers
 * (a change there changes the key).
 */
export function kconfigTexts(grepOutput: string, rev: string): Map<string, string> {
  const lines = new Map<string, { n: number; text: string }[]>();
  for (const raw of grepOutput.split('\n')) {
    const m = raw.startsWith(`${rev}:`) ? GREP_LINE.exec(raw.slice(rev.length + 1)) : null;
    if (!m) continue;
    const [, path, n, text] = m as unknown as [string, string, string, string];
    let list = lines.get(path);
    if (!list) lines.set(path, (list = []));
    list.push({ n: Number(n), text });
  }
  const out = new Map<string, string>();
  for (const [path, list] of lines) {
    const exact = list.some((l, i) => l.text.endsWith('\\') && list[i + 1]?.n !== l.n + 1);
    out.set(path, list.map((l) => (exact ? `${l.n}:${l.text}` : l.text)).join('\n'));
  }
  return out;
}

/** Lines conf skips: blank, or a comment (# first). */
const SKIPPED_LINE = '^[[:space:]]*(#.*)?$';

/**
 * What the key needs of one Kconfig blob: a digest of the lines conf reads (kconfigTexts),
 * and the files its `source "arch/..."` lines name.
 */
interface KconfigBlob {
  digest: string;
  sources: string[];
}

/**
 * Kconfig blobs read so far, by blob id (content-addressed, so valid in any repository): the
 * commits of a bisect share nearly all of them, and a step greps only the Kconfig files whose
 * blob it has not seen (about 0.8 s for all of a tree's, milliseconds for a few).
 */
const seen = new Map<string, KconfigBlob>();
const SEEN_MAX = 50_000;

/** Forget every Kconfig blob read (tests compare keys made with and without them). */
export function forgetKconfigBlobs(): void {
  seen.clear();
}

/** Above this many unseen Kconfig files, one grep by the glob pathspecs instead of by path. */
const BY_PATH_MAX = 200;

/** The key of `req` at commit `sha` (a full id) of `repo`; undefined when git cannot read it. */
export async function configKey(
  runner: ProcessRunner,
  commit: { repo: string; sha: string },
  req: KeyRequest,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const opts = { ...(signal ? { signal } : {}), env: { LC_ALL: 'C' } };
  const tree = await runner.run(
    'git',
    ['-C', commit.repo, '-c', 'core.quotePath=false', 'ls-tree', '-r', '--full-tree', commit.sha],
    opts,
  );
  if (tree.failed) return undefined;
  const entries: { line: string; path: string; oid: string }[] = [];
  for (const line of tree.stdout.split('\n')) {
    if (!line) continue;
    const tab = line.indexOf('\t');
    entries.push({ line, path: line.slice(tab + 1), oid: line.slice(0, tab).split(' ')[2] ?? '' });
  }
  const kconfig = entries.filter((e) => isKconfigFile(e.path));
  // This call's blobs, taken from the cache before anything is awaited: another call may
  // clear it meanwhile.
  const have = new Map<string, KconfigBlob>();
  const unseen: typeof kconfig = [];
  for (const e of kconfig) {
    const b = seen.get(e.oid);
    if (b) have.set(e.oid, b);
    else unseen.push(e);
  }
  if (unseen.length > 0) {
    const grep = await runner.run(
      'git',
      [
        '-C',
        commit.repo,
        '-c',
        'core.quotePath=false',
        'grep',
        '-n',
        '-I',
        '-v',
        '-E',
        SKIPPED_LINE,
        commit.sha,
        '--',
        ...(unseen.length > BY_PATH_MAX
          ? ['Kconfig*', '**/Kconfig*']
          : unseen.map((e) => `:(literal)${e.path}`)),
      ],
      opts,
    );
    if (grep.failed && grep.exitCode !== 1) return undefined;
    const texts = kconfigTexts(grep.stdout, commit.sha);
    const sources = sourceEdges(grep.stdout);
    // A file grep printed no line of (comments only, binary) reads as empty, as before.
    for (const e of unseen) {
      const b = {
        digest: createHash('sha256')
          .update(texts.get(e.path) ?? '')
          .digest('hex'),
        sources: sources.get(e.path) ?? [],
      };
      have.set(e.oid, b);
      if (seen.size >= SEEN_MAX) seen.clear();
      seen.set(e.oid, b);
    }
  }
  const edges = new Map(kconfig.map((e) => [e.path, have.get(e.oid)?.sources ?? []]));
  const ctx = inputContext(req.arch, req.base, sourcedVia(edges, req.arch.srcarch));
  const h = createHash('sha256');
  h.update(JSON.stringify([req.arch.name, req.toolchain, req.base, req.pins, req.baseText]) + '\n');
  for (const { line, path, oid } of entries) {
    if (!isKconfigInput(path, ctx)) continue;
    if (isKconfigFile(path)) h.update(`${path}\n${have.get(oid)?.digest ?? ''}\n\0`);
    else h.update(line + '\n');
  }
  return h.digest('hex');
}
