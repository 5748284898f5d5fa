// Build log -> Diagnostics. Pure: the caller says which path prefixes (source tree and
// O= dir, on the host and in the container) to strip so files are tree-relative.
// One rule per kind of log line (LINE_RULES); the first rule whose pattern matches a line
// reads it, so the order of the table is part of its meaning.
import { fingerprint, type Diagnostic, type DiagnosticKind, type Severity } from './diagnostic.js';

export interface ParseOptions {
  /** Absolute prefixes to remove from paths: source tree, O= dir, container mounts. */
  stripPrefixes?: readonly string[];
}

const Q = `[\`'‘"]`; // opening quote styles: gcc ASCII/UTF-8, binutils backtick
const QE = `['’"]`;

/** What a rule sees of the log and may change while the parser walks it. */
export interface Walk {
  readonly lines: readonly string[];
  /** Index of the matched line. */
  readonly i: number;
  rel(path: string): string;
  add(d: Omit<Diagnostic, 'fingerprint'>): void;
  /** gcc's "file: In function 'f':" context, for the complaints below it. */
  fn: { file: string; fn: string } | undefined;
  /** GNU ld's "x.o: in function `f':" context, for the undefined references below it. */
  ld: { object: string; fn: string } | undefined;
}

export interface LineRule {
  /** The kind of line, as tests and docs name it. */
  kind: string;
  pattern: RegExp;
  /** Read one matched line (and, for multi-line complaints, look at the lines after it). */
  apply(m: RegExpExecArray, w: Walk): void;
}

const severityOf = (s: string): Severity =>
  s.toLowerCase().includes('error') ? 'error' : 'warning';

const quotes = (s: string) => s.replace(/[`‘]/g, "'").replace(/’/g, "'");

function readModpost(m: RegExpExecArray, w: Walk): void {
  const body = m[2]!;
  const severity = severityOf(m[1]!);
  const mod = /^(.*?)\s*\[(\S+)\]\s*(.*)$/.exec(body);
  const obj = /^(\S+\.o): (.*)$/.exec(body);
  if (mod)
    w.add({
      severity,
      kind: 'modpost',
      file: w.rel(mod[2]!),
      message: `${mod[1]} ${mod[3]}`.trim(),
    });
  else if (obj) w.add({ severity, kind: 'modpost', file: w.rel(obj[1]!), message: obj[2]! });
  else w.add({ severity, kind: 'modpost', file: '', message: body });
}

/** conf's block: the indented lines below say what it depends on and who selects it. */
function readKconfigUnmet(m: RegExpExecArray, w: Walk): void {
  const selectors: string[] = [];
  for (let j = w.i + 1; j < w.lines.length && /^\s+\S/.test(w.lines[j]!); j++) {
    const s = /^\s+- (\S+)/.exec(w.lines[j]!);
    if (s) selectors.push(s[1]!);
  }
  const by = selectors.length ? ` (selected by ${selectors.join(', ')})` : '';
  w.add({
    severity: 'warning',
    kind: 'kconfig',
    file: '',
    message: `unmet direct dependencies detected for ${m[1]}${by}`,
  });
}

function readUndefinedRef(m: RegExpExecArray, w: Walk): void {
  const srcName = m[1];
  let file = srcName ? w.rel(srcName) : '';
  if (w.ld) {
    // "main.c:(.text+0x1c)" names the source only by basename; the object has the path.
    const base = w.ld.object.replace(/\.o$/, '');
    const ext = srcName && /\.[A-Za-z]+$/.exec(srcName)?.[0];
    const objBase = base.slice(base.lastIndexOf('/') + 1);
    file =
      srcName && !srcName.includes('/') && ext && srcName.startsWith(objBase + '.')
        ? base + ext
        : file || w.ld.object;
  }
  w.add({
    severity: 'error',
    kind: 'linker',
    file,
    ...(m[2] || m[4] ? { line: Number(m[2] ?? m[4]) } : {}),
    message: quotes(m[5]!),
    ...(w.ld ? { function: w.ld.fn } : {}),
  });
}

function readCompiler(m: RegExpExecArray, w: Walk, hasCol: boolean): void {
  const file = w.rel(m[1]!);
  const kind: DiagnosticKind = /\.(S|s)$/.test(file) ? 'assembler' : 'compiler';
  w.add({
    severity: severityOf(m[hasCol ? 4 : 3]!),
    kind,
    file,
    line: Number(m[2]),
    ...(hasCol ? { column: Number(m[3]) } : {}),
    message: m[hasCol ? 5 : 4]!.trim(),
    ...(w.fn && w.fn.file === file ? { function: w.fn.fn } : {}),
  });
}

/** ld.lld: the ">>> referenced by" lines below carry the file and function. */
function readLldUndefined(message: string, w: Walk): void {
  let file = '';
  let fn: string | undefined;
  let lineNo: number | undefined;
  for (let j = w.i + 1; j < w.lines.length && w.lines[j]!.startsWith('>>>'); j++) {
    const r = /^>>> referenced by (\S+?)(?::(\d+))?(?: \((\S+?)(?::\d+)?\))?$/.exec(w.lines[j]!);
    if (r && !file) {
      file = w.rel(r[3] ?? r[1]!);
      if (r[2]) lineNo = Number(r[2]);
    }
    const o = /^>>>\s+(\S+\.o):\((.+?)\)/.exec(w.lines[j]!);
    if (o) {
      fn = o[2];
      const objDir = w.rel(o[1]!).replace(/[^/]*$/, '');
      if (file && !file.includes('/')) file = objDir + file;
      else if (!file) file = w.rel(o[1]!);
    }
  }
  w.add({
    severity: 'error',
    kind: 'linker',
    file,
    ...(lineNo ? { line: lineNo } : {}),
    message,
    ...(fn ? { function: fn } : {}),
  });
}

function readLdOther(m: RegExpExecArray, w: Walk): void {
  const rest = m[3]!;
  if (/\.o: in function /.test(rest)) return;
  if (m[2] === 'error' && rest.startsWith('undefined symbol: ')) return readLldUndefined(rest, w);
  // Untagged ld chatter is a complaint only when it says so.
  if (
    !m[2] &&
    !/multiple definition|cannot find|undefined|relocation|overflow|not found|error/i.test(rest)
  )
    return;
  const fileMsg = /^(\S+?\.o|\S+\.a)(?:\(\S+\))?: (.*)$/.exec(rest);
  w.add({
    severity: m[2] === 'warning' ? 'warning' : 'error',
    kind: 'linker',
    file: fileMsg ? w.rel(fileMsg[1]!) : '',
    message: (fileMsg ? fileMsg[2]! : rest).trim(),
  });
}

export const LINE_RULES: readonly LineRule[] = [
  {
    kind: 'gcc-in-function',
    pattern: new RegExp(`^(.+?): In (?:function|member function|static function) ${Q}(.+?)${QE}:$`),
    apply(m, w) {
      w.fn = { file: w.rel(m[1]!), fn: m[2]! };
    },
  },
  {
    kind: 'gcc-top-level',
    pattern: /^(.+?): At top level:$/,
    apply(_m, w) {
      w.fn = undefined;
    },
  },
  {
    kind: 'make-error',
    pattern: /^g?make(?:\[\d+\])?: \*\*\* (?:\[(.+?)\] )?(.*)$/,
    apply(m, w) {
      const bracket = m[1];
      const target = bracket ? bracket.slice(bracket.lastIndexOf(': ') + 1).trim() : '';
      w.add({ severity: 'error', kind: 'make', file: w.rel(target), message: m[2]!.trim() });
    },
  },
  { kind: 'modpost', pattern: /^(ERROR|WARNING): modpost: (.*)$/, apply: readModpost },
  {
    kind: 'kconfig-selects',
    pattern: /^warning: \((.+?)\) selects (\S+) which has unmet direct dependencies \((.*)\)$/,
    apply: (m, w) =>
      w.add({
        severity: 'warning',
        kind: 'kconfig',
        file: '',
        message: `(${m[1]}) selects ${m[2]} which has unmet direct dependencies (${m[3]})`,
      }),
  },
  {
    kind: 'kconfig-unmet',
    pattern: /^WARNING: unmet direct dependencies detected for (\S+)$/,
    apply: readKconfigUnmet,
  },
  {
    kind: 'kconfig-file',
    pattern:
      /^(\S*Kconfig[^\s:]*|\S*\.config|\S*_defconfig|\S*\.fragment|\S*\.cfg):(\d+):(warning|error): ?(.*)$/,
    apply: (m, w) =>
      w.add({
        severity: severityOf(m[3]!),
        kind: 'kconfig',
        file: w.rel(m[1]!),
        line: Number(m[2]),
        message: m[4]!.trim(),
      }),
  },
  {
    kind: 'ld-in-function',
    pattern: new RegExp(`^(?:\\S*ld(?:\\.bfd|\\.lld)?: )?(\\S+\\.o): in function ${Q}(.+?)${QE}:$`),
    apply(m, w) {
      w.ld = { object: w.rel(m[1]!), fn: m[2]! };
    },
  },
  {
    kind: 'ld-undefined-reference',
    pattern: new RegExp(
      // file:(section), file:line:(section) (with debug info) or file:line
      `^(?:\\S*ld(?:\\.bfd)?: )?(?:(\\S+?):(?:(\\d+):)?(?:\\(([^)]*)\\)|(\\d+)): )?(undefined reference to ${Q}.+?${QE})$`,
    ),
    apply: readUndefinedRef,
  },
  {
    kind: 'compiler',
    pattern: /^(.+?):(\d+):(\d+): (fatal error|error|warning): (.*)$/,
    apply: (m, w) => readCompiler(m, w, true),
  },
  {
    kind: 'compiler-no-column',
    pattern: /^(.+?):(\d+): (fatal error|error|warning): (.*)$/,
    apply: (m, w) => readCompiler(m, w, false),
  },
  {
    kind: 'assembler',
    pattern: /^(.+?):(\d+): (Error|Warning): (.*)$/,
    apply: (m, w) =>
      w.add({
        severity: severityOf(m[3]!),
        kind: 'assembler',
        file: w.rel(m[1]!),
        line: Number(m[2]),
        message: m[4]!.trim(),
      }),
  },
  {
    kind: 'compiler-driver',
    pattern:
      /^([A-Za-z0-9_.+-]*(?:cc1|gcc|clang|cc|g\+\+)(?:-\d+)?): (fatal error|error|warning): (.*)$/,
    apply: (m, w) =>
      w.add({ severity: severityOf(m[2]!), kind: 'compiler', file: '', message: m[3]!.trim() }),
  },
  {
    kind: 'ld-other',
    pattern: /^(\S*?-?ld(?:\.bfd|\.lld)?): (?:(error|warning): )?(.*)$/,
    apply: readLdOther,
  },
];

/** Source excerpts and carets under a complaint: never complaints themselves. */
const NOISE = [/^\s*[\^~]+[~^\s]*$/, /^\s*\d*\s*\|/];

function stripper(prefixes: readonly string[]): (path: string) => string {
  const sorted = prefixes
    .filter((p) => p.length > 1)
    .map((p) => (p.endsWith('/') ? p : p + '/'))
    .sort((a, b) => b.length - a.length);
  return (path) => {
    let p = path.trim();
    const pre = sorted.find((s) => p.startsWith(s));
    if (pre) p = p.slice(pre.length);
    while (p.startsWith('./')) p = p.slice(2);
    return p;
  };
}

export function parseBuildLog(log: string, opts: ParseOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const lines = log.split(/\r?\n/);
  const w: Walk & { i: number } = {
    lines,
    i: 0,
    rel: stripper(opts.stripPrefixes ?? []),
    add(d) {
      const full: Diagnostic = { ...d, fingerprint: fingerprint(d) };
      const key = `${full.fingerprint}@${full.line ?? ''}:${full.column ?? ''}`;
      if (seen.has(key)) return; // parallel make prints some twice
      seen.add(key);
      out.push(full);
    },
    fn: undefined,
    ld: undefined,
  };
  for (; w.i < lines.length; w.i++) {
    const line = lines[w.i]!;
    if (!line || NOISE.some((re) => re.test(line))) continue;
    for (const rule of LINE_RULES) {
      const m = rule.pattern.exec(line);
      if (!m) continue;
      rule.apply(m, w);
      break;
    }
  }
  return out;
}

export function countBySeverity(ds: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const d of ds)
    if (d.severity === 'error') errors++;
    else warnings++;
  return { errors, warnings };
}
