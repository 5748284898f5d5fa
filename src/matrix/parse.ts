// Parsing a matrix file purely: YAML with source positions, then the zod schema. Every
// problem is collected and reported as file:line:column with the value found and what is
// accepted, so a file with three mistakes gets three messages.
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
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

export function formatPath(path: readonly PropertyKey[]): string {
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
        message: `YAML: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  const value: unknown = doc.toJS() ?? {};
  const r = MatrixSchema.safeParse(value);
  const issues: z.core.$ZodIssue[] = r.success ? [] : [...r.error.issues];
  for (const x of crossReferenceIssues(value))
    issues.push({ code: 'custom', path: x.path, message: x.message, input: undefined });
  if (r.success && issues.length === 0) return { ok: true, matrix: r.data };
  const problems = issues.flatMap((issue) => issueProblems(issue, doc, file, pos));
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, problems: dedupe(problems) };
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
  return JSON.stringify(v);
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
  '': 'name, sources, architectures, toolchains, targets, runtime, timeout, retries, executor, configs, include, exclude',
  configs:
    'name, base, pins, fragments, seeds, probability, build, targets, allow_unsatisfied, resources, priority',
  resources: 'cpus, mem, labels',
  executor: 'kind, url, attempts, lock_timeout, images',
  include: 'source, arch, toolchain, config',
  exclude: 'source, arch, toolchain, config',
};

/** The keys accepted where `path` points: those of its innermost named block. */
function acceptedKeys(path: readonly (string | number)[]): string {
  const named = path.filter((k): k is string => typeof k === 'string' && k in KEYS);
  return KEYS[named.at(-1) ?? ''] ?? KEYS['']!;
}
