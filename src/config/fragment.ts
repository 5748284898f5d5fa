// Config fragments (*.config files of CONFIG_ lines): read, validated line by line, turned into pins.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KmatrixError } from '../core/errors.js';
import { fragmentProblems, parseConfigLines } from './dotconfig.js';
import type { Pin } from './pin.js';

export function fragmentPins(text: string, origin: string): { pins: Pin[]; problems: string[] } {
  const problems = fragmentProblems(text).map(
    (p) =>
      `${origin}:${p.line}: "${p.text.trim()}" is not CONFIG_SYMBOL=VALUE or "# CONFIG_SYMBOL is not set"`,
  );
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
      text = await readFile(resolve(cwd, p), 'utf8');
    } catch (e) {
      problems.push(`cannot read fragment ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      continue;
    }
    const r = fragmentPins(text, p);
    pins.push(...r.pins);
    problems.push(...r.problems);
  }
  if (problems.length > 0) throw new KmatrixError('bad-fragment', problems.join('\n'));
  return pins;
}
