// The Kconfig macro language (scripts/kconfig/preprocess.c): variables, user-defined
// functions and the built-ins. Nothing here runs a shell: $(shell,...) and anything
// built on it ($(cc-option), $(success), ...) expand to OPAQUE, an unknown text.
import type { Diagnostic, Location } from './ast.js';

/** Stands for text we cannot know without running the toolchain. */
const OPAQUE = '\uE000';

export function isOpaque(s: string): boolean {
  return s.includes(OPAQUE);
}

type Flavor = 'simple' | 'recursive';

interface Variable {
  flavor: Flavor;
  value: string;
}

const MAX_DEPTH = 100;

export class MacroExpander {
  private readonly vars = new Map<string, Variable>();
  private readonly expanding = new Set<string>();
  /** Environment variables Kconfig asked for, like auto.conf.cmd records them. */
  readonly envUsed = new Set<string>();
  private loc: Location = { file: '', line: 0 };
  private depth = 0;

  constructor(
    private readonly env: Readonly<Record<string, string>>,
    private readonly diagnostics: Diagnostic[],
  ) {}

  at(loc: Location): void {
    this.loc = loc;
  }

  assign(rawName: string, op: '=' | ':=' | '+=', rawValue: string): void {
    const name = this.expand(rawName);
    const existing = this.vars.get(name);
    if (op === '+=' && existing) {
      const add = existing.flavor === 'simple' ? this.expand(rawValue) : rawValue;
      existing.value = existing.value === '' ? add : `${existing.value} ${add}`;
      return;
    }
    if (op === ':=') this.vars.set(name, { flavor: 'simple', value: this.expand(rawValue) });
    else this.vars.set(name, { flavor: 'recursive', value: rawValue });
  }

  /** Expand every $(...) in text. */
  expand(text: string, args: readonly string[] = []): string {
    if (!text.includes('$')) return text;
    let out = '';
    let i = 0;
    while (i < text.length) {
      const d = text.indexOf('$', i);
      if (d < 0) {
        out += text.slice(i);
        break;
      }
      out += text.slice(i, d);
      if (text[d + 1] !== '(') {
        out += '$';
        i = d + 1;
        continue;
      }
      const end = matchParen(text, d + 1);
      if (end < 0) {
        this.report('error', "unterminated reference to '$('");
        return out;
      }
      out += this.evalClause(text.slice(d + 2, end), args);
      i = end + 1;
    }
    return out;
  }

  private evalClause(body: string, args: readonly string[]): string {
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      this.report('error', 'macro expansion too deep');
      return '';
    }
    try {
      const parts = splitTopLevelCommas(body);
      const name = this.expand(parts[0] ?? '', args);
      const callArgs = parts.slice(1).map((p) => this.expand(p, args));
      if (isOpaque(name)) return OPAQUE;
      if (args.length > 0 && /^[0-9]+$/.test(name) && callArgs.length === 0) {
        return args[Number(name) - 1] ?? '';
      }
      const v = this.vars.get(name);
      if (v) {
        if (v.flavor === 'simple') return v.value;
        if (this.expanding.has(name)) {
          this.report('error', `Recursive variable '${name}' references itself (eventually)`);
          return '';
        }
        this.expanding.add(name);
        try {
          return this.expand(v.value, callArgs);
        } finally {
          this.expanding.delete(name);
        }
      }
      switch (name) {
        case 'shell':
          return OPAQUE;
        case 'info':
          this.report('info', callArgs[0] ?? '');
          return '';
        case 'warning-if':
          if (callArgs[0] === 'y') this.report('warning', callArgs[1] ?? '');
          return '';
        case 'error-if':
          if (callArgs[0] === 'y') this.report('error', callArgs[1] ?? '');
          return '';
        case 'filename':
          return this.loc.file;
        case 'lineno':
          return String(this.loc.line);
      }
      if (callArgs.length === 0) {
        this.envUsed.add(name);
        const value = this.env[name];
        return value ?? OPAQUE;
      }
      this.report('error', `unknown function "${name}"`);
      return '';
    } finally {
      this.depth--;
    }
  }

  private report(severity: Diagnostic['severity'], message: string): void {
    this.diagnostics.push({ severity, file: this.loc.file, line: this.loc.line, message });
  }
}

/** Index of the ')' matching the '(' at open, or -1. */
export function matchParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function splitTopLevelCommas(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}
