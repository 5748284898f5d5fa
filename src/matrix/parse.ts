// Parsing a matrix file purely: YAML with source positions, then the zod schema. Every
// problem is collected and reported as file:line:column with the value found and what is
// accepted, so a file with three mistakes gets three messages.
import {
  isMap,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node,
} from 'yaml';
import type { z } from 'zod';
import { crossReferenceIssues, MatrixSchema, type MatrixFile } from './schema.js';

export interface MatrixProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the bad value (configs[1].base); '' for the whole file. */
  path: string;
  message: string;
  /** The value found, as YAML wrote it; undefined when the key is missing. */
  found?: string;
}

export type MatrixParse =
  { ok: true; matrix: MatrixFile } | { ok: false; problems: MatrixProblem[] };

export function formatProblem(p: MatrixProblem): string {
  const where = `${p.file}:${p.line}:${p.column}`;
  const what = p.path ? `${p.path}: ` : '';
  const found = p.found !== undefined ? ` (found ${p.found})` : '';
  return `${where}: ${what}${p.message}${found}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out ? `.${String(k)}` : String(k);
  }
  return out;
}

export function parseMatrixText(text: string, file: string): MatrixParse {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => {
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, column: lp.col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        file,
        ...pos(e.pos[0]),
        path: '',
        message: yamlMessage(e.code, e.message),
        found: JSON.stringify(snippet(text, e.pos).slice(0, 60)),
      })),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch {
    // yaml refuses to expand an alias bomb (billion laughs) rather than run out of memory.
    const alias = firstAlias(doc);
    return {
      ok: false,
      problems: [
        {
          file,
          ...pos(alias?.range?.[0] ?? 0),
          path: '',
          message: `YAML: aliases expand to too many nodes (an alias bomb?); accepted: at most ${MAX_ALIAS_COUNT} alias uses`,
          ...(alias ? { found: JSON.stringify(`*${alias.source}`) } : {}),
        },
      ],
    };
  }
  const r = MatrixSchema.safeParse(value);
  const issues: z.core.$ZodIssue[] = r.success ? [] : [...r.error.issues];
  for (const x of crossReferenceIssues(value))
    issues.push({ code: 'custom', path: x.path, message: x.message, input: undefined });
  if (r.success && issues.length === 0) {
    const cells = cellBound(r.data);
    if (cells <= MAX_CELLS) return { ok: true, matrix: r.data };
    const node = doc.get('configs', true) as Node | undefined;
    return {
      ok: false,
      problems: [
        {
          file,
          ...pos(node?.range?.[0] ?? 0),
          path: 'configs',
          message: `the matrix expands to up to ${cells} cells (sources x architectures x toolchains x configs and seeds, plus include rules); accepted: at most ${MAX_CELLS}`,
        },
      ],
    };
  }
  const problems = issues.flatMap((issue) => issueProblems(issue, doc, file, pos));
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, problems: dedupe(problems) };
}

/** yaml's own limit is 100 by default; a matrix file needs a handful. */
const MAX_ALIAS_COUNT = 100;
/** More cells than any machine builds in a night: a typo (seeds: 1000 on every config) or worse. */
const MAX_CELLS = 10_000;

/** Cells before exclusion: an upper bound, computed without expanding anything. */
function cellBound(m: MatrixFile): number {
  const n = (v: unknown, all: number) => (v === undefined ? all : Array.isArray(v) ? v.length : 1);
  const variants = (c: MatrixFile['configs'][number]) =>
    c.base !== 'randconfig' ? 1 : typeof c.seeds === 'number' ? c.seeds : (c.seeds?.length ?? 1);
  const allVariants = m.configs.reduce((a, c) => a + variants(c), 0);
  const cross = m.sources.length * m.architectures.length * m.toolchains.length * allVariants;
  const included = m.include.reduce((a, r) => {
    const cfgs =
      r.config === undefined
        ? m.configs
        : m.configs.filter((c) => [r.config].flat().includes(c.name));
    const v = cfgs.reduce((x, c) => x + variants(c), 0);
    return (
      a +
      n(r.source, m.sources.length) *
        n(r.arch, m.architectures.length) *
        n(r.toolchain, m.toolchains.length) *
        v
    );
  }, 0);
  return cross + included;
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0] ?? '';
  if (code === 'DUPLICATE_KEY') return 'YAML: duplicate key; accepted: each key once per mapping';
  if (/call stack/i.test(first)) return 'YAML: nested too deeply';
  return `YAML: ${first}`;
}

/** The line an error points at (yaml marks only its first character or two). */
function snippet(text: string, [a]: [number, number]): string {
  const start = text.lastIndexOf('\n', a - 1) + 1;
  const end = text.indexOf('\n', a);
  return text.slice(start, end < 0 ? undefined : end).trim();
}

function firstAlias(doc: Document): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

function dedupe(ps: MatrixProblem[]): MatrixProblem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = formatProblem(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

type Pos = (offset: number) => { line: number; column: number };

function issueProblems(
  issue: z.core.$ZodIssue,
  doc: Document,
  file: string,
  pos: Pos,
): MatrixProblem[] {
  const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const parent = doc.getIn(path, true) as Node | undefined;
    return issue.keys.map((key) => {
      let offset = parent?.range?.[0] ?? 0;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => (p.key as { value?: unknown })?.value === key);
        const k = pair?.key as Node | undefined;
        if (k?.range) offset = k.range[0];
      }
      return {
        file,
        ...pos(offset),
        path: formatPath([...path, key]),
        message: `unknown key ${JSON.stringify(key)}; accepted: ${acceptedKeys(path)}`,
      };
    });
  }
  // The deepest node that exists: a missing key is reported at its parent.
  let node: Node | undefined;
  let depth = path.length;
  for (; depth >= 0; depth--) {
    const n = depth === 0 ? doc.contents : (doc.getIn(path.slice(0, depth), true) as Node);
    if (n && typeof n === 'object' && 'range' in n) {
      node = n;
      break;
    }
  }
  const missing = depth < path.length;
  const offset = node?.range?.[0] ?? 0;
  const found = !missing && node ? sourceText(node) : undefined;
  let message = issueMessage(issue);
  if (missing && issue.code === 'invalid_type') message = `missing required key; ${message}`;
  return [
    {
      file,
      ...pos(offset),
      path: formatPath(path),
      message,
      ...(found !== undefined ? { found } : {}),
    },
  ];
}

function sourceText(node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  const v = (node as { value?: unknown }).value;
  return typeof v === 'string' && v.length > 120
    ? `${JSON.stringify(v.slice(0, 120))}... (${v.length} characters)`
    : JSON.stringify(v);
}

function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `not accepted; accepted: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_union': {
      const expected = new Set<string>();
      for (const branch of issue.errors)
        for (const i of branch) {
          if (i.code === 'invalid_type') expected.add(i.expected);
          else expected.add(issueMessage(i));
        }
      return [...expected].join(', or ').startsWith('not ')
        ? [...expected][0]!
        : `expected ${[...expected].join(' or ')}`;
    }
    case 'too_small':
      return issue.origin === 'array'
        ? `needs at least ${String(issue.minimum)} item(s)`
        : issue.message;
    default:
      return issue.message;
  }
}

const KEYS: Record<string, string> = {
  '': 'name, sources, architectures, toolchains, targets, runtime, timeout, retries, executor, configs, include, exclude, retention, triage',
  retention: 'keep_runs, cache_unused_days',
  configs:
    'name, base, pins, fragments, seeds, probability, build, targets, allow_unsatisfied, resources, priority',
  resources: 'cpus, mem, labels',
  executor: 'kind, url, attempts, lock_timeout, images',
  include: 'source, arch, toolchain, config',
  exclude: 'source, arch, toolchain, config',
  triage: 'enabled, max_failures, timeout, verify, good_config',
};

/** The keys accepted where `path` points: those of its innermost named block. */
function acceptedKeys(path: readonly (string | number)[]): string {
  const named = path.filter((k): k is string => typeof k === 'string' && k in KEYS);
  return KEYS[named.at(-1) ?? ''] ?? KEYS['']!;
}
