// A kernel test robot (0-day / LKP) build report, read into fields. Pure: the text is data
// from a mail and may be hostile; nothing here runs or validates it for running (see plan.ts).
// Understands the 2018-2020 blocks (tree/head/commit/config/compiler/reproduce: with
// make.cross lines, "All errors (new ones prefixed by >>):") and the 2021-2025 ones
// ("reproduce (this is a W=1 build):", "| Closes: https://lore.kernel.org/oe-kbuild-all/..."),
// kismet reports ("kismet warnings:"), merge_config.sh's "Value requested for CONFIG_X not in
// final .config" blocks (a pin that did not hold; in a section or pasted bare), quoted ("> ")
// as in replies or not.
import { fingerprint, mostSpecific, type Diagnostic } from '../diagnostics/diagnostic.js';
import { parseBuildLog, parseUnmetMessage } from '../diagnostics/parse.js';
import {
  isMergeConfigHead,
  readMergeConfigBlock,
  requestDiagnostic,
  type PinRequest,
} from './merge-config.js';

/** `kconfig`: "Kconfig warnings: (for reference only)" below a build report's complaints. */
export type ReportSection = 'errors' | 'warnings' | 'sparse' | 'smatch' | 'kismet' | 'kconfig';

/** One complaint the report lists, fingerprinted like a build log's. */
export interface ReportedIssue extends Diagnostic {
  /** Prefixed with ">>" in the report: new with the reported commit. */
  new: boolean;
  section: ReportSection;
  /** Which tool produced it: sparse complaints need C=1 and the sparse binary; kconfig: conf. */
  tool: 'compiler' | 'sparse' | 'kconfig';
  /** merge_config.sh's "Value requested for CONFIG_X not in final .config": the pin asked for. */
  request?: PinRequest;
}

export interface MakeLine {
  /** The line as written (after unquoting). */
  text: string;
  /** NAME=value assignments before the command (COMPILER=gcc-13.2.0, GCC_VERSION=7.2.0). */
  env: Record<string, string>;
  /** make, make.cross, ~/bin/make.cross ... */
  command: string;
  /** NAME=value make variables, in order. */
  vars: { name: string; value: string }[];
  /** Everything else after the command: goals, options. */
  goals: string[];
}

export interface RobotReport {
  /** Lines were quoted ("> ") this many levels deep. */
  quoteDepth: number;
  tree?: { url: string; branch?: string };
  head?: string;
  commit?: { sha: string; subject?: string };
  /** base: a sha, a ref (next-20250714, tip/x86/core) or "URL branch". */
  base?: { sha?: string; ref?: string; url?: string };
  url?: string;
  patchLink?: string;
  patchSubject?: string;
  date?: string;
  config?: {
    name: string;
    /** download.01.org link, when the report gives one. */
    link?: string;
    /** "attached as .config": the mail carried it as an attachment. */
    attached: boolean;
  };
  compiler?: {
    text: string;
    family?: 'gcc' | 'clang';
    /** x.y.z when the text names one. */
    version?: string;
  };
  /** "(this is a W=1 build)" */
  w1Build: boolean;
  /** Link to the reproduce script (recent reports put the steps behind it). */
  reproduceLink?: string;
  /** The reproduce block's lines, as written (after unquoting). */
  reproduceSteps: string[];
  makeLines: MakeLine[];
  /** git checkout <sha> in the reproduce block. */
  checkout?: string;
  /** git remote add NAME URL (+ git fetch NAME REF): where the robot got the commit. */
  remote?: { name: string; url: string; ref?: string };
  /** A kismet report's pair: SELECTOR selects SELECTEE whose dependencies are unmet. */
  kismet?: { selectee: string; selector: string; arch?: string; from: string };
  reportedBy?: string;
  closes?: string;
  issues: ReportedIssue[];
  /** Lines in an errors/warnings section that look like complaints but could not be read. */
  unparsed: string[];
  /** Complaints read but unusable (a requested value that is no Kconfig value): line and why. */
  invalid: string[];
  /** Fields a reproduction would want that the report does not have. */
  missing: string[];
}

const MARKERS = String.raw`(?: \((?:new ones prefixed by >>(?:, old ones prefixed by <<)?|for reference only)\))?`;
const SECTION = new RegExp(
  String.raw`^(all errors|all warnings|all error\/warnings|errors|warnings|sparse warnings|smatch warnings|kismet warnings|kconfig warnings)${MARKERS}:?${MARKERS}:?\s*$`,
  'i',
);
const SECTION_END = /^(vim \+|---+\s*$|0-DAY|# https?:\/\/|git (remote|fetch|checkout) )/;
/** What follows "--" inside a section (clang reports separate files so) rather than a signature. */
const MORE_COMPLAINTS = /^(>>|\s+\S+:\d+|\S+:\d+[:(]|\S+: In |In file included|\S*ld(\.lld)?: )/;
const SHA = /^[0-9a-f]{7,40}$/;

/** Lines with `depth` levels of "> " quoting removed (what a reply does to a mail). */
export function unquote(text: string): { lines: string[]; depth: number } {
  const raw = text.replace(/\r\n?/g, '\n').split('\n');
  let depth = 0;
  for (const l of raw) {
    const m = /^((?:>[ \t]?)*)[ \t]*(tree|config|compiler|head|commit|reproduce)\b[^:]*:/i.exec(l);
    if (m) {
      depth = (m[1]!.match(/>/g) ?? []).length;
      break;
    }
  }
  const strip = (l: string): string => {
    let s = l;
    for (let i = 0; i < depth; i++) {
      const m = /^>[ \t]?/.exec(s);
      if (!m) break;
      s = s.slice(m[0].length);
    }
    return s;
  };
  return { lines: raw.map(strip), depth };
}

/** Whitespace-separated words with '...' and "..." quoting (no expansion of anything). */
export function splitWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: string | undefined;
  for (const ch of line) {
    if (q) {
      if (ch === q) q = undefined;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      q = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (has || cur) out.push(cur);
  return out;
}

const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** A make or make.cross command line from a reproduce block, or undefined. */
export function parseMakeLine(line: string): MakeLine | undefined {
  const text = line.trim();
  if (text.startsWith('#')) return undefined;
  const words = splitWords(text);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length; i++) {
    const a = ASSIGN.exec(words[i]!);
    if (!a) break;
    env[a[1]!] = a[2]!;
  }
  const command = words[i];
  if (!command || !/(^|\/)make(\.cross)?$/.test(command)) return undefined;
  const vars: MakeLine['vars'] = [];
  const goals: string[] = [];
  for (const w of words.slice(i + 1)) {
    const a = ASSIGN.exec(w);
    if (a) vars.push({ name: a[1]!, value: a[2]! });
    else goals.push(w);
  }
  return { text, env, command, vars, goals };
}

function parseCompiler(text: string): NonNullable<RobotReport['compiler']> {
  const clang = /clang version (\d+\.\d+\.\d+)/i.exec(text);
  if (clang) return { text, family: 'clang', version: clang[1]! };
  if (/\bclang\b/i.test(text)) return { text, family: 'clang' };
  if (/gcc/i.test(text)) {
    // "gcc-13 (Ubuntu 13.2.0-4ubuntu3) 13.2.0", "arm-linux-gnueabi-gcc (GCC) 8.5.0"
    const all = [...text.matchAll(/\b(\d+\.\d+\.\d+)\b/g)];
    const version = all.length ? all[all.length - 1]![1]! : undefined;
    return version ? { text, family: 'gcc', version } : { text, family: 'gcc' };
  }
  return { text };
}

function parseConfig(value: string): NonNullable<RobotReport['config']> {
  const m = /^(\S+)(?:\s+\((.*)\))?/.exec(value.trim());
  const name = m?.[1] ?? value.trim();
  const inner = m?.[2]?.trim();
  const link = inner && /^https?:\/\/\S+$/.test(inner) ? inner : undefined;
  const attached = !!inner && /attached/i.test(inner);
  return link ? { name, link, attached } : { name, attached };
}

const SPARSE = /^(.+?):(\d+):(\d+): sparse: (.*)$/;
const CODE_CONTEXT = /^\s*(\d+\s*)?\|/;
const CARET = /^\s*[\^~]+[~^\s]*$/;

/**
 * merge_config.sh blocks among `lines` (blanked in place so no other reader sees them): one
 * Kconfig complaint per pin that did not hold, new when any of its lines is marked.
 */
function takeMergeConfig(
  lines: string[],
  isNew: readonly boolean[],
  section: ReportSection,
  lineNo: (i: number) => number,
): { issues: ReportedIssue[]; invalid: string[] } {
  const issues: ReportedIssue[] = [];
  const invalid: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!isMergeConfigHead(lines[i]!)) continue;
    const b = readMergeConfigBlock(lines, i, lineNo);
    if (b.problem) invalid.push(b.problem);
    if (b.request) {
      const d = requestDiagnostic(b.request, section === 'errors' ? 'error' : 'warning');
      const fresh = b.used.some((k) => isNew[k]);
      issues.push({ ...d, new: fresh, section, tool: 'kconfig', request: b.request });
    }
    for (const k of b.used) lines[k] = '';
    i = b.used[b.used.length - 1]!;
  }
  return { issues, invalid };
}

/** The complaint lines of one section, read with the build-log parser so fingerprints match. */
function parseSection(
  lines: readonly string[],
  section: ReportSection,
  lineNo: (i: number) => number,
): { issues: ReportedIssue[]; unparsed: string[]; invalid: string[] } {
  const cleaned: string[] = [];
  const isNew: boolean[] = [];
  for (const l of lines) {
    // ">>" new with the reported commit; "<<" old (as are unmarked lines)
    const m = /^(>>|<<)\s?(.*)$/.exec(l);
    cleaned.push((m ? m[2]! : l).replace(/^\s{1,3}(?=\S)/, ''));
    isNew.push(m?.[1] === '>>');
  }
  const merged = takeMergeConfig(cleaned, isNew, section, lineNo);
  const issues: ReportedIssue[] = merged.issues;
  const unparsed: string[] = [];
  const key = (d: Diagnostic) => `${d.fingerprint}@${d.line ?? ''}:${d.column ?? ''}`;

  // sparse lines first: the build-log parser does not read them (kmatrix builds run no sparse)
  const forLog: string[] = [];
  const sparseSeen = new Set<string>();
  cleaned.forEach((l, i) => {
    const s = SPARSE.exec(l);
    if (!s) {
      forLog.push(l);
      return;
    }
    forLog.push('');
    const msg = s[4]!;
    if (!msg.startsWith('sparse: ') && /^\s/.test(msg)) return; // "sparse:     expected ..." detail
    const d = {
      severity: 'warning' as const,
      kind: 'compiler' as const,
      file: s[1]!.replace(/^\.\//, ''),
      line: Number(s[2]),
      column: Number(s[3]),
      message: msg.replace(/^sparse: /, '').trim(),
    };
    const full: ReportedIssue = {
      ...d,
      fingerprint: fingerprint(d),
      new: isNew[i]!,
      section: 'sparse',
      tool: 'sparse',
    };
    if (sparseSeen.has(key(full))) {
      if (full.new) issues.find((x) => key(x) === key(full))!.new = true;
      return;
    }
    sparseSeen.add(key(full));
    issues.push(full);
  });

  const all = parseBuildLog(forLog.join('\n'));
  // Which of them are new: parse again with the non-">>" complaint lines blanked out (context
  // lines such as "In function" and "ld: x.o: in function" stay, they carry no complaint).
  const onlyNew = forLog.map((l, i) => (isNew[i] || !l || parseBuildLog(l).length === 0 ? l : ''));
  const newKeys = new Set(parseBuildLog(onlyNew.join('\n')).map(key));
  for (const d of all) {
    const tool = d.kind === 'kconfig' ? 'kconfig' : 'compiler';
    issues.push({ ...d, new: newKeys.has(key(d)), section, tool });
  }
  // A ">>" line that yielded nothing is worth saying so (e.g. a linker line format not known).
  forLog.forEach((l, i) => {
    if (!isNew[i] || !l.trim() || CODE_CONTEXT.test(l) || CARET.test(l)) return;
    if (
      parseBuildLog(l).length === 0 &&
      !/: (In|At) |in function|^In file included|^\s+from |^\d+ (errors?|warnings?) /.test(l)
    )
      unparsed.push(l.trim());
  });
  return { issues, unparsed, invalid: merged.invalid };
}

function sectionKind(header: string): ReportSection {
  const h = header.toLowerCase();
  if (h.startsWith('kismet')) return 'kismet';
  if (h.startsWith('kconfig')) return 'kconfig';
  if (h.startsWith('sparse')) return 'sparse';
  if (h.startsWith('smatch')) return 'smatch';
  return h.includes('error') ? 'errors' : 'warnings';
}

/** smatch: "file.c:123 func() warn: message" (no column); kept as warnings. */
function parseSmatch(body: readonly string[]): ReportedIssue[] {
  const out: ReportedIssue[] = [];
  for (const l of body) {
    const m = /^(>>)?\s*(\S+?):(\d+) (?:(\S+)\(\) )?(warn|error): (.*)$/.exec(l);
    if (!m) continue;
    const d = {
      severity: m[5] === 'error' ? ('error' as const) : ('warning' as const),
      kind: 'compiler' as const,
      file: m[2]!,
      line: Number(m[3]),
      message: m[6]!.trim(),
    };
    out.push({
      ...d,
      ...(m[4] ? { function: m[4] } : {}),
      fingerprint: fingerprint(d),
      new: !!m[1],
      section: 'smatch',
      tool: 'sparse',
    });
  }
  return out;
}

/** The lines of the section whose header is at `start`, and the index after them. */
function sectionBody(lines: readonly string[], start: number): { body: string[]; end: number } {
  const body: string[] = [];
  let j = start + 1;
  for (; j < lines.length; j++) {
    const l = lines[j]!;
    if (SECTION_END.test(l.trim()) || (SECTION.test(l.trim()) && !l.startsWith(' '))) break;
    if (/^-- ?$/.test(l)) {
      const next = lines.slice(j + 1).find((x) => x.trim() !== '');
      if (!next || !MORE_COMPLAINTS.test(next)) break;
    }
    body.push(l);
  }
  return { body, end: j };
}

/** A section's body; `first` is the report line number of its first line. */
/** merge_config.sh output outside a section: its blocks from `start` on, blank lines between. */
function mergeConfigRun(lines: readonly string[], start: number): { body: string[]; end: number } {
  let j = start;
  while (
    j < lines.length &&
    (isMergeConfigHead(lines[j]!) || /^\s*(Requested|Actual) value:|^\s*$/.test(lines[j]!))
  )
    j++;
  return { body: lines.slice(start, j), end: j };
}

function readSection(r: RobotReport, header: string, body: readonly string[], first: number): void {
  const kind = sectionKind(header);
  if (kind === 'smatch') {
    r.issues.push(...parseSmatch(body));
    return;
  }
  const got = parseSection(body, kind, (k) => first + k);
  r.issues.push(...got.issues);
  r.unparsed.push(...got.unparsed);
  r.invalid.push(...got.invalid);
}

/** One header line ("tree:", "commit:", ...) and what it fills in. */
interface HeaderField {
  /** The header word(s) before the colon, as a regex source (matched case-insensitively). */
  header: string;
  /** `block` takes the indented lines after the header (the reproduce steps). */
  read(value: string, r: RobotReport, ctx: { header: string; block: () => string[] }): void;
}

const ignored: HeaderField['read'] = () => {};

const HEADER_FIELDS: readonly HeaderField[] = [
  {
    header: 'tree',
    read(value, r) {
      if (!value) return;
      const [url, branch] = value.split(/\s+/);
      r.tree = branch ? { url: url!, branch } : { url: url! };
    },
  },
  {
    header: 'head',
    read(value, r) {
      const sha = value.split(/\s/)[0] ?? '';
      if (SHA.test(sha)) r.head = sha;
    },
  },
  {
    header: 'commit',
    read(value, r) {
      const m = /^([0-9a-f]{7,40})\b\s*(.*)$/.exec(value);
      if (!m) return;
      const subject = m[2]!
        .replace(/^\[\d+\/\d+\]\s*/, '')
        .replace(/^\("?(.*?)"?\)$/, '$1')
        .trim();
      r.commit = subject ? { sha: m[1]!, subject } : { sha: m[1]! };
    },
  },
  {
    header: 'base',
    read(value, r) {
      if (!value) return;
      const words = value.split(/\s+/);
      if (SHA.test(words[0]!)) r.base = { sha: words[0]! };
      else if (/^https?:\/\/|^git:\/\//.test(words[0]!)) {
        const second = words[1];
        // "base: URL <sha>" names the commit, "base: URL branch" only where to find it
        if (second && SHA.test(second)) r.base = { url: words[0]!, sha: second };
        else r.base = second ? { url: words[0]!, ref: second } : { url: words[0]! };
      } else r.base = { ref: words[0]! };
    },
  },
  {
    header: 'date',
    read(value, r) {
      r.date = value;
    },
  },
  {
    header: 'url',
    read(value, r) {
      r.url = value;
    },
  },
  {
    header: 'patch link',
    read(value, r) {
      r.patchLink = value;
    },
  },
  {
    header: 'patch subject',
    read(value, r) {
      r.patchSubject = value;
    },
  },
  {
    header: 'config',
    read(value, r) {
      if (value) r.config = parseConfig(value);
    },
  },
  {
    header: 'compiler',
    read(value, r) {
      if (value) r.compiler = parseCompiler(value);
    },
  },
  {
    header: 'reproduce(?: \\(this is a W=1 build\\))?',
    read(value, r, ctx) {
      if (/W=1/i.test(ctx.header)) r.w1Build = true;
      const link = /^\((https?:\/\/\S+)\)$/.exec(value);
      if (link) r.reproduceLink = link[1]!;
      else if (value) r.reproduceSteps.push(value); // "reproduce: make C=1 CF=-D__CHECK_ENDIAN__"
      r.reproduceSteps.push(...ctx.block());
    },
  },
  { header: 'sparse|smatch version|sparse version|clang version', read: ignored },
];

const FIELD = new RegExp(`^(${HEADER_FIELDS.map((f) => f.header).join('|')}):(?:\\s+(.*))?$`, 'i');
const FIELD_OF = HEADER_FIELDS.map((f) => ({ field: f, re: new RegExp(`^(?:${f.header})$`, 'i') }));

/** Reads line `i` (and the lines it owns); returns the index of the last line it used. */
function readLine(lines: readonly string[], i: number, r: RobotReport): number {
  const line = lines[i]!;
  const trimmed = line.trim();
  // "| Reported-by: ...", "| Closes: ...", "Reported-by: ..." (older: no bar)
  const tag = /^\|?\s*(Reported-by|Closes|Link):\s*(.+)$/.exec(trimmed);
  if (tag) {
    if (tag[1] === 'Reported-by') r.reportedBy ??= tag[2]!.trim();
    else if (/lore\.kernel\.org|oe-kbuild/.test(tag[2]!)) r.closes ??= tag[2]!.trim();
    return i;
  }
  // older clang reports repeat the remote/fetch/checkout steps after the errors
  if (/^git (checkout|remote add|fetch) /.test(line)) {
    readGitStep(r, trimmed);
    return i;
  }
  const sec = SECTION.exec(trimmed);
  if (sec && !line.startsWith(' ')) {
    const { body, end } = sectionBody(lines, i);
    readSection(r, sec[1]!, body, i + 2);
    return end - 1;
  }
  // merge_config.sh's output pasted into a mail without a section header (old complaints)
  if (isMergeConfigHead(trimmed)) {
    const { body, end } = mergeConfigRun(lines, i);
    readSection(r, 'kconfig warnings', body, i + 1);
    return end - 1;
  }
  const f = FIELD.exec(trimmed);
  if (!f || line.startsWith('  ')) return i;
  const field = FIELD_OF.find((x) => x.re.test(f[1]!))!.field;
  let last = i;
  const block = () => {
    // The steps follow, indented, up to the first blank line.
    const out: string[] = [];
    for (let j = i + 1; j < lines.length && /^\s+\S/.test(lines[j]!); j++) {
      out.push(lines[j]!.trim());
      last = j;
    }
    return out;
  };
  field.read((f[2] ?? '').trim(), r, { header: f[1]!, block });
  return last;
}

/** git checkout / git remote add / git fetch: which commit, and where the robot got it. */
function readGitStep(r: RobotReport, step: string): void {
  const co = /^git checkout ([0-9a-f]{7,40})$/.exec(step);
  if (co) r.checkout ??= co[1]!;
  const remote = /^git remote add (\S+) (\S+)$/.exec(step);
  if (remote && !r.remote) r.remote = { name: remote[1]!, url: remote[2]! };
  const fetch = /^git fetch(?: --\S+)* (\S+) (\S+)$/.exec(step);
  if (fetch && r.remote && r.remote.name === fetch[1] && !r.remote.ref) r.remote.ref = fetch[2]!;
}

/** "kismet --linux-ksrc=linux --selectees CONFIG_X --selectors CONFIG_Y -a=arm" */
const KISMET_COMMAND =
  /^kismet\b.*--selectees[ =]CONFIG_([A-Za-z0-9_]+)\b.*--selectors[ =]CONFIG_([A-Za-z0-9_]+)\b(?:.*\s-a[ =]([a-z0-9_]+))?/;
/** 0-day's kismet config names: arm-kismet-CONFIG_KEXEC-CONFIG_CRASH_DUMP-0-0 */
const KISMET_CONFIG = /^([a-z0-9_]+)-kismet-CONFIG_([A-Za-z0-9_]+)-CONFIG_([A-Za-z0-9_]+)-\d+-\d+$/;

/** The kismet pair: from the config name, the kismet command, or the first new kismet line. */
function kismetOf(r: RobotReport): RobotReport['kismet'] {
  const named = r.config && KISMET_CONFIG.exec(r.config.name);
  if (named)
    return { selectee: named[2]!, selector: named[3]!, arch: named[1]!, from: 'config name' };
  for (const step of r.reproduceSteps) {
    const k = KISMET_COMMAND.exec(step);
    if (k)
      return {
        selectee: k[1]!,
        selector: k[2]!,
        ...(k[3] ? { arch: k[3] } : {}),
        from: 'kismet command',
      };
  }
  const issues = r.issues.filter((i) => i.section === 'kismet');
  for (const i of [...issues.filter((x) => x.new), ...issues]) {
    const u = parseUnmetMessage(i.message);
    if (u?.selector) return { selectee: u.symbol, selector: u.selector, from: 'kismet warning' };
  }
  return undefined;
}

/** Make lines and git steps (checkout, remote, fetch) from reproduce steps. */
function readSteps(r: RobotReport, steps: readonly string[], makeLines = true): void {
  for (const step of steps) {
    const mk = makeLines ? parseMakeLine(step) : undefined;
    if (mk) r.makeLines.push(mk);
    readGitStep(r, step);
  }
}

/**
 * The `reproduce` file recent reports link to, saved beside the report: its git steps and
 * kismet command where the report has none, its make lines when the report has none.
 */
export function addReproduceFile(r: RobotReport, text: string): void {
  const steps = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  readSteps(r, steps, r.makeLines.length === 0);
  r.reproduceSteps.push(...steps.filter((l) => KISMET_COMMAND.test(l)));
  const kismet = r.kismet ?? kismetOf(r);
  if (kismet) r.kismet = kismet;
  r.missing = missingFields(r);
}

/** Fields a reproduction would want that the report does not have. */
function missingFields(r: RobotReport): string[] {
  const missing: string[] = [];
  if (!r.config) missing.push('config (no "config:" line)');
  else if (!r.config.link && !r.config.attached) missing.push('config link');
  // a kismet or merge_config report is about Kconfig: no compiler to name
  const kconfigOnly = r.issues.length > 0 && r.issues.every((i) => i.request);
  if (!r.compiler) {
    if (!r.kismet && !kconfigOnly) missing.push('compiler (no "compiler:" line)');
  } else if (!r.compiler.family) missing.push('compiler family');
  else if (!r.compiler.version) missing.push('compiler version');
  if (!r.commit && !r.head && !r.checkout && !r.base?.sha)
    missing.push('commit (no "commit:", "head:", "base: <sha>" or git checkout)');
  if (!r.tree && !r.base) missing.push('tree (no "tree:" or "base:" line)');
  if (r.makeLines.length === 0)
    missing.push(
      r.reproduceLink
        ? `make command lines (behind the reproduce link ${r.reproduceLink})`
        : 'make command lines',
    );
  if (!r.issues.length)
    missing.push('errors or warnings (no "All errors/warnings (new ones prefixed by >>):" list)');
  return missing;
}

export function parseReport(text: string): RobotReport {
  const { lines, depth } = unquote(text);
  const r: RobotReport = {
    quoteDepth: depth,
    w1Build: false,
    reproduceSteps: [],
    makeLines: [],
    issues: [],
    unparsed: [],
    invalid: [],
    missing: [],
  };
  for (let i = 0; i < lines.length; i++) i = readLine(lines, i, r);
  readSteps(r, r.reproduceSteps);
  r.issues = mostSpecific(r.issues);
  const kismet = kismetOf(r);
  if (kismet) r.kismet = kismet;
  r.missing = missingFields(r);
  return r;
}

/** The arch word of a 0-day config name: "arm-randconfig-001-20231120" -> "arm". */
export function configArchWord(name: string): string | undefined {
  const m = /^([a-z0-9_]+)-/.exec(name);
  return m?.[1];
}

/** The commit the report is about: commit:, else git checkout, else head:, else base: sha. */
export function reportCommit(r: RobotReport): string | undefined {
  return r.commit?.sha ?? r.checkout ?? r.head ?? r.base?.sha;
}

/** Make variables from every make line, later lines winning; W=1 from the header too. */
export function reportMakeVars(r: RobotReport): { name: string; value: string; from: string }[] {
  const out = new Map<string, { name: string; value: string; from: string }>();
  if (r.w1Build) out.set('W', { name: 'W', value: '1', from: 'reproduce (this is a W=1 build)' });
  for (const mk of r.makeLines) for (const v of mk.vars) out.set(v.name, { ...v, from: mk.text });
  return [...out.values()];
}

/** The goals of the last make line that builds (not a config target). */
export function reportGoals(r: RobotReport): string[] {
  const building = r.makeLines.filter((m) => !m.goals.some((g) => /config$/.test(g)));
  return building.length ? building[building.length - 1]!.goals : [];
}
