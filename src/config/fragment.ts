// Config fragments (*.config files of CONFIG_ lines): read, validated line by line, turned into pins.
import { resolve } from 'node:path';
import { errorMessage, KmatrixError } from '../core/errors.js';
import { printable } from '../core/text.js';
import { MAX_BYTES, readTextFile } from '../fsutil/text-file.js';
import { configFileProblems, fragmentProblems, parseConfigLines } from './dotconfig.js';
import type { Pin } from './pin.js';

export function fragmentPins(text: string, origin: string): { pins: Pin[]; problems: string[] } {
  const bad = fragmentProblems(text);
  const problems = bad
    .slice(0, 20)
    .map(
      (p) =>
        `${printable(origin)}:${p.line}: "${printable(p.text.trim(), 120)}" is not CONFIG_SYMBOL=VALUE or "# CONFIG_SYMBOL is not set"`,
    );
  if (bad.length > 20)
    problems.push(`${printable(origin)}: ... and ${bad.length - 20} more such lines`);
  const pins = parseConfigLines(text).map((l) => ({
    symbol: l.symbol,
    value: l.value,
    origin: `${origin}:${l.line}`,
  }));
  return { pins, problems };
}

/** Read every fragment and collect all problems before failing. */
export async function readFragments(paths: readonly string[], cwd: string): Promise<Pin[]> {
  const pins: Pin[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    let text: string;
    try {
      text = await readTextFile(resolve(cwd, p), {
        what: 'fragment',
        shown: p,
        maxBytes: MAX_BYTES.config,
      });
    } catch (e) {
      problems.push(errorMessage(e));
      continue;
    }
    const r = fragmentPins(text, p);
    pins.push(...r.pins);
    problems.push(...r.problems);
  }
  if (problems.length > 0) throw new KmatrixError('bad-fragment', problems.join('\n'));
  return pins;
}

/**
 * Read a whole .config a user names (--base FILE, explain --config, config-bisect's
 * endpoints): a text file whose every line is blank, a comment or a valid assignment.
 */
export async function readConfigFile(
  path: string,
  o: { what: string; shown?: string },
): Promise<string> {
  const shown = o.shown ?? path;
  const text = await readTextFile(path, {
    what: o.what,
    shown,
    maxBytes: MAX_BYTES.config,
    code: 'bad-config-file',
  });
  const problems = configFileProblems(text, shown);
  if (problems.length > 0)
    throw new KmatrixError(
      'bad-config-file',
      `${o.what} ${problems[0]}`,
      problems.length > 1 ? problems.slice(1).join('\n') : undefined,
    );
  return text;
}
