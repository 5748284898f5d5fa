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
  /** The last diagnostic read so far (continuation lines belong to it). */
  previous(): Diagnostic | undefined;
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

/** How conf words an unmet dependency; the kismet line and conf's block both become this. */
function unmetMessage(symbol: string, selector?: string): string {
  return `unmet direct dependencies detected for ${symbol}${selector ? ` (selected by ${selector})` : ''}`;
}

/** The symbol and selector of an unmetMessage, or undefined for any other message. */
export function parseUnmetMessage(
  message: string,
): { symbol: string; selector?: string } | undefined {
  const m = /^unmet direct dependencies detected for (\S+)(?: \(selected by (\S+)\))?$/.exec(
    message,
  );
  if (!m) return undefined;
  return m[2] ? { symbol: m[1]!, selector: m[2] } : { symbol: m[1]! };
}

/** Lines of conf's block after its WARNING line (robot reports sometimes unindent them). */
const UNMET_BLOCK = /^\s*(Depends on\b|Selected by\b|Implied by\b|- \S)/;

/**
 * conf's block: the lines below say what it depends on and who selects it. One diagnostic
 * per selector, so a new selector of an old problem is a new fingerprint.
 */
function readKconfigUnmet(m: RegExpExecArray, w: Walk): void {
  const selectors: string[] = [];
  for (let j = w.i + 1; j < w.lines.length && UNMET_BLOCK.test(w.lines[j]!); j++) {
    const s = /^\s*- ([A-Za-z0-9_]+)/.exec(w.lines[j]!);
    if (s && !selectors.includes(s[1]!)) selectors.push(s[1]!);
  }
  const kconfig = { severity: 'warning', kind: 'kconfig', file: '' } as const;
  if (!selectors.length) w.add({ ...kconfig, message: unmetMessage(m[1]!) });
  for (const by of selectors) w.add({ ...kconfig, message: unmetMessage(m[1]!, by) });
}

function readUndefinedRef(m: RegExpExecArray, w: Walk): void {
  const srcName = m[1];
  let file = srcName ? w.rel(srcName) : '';
  let fn = w.ld?.fn;
  if (w.ld) {
    // "main.c:(.text+0x1c)" names the source only by basename; the object has the path.
    const base = w.ld.object.replace(/\.o$/, '');
    const ext = srcName && /\.[A-Za-z]+$/.exec(srcName)?.[0];
    const objBase = base.slice(base.lastIndexOf('/') + 1);
    if (srcName && !srcName.includes('/') && ext && srcName.startsWith(objBase + '.'))
      file = base + ext;
    else if (file.endsWith('.o') && file !== w.ld.object)
      fn = undefined; // another object
    else file ||= w.ld.object;
  }
  w.add({
    severity: 'error',
    kind: 'linker',
    file,
    ...(m[2] || m[4] ? { line: Number(m[2] ?? m[4]) } : {}),
    message: quotes(m[5]!),
    ...(fn ? { function: fn } : {}),
  });
}

/**
 * "ld: vmlinux.o:kernel/foo.c:12: more undefined references to `x' follow": more of the
 * previous problem. It stands alone only when that problem was not read (a cut report).
 */
function readMoreUndefined(m: RegExpExecArray, w: Walk): void {
  const message = `undefined reference to '${m[2]!}'`;
  const prev = w.previous();
  if (prev?.kind === 'linker' && prev.message === message) return;
  // where: [x.o:]file:line[:(section)], [x.o:]file:(section), x.o:(section) or (section)
  const where = (m[1] ?? '').replace(/:?\([^)]*\)$/, '');
  const at = /^(?:\S+?\.o:(?=.))?(.*?)(?::(\d+))?$/.exec(where);
  const file = at?.[1] ? w.rel(at[1]) : (w.ld?.object ?? '');
  w.add({
    severity: 'error',
    kind: 'linker',
    file,
    ...(at?.[2] ? { line: Number(at[2]) } : {}),
    message,
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
    !/multiple definition|cannot find|undefined|relocation|overflow|not found|not recognized|error/i.test(
      rest,
    )
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
    // before gcc-in-function: binutils before 2.29 wrote "x.o: In function `f':" too
    kind: 'ld-in-function',
    pattern: new RegExp(
      `^(?:\\S*ld(?:\\.bfd|\\.lld)?: )?(\\S+\\.o): [Ii]n function ${Q}(.+?)${QE}:$`,
    ),
    apply(m, w) {
      w.ld = { object: w.rel(m[1]!), fn: m[2]! };
    },
  },
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
    kind: 'kismet',
    pattern:
      /^kismet: WARNING: unmet direct dependencies detected for (\S+) when selected by (\S+)$/,
    apply: (m, w) =>
      w.add({
        severity: 'warning',
        kind: 'kconfig',
        file: '',
        message: unmetMessage(m[1]!, m[2]),
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
    kind: 'ld-undefined-reference',
    pattern: new RegExp(
      // file:(section), file:line:(section) (with debug info) or file:line
      `^(?:\\S*ld(?:\\.bfd)?: )?(?:(\\S+?):(?:(\\d+):)?(?:\\(([^)]*)\\)|(\\d+)): )?(undefined reference to ${Q}.+?${QE})$`,
    ),
    apply: readUndefinedRef,
  },
  {
    kind: 'ld-undefined-reference-no-file',
    // old binutils without debug info: "(.text+0x1c): undefined reference to `g'" below
    // "x.o: In function `f':", the object file is the location
    pattern: new RegExp(
      `^(?:\\S*ld(?:\\.bfd)?: )?\\([^)]*\\): (undefined reference to ${Q}.+?${QE})$`,
    ),
    apply: (m, w) =>
      w.add({
        severity: 'error',
        kind: 'linker',
        file: w.ld?.object ?? '',
        message: quotes(m[1]!),
        ...(w.ld ? { function: w.ld.fn } : {}),
      }),
  },
  {
    kind: 'ld-more-undefined',
    pattern: new RegExp(
      `^(?:\\S*ld(?:\\.bfd)?: )?(?:(\\S+?): )?more undefined references to ${Q}(.+?)${QE} follow$`,
    ),
    apply: readMoreUndefined,
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
    // An O= dir directly inside the tree makes Kbuild's srctree "..": sources are ../path.
    if (p.startsWith('../')) p = p.slice(3);
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
    previous: () => out[out.length - 1],
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
