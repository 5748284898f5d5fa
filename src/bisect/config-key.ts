// The key under which a build step reuses a .config resolved at another commit (predicate.ts
// configInPlace): the request, and what the config targets can read at the commit. The
// files are those a config bisect's trees hold (KCONFIG_INPUT_RULES in inputs.ts: make
// <base>, the pins and olddefconfig run in such a tree and resolve the same config as in the
// whole tree; test/slow/bisect/inputs-trace.test.ts checks under strace that the config
// targets open, stat or run no other file of real trees), with their blobs, except that a
// Kconfig file counts by its text without the lines conf skips (comment lines, blank
// lines): a commit that only adds a comment or a blank line to mm/Kconfig, or changes
// another arch's Kconfig, keeps the .config.
import { createHash } from 'node:crypto';
import type { Arch } from '../arch/arches.js';
import type { Base } from '../config/base.js';
import type { Pin } from '../config/pin.js';
import type { ProcessRunner } from '../process/runner.js';
import { inputContext, isKconfigInput, sourcedFromOutside } from './inputs.js';

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

/** The key of `req` at commit `sha` (a full id) of `repo`; undefined when git cannot read it. */
export async function configKey(
  runner: ProcessRunner,
  commit: { repo: string; sha: string },
  req: KeyRequest,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const opts = { ...(signal ? { signal } : {}), env: { LC_ALL: 'C' } };
  const [tree, grep] = await Promise.all([
    runner.run(
      'git',
      ['-C', commit.repo, '-c', 'core.quotePath=false', 'ls-tree', '-r', '--full-tree', commit.sha],
      opts,
    ),
    runner.run(
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
        'Kconfig*',
        '**/Kconfig*',
      ],
      opts,
    ),
  ]);
  if (tree.failed || (grep.failed && grep.exitCode !== 1)) return undefined;
  const texts = kconfigTexts(grep.stdout, commit.sha);
  const ctx = inputContext(req.arch, req.base, sourcedFromOutside(grep.stdout, req.arch.srcarch));
  const h = createHash('sha256');
  h.update(JSON.stringify([req.arch.name, req.toolchain, req.base, req.pins, req.baseText]) + '\n');
  for (const line of tree.stdout.split('\n')) {
    const path = line.slice(line.indexOf('\t') + 1);
    if (!line || !isKconfigInput(path, ctx)) continue;
    if (isKconfigFile(path)) h.update(`${path}\n${texts.get(path) ?? ''}\n\0`);
    else h.update(line + '\n');
  }
  return h.digest('hex');
}
