// Splits one logical Kconfig line into tokens, like scripts/kconfig/lexer.l: keywords,
// words (with $(...) expanded), quoted strings (expanded), operators; `#` starts a comment.
import { matchParen } from './macro.js';

const KEYWORDS = new Set([
  'bool',
  'choice',
  'comment',
  'config',
  'def_bool',
  'def_tristate',
  'default',
  'depends',
  'endchoice',
  'endif',
  'endmenu',
  'help',
  '---help---',
  'hex',
  'if',
  'imply',
  'int',
  'mainmenu',
  'menu',
  'menuconfig',
  'modules',
  'on',
  'optional',
  'option',
  'prompt',
  'range',
  'select',
  'source',
  'rsource',
  'osource',
  'orsource',
  'string',
  'transitional',
  'tristate',
  'visible',
]);

export type Op = '||' | '&&' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '!' | '(' | ')' | ':=' | '+=';

export type Token =
  | { readonly t: 'kw'; readonly v: string; readonly col: number }
  | { readonly t: 'word'; readonly v: string; readonly col: number }
  | { readonly t: 'str'; readonly v: string; readonly col: number }
  | { readonly t: 'op'; readonly v: Op; readonly col: number };

export interface LexResult {
  tokens: Token[];
  /** Set for `NAME = value` / `:=` / `+=` lines (raw, unexpanded value). */
  assignment?: { name: string; op: '=' | ':=' | '+='; value: string };
  problems: string[];
}

const WORD_CHAR = /[A-Za-z0-9_-]/;

export function lexLine(line: string, expand: (s: string) => string): LexResult {
  const assignment = matchAssignment(line);
  if (assignment) return { tokens: [], assignment, problems: [] };
  const tokens: Token[] = [];
  const problems: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '#') break;
    if (c === '"' || c === "'") {
      const start = i;
      let text = '';
      let raw = '';
      i++;
      let closed = false;
      while (i < n) {
        const d = line[i]!;
        if (d === c) {
          closed = true;
          i++;
          break;
        }
        if (d === '\\') {
          if (i + 1 < n) raw += line[i + 1];
          i += 2;
          continue;
        }
        if (d === '$' && line[i + 1] === '(') {
          const end = matchParen(line, i + 1);
          if (end < 0) {
            raw += line.slice(i);
            i = n;
            break;
          }
          text += raw + expand(line.slice(i, end + 1));
          raw = '';
          i = end + 1;
          continue;
        }
        raw += d;
        i++;
      }
      if (!closed) problems.push('multi-line strings not supported');
      tokens.push({ t: 'str', v: text + raw, col: start });
      continue;
    }
    if (WORD_CHAR.test(c) || c === '$') {
      const start = i;
      let hasDollar = false;
      while (i < n) {
        const d = line[i]!;
        if (WORD_CHAR.test(d)) {
          i++;
        } else if (d === '$') {
          hasDollar = true;
          if (line[i + 1] === '(') {
            const end = matchParen(line, i + 1);
            if (end < 0) {
              problems.push("unterminated reference to '$('");
              i = n;
              break;
            }
            i = end + 1;
          } else i++;
        } else break;
      }
      const text = line.slice(start, i);
      if (hasDollar) {
        const v = expand(text);
        if (v !== '') tokens.push({ t: 'word', v, col: start });
      } else if (KEYWORDS.has(text)) tokens.push({ t: 'kw', v: text, col: start });
      else tokens.push({ t: 'word', v: text, col: start });
      // `---help---` has dashes only, which WORD_CHAR already covers
      continue;
    }
    const two = line.slice(i, i + 2);
    if (
      two === '||' ||
      two === '&&' ||
      two === '!=' ||
      two === '<=' ||
      two === '>=' ||
      two === ':=' ||
      two === '+='
    ) {
      tokens.push({ t: 'op', v: two, col: i });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>' || c === '!' || c === '(' || c === ')') {
      tokens.push({ t: 'op', v: c, col: i });
      i++;
      continue;
    }
    problems.push(`ignoring unsupported character '${c}'`);
    i++;
  }
  return { tokens, problems };
}

/** `NAME op value` with NAME a word (possibly with $(...)): the value is kept raw. */
function matchAssignment(line: string): LexResult['assignment'] {
  let i = 0;
  const n = line.length;
  while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
  const start = i;
  while (i < n) {
    const d = line[i]!;
    if (WORD_CHAR.test(d)) i++;
    else if (d === '$' && line[i + 1] === '(') {
      const end = matchParen(line, i + 1);
      if (end < 0) return undefined;
      i = end + 1;
    } else break;
  }
  if (i === start) return undefined;
  const name = line.slice(start, i);
  if (KEYWORDS.has(name)) return undefined;
  while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
  let op: '=' | ':=' | '+=';
  if (line.startsWith(':=', i)) op = ':=';
  else if (line.startsWith('+=', i)) op = '+=';
  else if (line[i] === '=') op = '=';
  else return undefined;
  const value = line.slice(i + op.length).replace(/^[ \t]+/, '');
  return { name, op, value };
}
