// Unified diffs as data: files and hunks, and the hunks that name given Kconfig symbols.
// Pure; the text comes from `git diff`.

export interface Hunk {
  file: string;
  /** The @@ line, including git's function context (for Kconfig: the enclosing `config X`). */
  header: string;
  /** The hunk body lines, each with its ' ', '+' or '-' prefix. */
  lines: string[];
}

export function parseUnifiedDiff(text: string): Hunk[] {
  const hunks: Hunk[] = [];
  let file = '';
  let cur: Hunk | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      cur = undefined;
      const m = / b\/(.*)$/.exec(line);
      file = m?.[1] ?? '';
      continue;
    }
    if (line.startsWith('+++ ')) {
      if (line !== '+++ /dev/null') file = line.slice(4).replace(/^b\//, '');
      continue;
    }
    if (line.startsWith('--- ') && !cur) continue;
    if (line.startsWith('@@')) {
      cur = { file, header: line, lines: [] };
      hunks.push(cur);
      continue;
    }
    if (cur && (line.startsWith(' ') || line.startsWith('+') || line.startsWith('-')))
      cur.lines.push(line);
    else if (cur && line.startsWith('\\')) cur.lines.push(line);
  }
  return hunks;
}

/** Symbols (without CONFIG_) a hunk names in its changed lines, context or function header. */
function symbolsInHunk(h: Hunk, symbols: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  const text = [h.header, ...h.lines].join('\n');
  for (const m of text.matchAll(/\b(?:CONFIG_)?([A-Z0-9_]+)\b/g)) {
    const s = m[1]!;
    if (symbols.has(s)) found.add(s);
  }
  return [...found].sort();
}

/**
 * Symbols named on the changed (+/-) lines, comments left out: a stronger signal for ranking
 * suspects than any mention.
 */
export function symbolsChanged(h: Hunk, symbols: ReadonlySet<string>): string[] {
  return symbolsInHunk(
    {
      ...h,
      header: '',
      lines: h.lines.filter(
        (l) => (l.startsWith('+') || l.startsWith('-')) && !/^[+-]\s*#/.test(l),
      ),
    },
    symbols,
  );
}

export function hunksNaming(
  hunks: readonly Hunk[],
  symbols: ReadonlySet<string>,
): { hunk: Hunk; symbols: string[] }[] {
  return hunks
    .map((hunk) => ({ hunk, symbols: symbolsInHunk(hunk, symbols) }))
    .filter((x) => x.symbols.length > 0);
}

export function renderHunk(h: Hunk): string {
  return [`--- ${h.file}`, h.header, ...h.lines].join('\n');
}
