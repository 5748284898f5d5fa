// Reading a matrix file from disk (the I/O edge of src/matrix): parse and validate, read
// fragments and base files, expand. Every problem, from any of these, is reported at once.
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { parseDuration } from '../build/targets.js';
import { configFileProblems } from '../config/dotconfig.js';
import { fragmentPins } from '../config/fragment.js';
import type { Pin } from '../config/pin.js';
import { errorMessage, KmatrixError } from '../core/errors.js';
import { printable } from '../core/text.js';
import { MAX_BYTES, readTextFile } from '../fsutil/text-file.js';
import type { Cell } from './cell.js';
import { expandMatrix, resolveSource } from './expand.js';
import { formatProblem, parseMatrixText, type MatrixProblem } from './parse.js';
import { SOURCE_ACCEPTED, type MatrixFile, type MatrixTriage } from './schema.js';

/** The matrix's triage block, with durations parsed and good_config resolved. */
export interface TriageSettings {
  enabled: boolean;
  maxFailures: number;
  timeoutMs: number;
  verify: boolean;
  /** A base name (generated with the cell's pins) or an absolute .config path. */
  goodConfig: { kind: 'base'; base: string } | { kind: 'file'; path: string } | null;
}

export function triageSettings(t: MatrixTriage, dir: string): TriageSettings {
  const g = t.good_config;
  const file = g !== undefined && (g.startsWith('file:') || g.includes('/'));
  const path = g?.replace(/^file:/, '') ?? '';
  return {
    enabled: t.enabled,
    maxFailures: t.max_failures,
    timeoutMs: parseDuration(t.timeout),
    verify: t.verify,
    goodConfig:
      g === undefined
        ? null
        : file
          ? { kind: 'file', path: isAbsolute(path) ? path : resolve(dir, path) }
          : { kind: 'base', base: g },
  };
}

export interface LoadedMatrix {
  file: string;
  /** Identity in the results store: `name:<name>` when the file names itself, else `file:<path>`. */
  identity: string;
  /** sha256 of the file's text (recorded with each run). */
  contentHash: string;
  matrix: MatrixFile;
  cells: Cell[];
  warnings: string[];
  triage: TriageSettings;
}

function matrixIdentity(m: Pick<MatrixFile, 'name'>, realFile: string): string {
  return m.name ? `name:${m.name}` : `file:${realFile}`;
}

export async function loadMatrix(path: string, cwd: string): Promise<LoadedMatrix> {
  const file = resolve(cwd, path);
  const text = await readTextFile(file, {
    what: 'matrix file',
    shown: path,
    maxBytes: MAX_BYTES.matrix,
  });
  const parsed = parseMatrixText(text, path);
  if (!parsed.ok) throw matrixError(path, parsed.problems);
  const m = parsed.matrix;
  const dir = dirname(file);
  const at = positions(text);
  const { fragments, baseFiles, problems } = await readConfigFiles(m, dir, path, at);
  problems.push(...(await sourceProblems(m, dir, path, at)));
  const triage = triageSettings(m.triage, dir);
  problems.push(...(await goodConfigProblems(triage, m, path, at)));
  if (problems.length) throw matrixError(path, problems);
  const { cells, warnings } = expandMatrix(m, { dir, fragments, baseFiles });
  if (cells.length === 0)
    throw new KmatrixError(
      'usage',
      `matrix ${path} has no cells: exclude rules removed every cell`,
    );
  const real = await realpath(file);
  return {
    file: real,
    identity: matrixIdentity(m, real),
    contentHash: createHash('sha256').update(text).digest('hex'),
    matrix: m,
    cells,
    warnings,
    triage,
  };
}

type At = (p: (string | number)[]) => { line: number; column: number };

/** Fragments and base files the configs name: read, checked line by line, each problem placed. */
async function readConfigFiles(m: MatrixFile, dir: string, path: string, at: At) {
  const problems: MatrixProblem[] = [];
  const fragments = new Map<string, Pin[]>();
  const baseFiles = new Map<string, string>();
  const read = (p: string, what: string) =>
    readTextFile(resolve(dir, p), { what, shown: p, maxBytes: MAX_BYTES.config });
  for (const [ci, c] of m.configs.entries()) {
    for (const [fi, f] of c.fragments.entries()) {
      if (fragments.has(f)) continue;
      const where = { file: path, ...at(['configs', ci, 'fragments', fi]) };
      const fpath = `configs[${ci}].fragments[${fi}]`;
      try {
        const r = fragmentPins(await read(f, 'fragment'), f);
        fragments.set(f, r.pins);
        for (const message of r.problems) problems.push({ ...where, path: fpath, message });
      } catch (e) {
        problems.push({
          ...where,
          path: fpath,
          message: `${errorMessage(e)}; accepted: a text file of CONFIG_ lines, relative to the matrix file`,
        });
      }
    }
    if (c.base.startsWith('file:') || c.base.includes('/')) {
      const p = c.base.replace(/^file:/, '');
      const where = { file: path, ...at(['configs', ci, 'base']), path: `configs[${ci}].base` };
      try {
        const content = await read(p, 'base config file');
        for (const message of configFileProblems(content, p)) problems.push({ ...where, message });
        baseFiles.set(p, createHash('sha256').update(content).digest('hex'));
      } catch (e) {
        problems.push({ ...where, message: errorMessage(e) });
      }
    }
  }
  return { fragments, baseFiles, problems };
}

/** triage.good_config as file:PATH must be a readable .config (checked like a base file). */
async function goodConfigProblems(
  triage: TriageSettings,
  m: MatrixFile,
  path: string,
  at: At,
): Promise<MatrixProblem[]> {
  const g = triage.goodConfig;
  if (g?.kind !== 'file') return [];
  const where = { file: path, ...at(['triage', 'good_config']), path: 'triage.good_config' };
  const shown = m.triage.good_config ?? g.path;
  try {
    const content = await readTextFile(g.path, {
      what: 'good config file',
      shown,
      maxBytes: MAX_BYTES.config,
    });
    return configFileProblems(content, shown).map((message) => ({ ...where, message }));
  } catch (e) {
    return [
      {
        ...where,
        message: `${errorMessage(e)}; accepted: a base name or file:PATH relative to the matrix file`,
        found: JSON.stringify(m.triage.good_config),
      },
    ];
  }
}

/** Path and git sources must name a directory (a typo should not cost a run). */
async function sourceProblems(
  m: MatrixFile,
  dir: string,
  path: string,
  at: At,
): Promise<MatrixProblem[]> {
  const problems: MatrixProblem[] = [];
  for (const [i, s] of m.sources.entries()) {
    if (s.startsWith('debian:')) continue;
    // A git remote (git:file://..., git:https://...@REF) is fetched by whoever builds it (a
    // queue worker), not a directory of this machine.
    if (/^git:[a-z][a-z0-9+.-]*:\/\//i.test(s)) continue;
    const resolved = resolveSource(dir, s);
    const p = s.startsWith('git:') ? resolved.slice(4, resolved.lastIndexOf('@')) : resolved;
    const isDir = await stat(p).then(
      (st) => st.isDirectory(),
      () => false,
    );
    if (!isDir)
      problems.push({
        file: path,
        ...at(['sources', i]),
        path: `sources[${i}]`,
        message: `${printable(p)} is not a directory; accepted: ${SOURCE_ACCEPTED} (paths relative to the matrix file)`,
        found: JSON.stringify(s),
      });
  }
  return problems;
}

/** A file of binary junk has hundreds of problems; the first ones say enough. */
const MAX_SHOWN = 20;

function matrixError(path: string, problems: MatrixProblem[]): KmatrixError {
  return new KmatrixError(
    'usage',
    `matrix file ${path} has ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
    [
      ...problems.slice(0, MAX_SHOWN).map(formatProblem),
      ...(problems.length > MAX_SHOWN ? [`... and ${problems.length - MAX_SHOWN} more`] : []),
    ].join('\n'),
  );
}

/** Where a path of the document starts (its deepest existing ancestor when it is missing). */
function positions(text: string): At {
  let parsed: { doc: Document; lc: LineCounter } | undefined;
  return (path) => {
    if (!parsed) {
      const lc = new LineCounter();
      parsed = { doc: parseDocument(text, { lineCounter: lc }), lc };
    }
    return positionOf(parsed.doc, parsed.lc, path);
  };
}

function positionOf(
  doc: Document,
  lc: LineCounter,
  path: (string | number)[],
): { line: number; column: number } {
  let node = doc.getIn(path, true) as Node | undefined;
  for (let d = path.length - 1; !node && d >= 0; d--)
    node = doc.getIn(path.slice(0, d), true) as Node;
  const off = node && (isMap(node) || isSeq(node) || 'range' in node) ? (node.range?.[0] ?? 0) : 0;
  const p = lc.linePos(off);
  return { line: p.line, column: p.col };
}
