// Build log -> Diagnostics. Pure: the caller says which path prefixes (source tree and
// O= dir, on the host and in the container) to strip so files are tree-relative.
import { fingerprint, type Diagnostic, type DiagnosticKind, type Severity } from './diagnostic.js';

export interface ParseOptions {
  /** Absolute prefixes to remove from paths: source tree, O= dir, container mounts. */
  stripPrefixes?: readonly string[];
}

const Q = `[\`'‘"]`; // opening quote styles: gcc ASCII/UTF-8, binutils backtick
const QE = `['’"]`;

const RE = {
  inFunction: new RegExp(
    `^(.+?): In (?:function|member function|static function) ${Q}(.+?)${QE}:$`,
  ),
  atTopLevel: /^(.+?): At top level:$/,
  compiler: /^(.+?):(\d+):(\d+): (fatal error|error|warning): (.*)$/,
  compilerNoCol: /^(.+?):(\d+): (fatal error|error|warning): (.*)$/,
  tool: /^([A-Za-z0-9_.+-]*(?:cc1|gcc|clang|cc|g\+\+)(?:-\d+)?): (fatal error|error|warning): (.*)$/,
  assembler: /^(.+?):(\d+): (Error|Warning): (.*)$/,
  ldInFunction: new RegExp(
    `^(?:\\S*ld(?:\\.bfd|\\.lld)?: )?(\\S+\\.o): in function ${Q}(.+?)${QE}:$`,
  ),
  undefinedRef: new RegExp(
    // file:(section), file:line:(section) (with debug info) or file:line
    `^(?:\\S*ld(?:\\.bfd)?: )?(?:(\\S+?):(?:(\\d+):)?(?:\\(([^)]*)\\)|(\\d+)): )?(undefined reference to ${Q}.+?${QE})$`,
  ),
  ldOther: /^(\S*?-?ld(?:\.bfd|\.lld)?): (?:(error|warning): )?(.*)$/,
  lldRefBy: /^>>> referenced by (\S+?)(?::(\d+))?(?: \((\S+?)(?::\d+)?\))?$/,
  lldRefObj: /^>>>\s+(\S+\.o):\((.+?)\)/,
  modpost: /^(ERROR|WARNING): modpost: (.*)$/,
  make: /^g?make(?:\[\d+\])?: \*\*\* (?:\[(.+?)\] )?(.*)$/,
  kconfigFile:
    /^(\S*Kconfig[^\s:]*|\S*\.config|\S*_defconfig|\S*\.fragment|\S*\.cfg):(\d+):(warning|error): ?(.*)$/,
  kconfigSelects: /^warning: \((.+?)\) selects (\S+) which has unmet direct dependencies \((.*)\)$/,
  kconfigUnmet: /^WARNING: unmet direct dependencies detected for (\S+)$/,
  caret: /^\s*[\^~]+[~^\s]*$/,
};

export function parseBuildLog(log: string, opts: ParseOptions = {}): Diagnostic[] {
  const prefixes = [...(opts.stripPrefixes ?? [])]
    .filter((p) => p.length > 1)
    .map((p) => (p.endsWith('/') ? p : p + '/'))
    .sort((a, b) => b.length - a.length);
  const rel = (path: string): string => {
    let p = path.trim();
    for (const pre of prefixes) {
      if (p.startsWith(pre)) {
        p = p.slice(pre.length);
        break;
      }
    }
    while (p.startsWith('./')) p = p.slice(2);
    // An O= dir directly inside the tree makes Kbuild's srctree "..": sources are ../path.
    if (p.startsWith('../')) p = p.slice(3);
    return p;
  };

  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const add = (d: Omit<Diagnostic, 'fingerprint'>) => {
    const full: Diagnostic = { ...d, fingerprint: fingerprint(d) };
    const key = `${full.fingerprint}@${full.line ?? ''}:${full.column ?? ''}`;
    if (seen.has(key)) return; // parallel make prints some twice
    seen.add(key);
    out.push(full);
  };
  const severityOf = (s: string): Severity =>
    s.toLowerCase().includes('error') ? 'error' : 'warning';

  let fnContext: { file: string; fn: string } | undefined;
  let ldContext: { object: string; fn: string } | undefined;
  const lines = log.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line || RE.caret.test(line) || /^\s*\d*\s*\|/.test(line)) continue;
    let m: RegExpExecArray | null;

    if ((m = RE.inFunction.exec(line))) {
      fnContext = { file: rel(m[1]!), fn: m[2]! };
      continue;
    }
    if ((m = RE.atTopLevel.exec(line))) {
      fnContext = undefined;
      continue;
    }
    if ((m = RE.make.exec(line))) {
      const bracket = m[1];
      const target = bracket ? bracket.slice(bracket.lastIndexOf(': ') + 1).trim() : '';
      add({ severity: 'error', kind: 'make', file: rel(target), message: m[2]!.trim() });
      continue;
    }
    if ((m = RE.modpost.exec(line))) {
      const body = m[2]!;
      const mod = /^(.*?)\s*\[(\S+)\]\s*(.*)$/.exec(body);
      const obj = /^(\S+\.o): (.*)$/.exec(body);
      if (mod)
        add({
          severity: severityOf(m[1]!),
          kind: 'modpost',
          file: rel(mod[2]!),
          message: `${mod[1]} ${mod[3]}`.trim(),
        });
      else if (obj)
        add({ severity: severityOf(m[1]!), kind: 'modpost', file: rel(obj[1]!), message: obj[2]! });
      else add({ severity: severityOf(m[1]!), kind: 'modpost', file: '', message: body });
      continue;
    }
    if ((m = RE.kconfigSelects.exec(line))) {
      add({
        severity: 'warning',
        kind: 'kconfig',
        file: '',
        message: `(${m[1]}) selects ${m[2]} which has unmet direct dependencies (${m[3]})`,
      });
      continue;
    }
    if ((m = RE.kconfigUnmet.exec(line))) {
      // The following indented lines say what depends and who selects; keep the selectors.
      const selectors: string[] = [];
      for (let j = i + 1; j < lines.length && /^\s+\S/.test(lines[j]!); j++) {
        const s = /^\s+- (\S+)/.exec(lines[j]!);
        if (s) selectors.push(s[1]!);
      }
      const by = selectors.length ? ` (selected by ${selectors.join(', ')})` : '';
      add({
        severity: 'warning',
        kind: 'kconfig',
        file: '',
        message: `unmet direct dependencies detected for ${m[1]}${by}`,
      });
      continue;
    }
    if ((m = RE.kconfigFile.exec(line))) {
      add({
        severity: severityOf(m[3]!),
        kind: 'kconfig',
        file: rel(m[1]!),
        line: Number(m[2]),
        message: m[4]!.trim(),
      });
      continue;
    }
    if ((m = RE.ldInFunction.exec(line))) {
      ldContext = { object: rel(m[1]!), fn: m[2]! };
      continue;
    }
    if ((m = RE.undefinedRef.exec(line))) {
      const srcName = m[1];
      let file = srcName ? rel(srcName) : '';
      if (ldContext) {
        // "main.c:(.text+0x1c)" names the source only by basename; the object has the path.
        const base = ldContext.object.replace(/\.o$/, '');
        const ext = srcName && /\.[A-Za-z]+$/.exec(srcName)?.[0];
        const objBase = base.slice(base.lastIndexOf('/') + 1);
        file =
          srcName && !srcName.includes('/') && ext && srcName.startsWith(objBase + '.')
            ? base + ext
            : file || ldContext.object;
      }
      add({
        severity: 'error',
        kind: 'linker',
        file,
        ...(m[2] || m[4] ? { line: Number(m[2] ?? m[4]) } : {}),
        message: m[5]!.replace(/[`‘]/g, "'").replace(/’/g, "'"),
        ...(ldContext ? { function: ldContext.fn } : {}),
      });
      continue;
    }
    if ((m = RE.compiler.exec(line)) || (m = RE.compilerNoCol.exec(line))) {
      const hasCol = m.length === 6;
      const file = rel(m[1]!);
      const sev = m[hasCol ? 4 : 3]!;
      const message = m[hasCol ? 5 : 4]!.trim();
      const kind: DiagnosticKind = /\.(S|s)$/.test(file) ? 'assembler' : 'compiler';
      add({
        severity: severityOf(sev),
        kind,
        file,
        line: Number(m[2]),
        ...(hasCol ? { column: Number(m[3]) } : {}),
        message,
        ...(fnContext && fnContext.file === file ? { function: fnContext.fn } : {}),
      });
      continue;
    }
    if ((m = RE.assembler.exec(line))) {
      add({
        severity: severityOf(m[3]!),
        kind: 'assembler',
        file: rel(m[1]!),
        line: Number(m[2]),
        message: m[4]!.trim(),
      });
      continue;
    }
    if ((m = RE.tool.exec(line))) {
      add({ severity: severityOf(m[2]!), kind: 'compiler', file: '', message: m[3]!.trim() });
      continue;
    }
    if ((m = RE.ldOther.exec(line))) {
      const rest = m[3]!;
      if (/\.o: in function /.test(rest)) continue;
      if (m[2] === 'error' && rest.startsWith('undefined symbol: ')) {
        // ld.lld: the ">>> referenced by" lines below carry the file and function
        let file = '';
        let fn: string | undefined;
        let lineNo: number | undefined;
        for (let j = i + 1; j < lines.length && lines[j]!.startsWith('>>>'); j++) {
          const r = RE.lldRefBy.exec(lines[j]!);
          if (r && !file) {
            file = rel(r[3] ?? r[1]!);
            if (r[2]) lineNo = Number(r[2]);
          }
          const o = RE.lldRefObj.exec(lines[j]!);
          if (o) {
            fn = o[2];
            const objDir = rel(o[1]!).replace(/[^/]*$/, '');
            if (file && !file.includes('/')) file = objDir + file;
            else if (!file) file = rel(o[1]!);
          }
        }
        add({
          severity: 'error',
          kind: 'linker',
          file,
          ...(lineNo ? { line: lineNo } : {}),
          message: rest,
          ...(fn ? { function: fn } : {}),
        });
        continue;
      }
      const sev: Severity = m[2] === 'warning' ? 'warning' : 'error';
      if (
        !m[2] &&
        !/multiple definition|cannot find|undefined|relocation|overflow|not found|error/i.test(rest)
      )
        continue;
      const fileMsg = /^(\S+?\.o|\S+\.a)(?:\(\S+\))?: (.*)$/.exec(rest);
      add({
        severity: sev,
        kind: 'linker',
        file: fileMsg ? rel(fileMsg[1]!) : '',
        message: (fileMsg ? fileMsg[2]! : rest).trim(),
      });
      continue;
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
