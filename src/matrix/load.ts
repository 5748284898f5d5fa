// Reading a matrix file from disk (the I/O edge of src/matrix): parse and validate, read
// fragments and base files, expand. Every problem, from any of these, is reported at once.
import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { parseDuration } from '../build/targets.js';
import { fragmentPins } from '../config/fragment.js';
import type { Pin } from '../config/pin.js';
import { KmatrixError } from '../core/errors.js';
import type { Cell } from './cell.js';
import { expandMatrix } from './expand.js';
import { formatProblem, parseMatrixText, type MatrixProblem } from './parse.js';
import type { MatrixFile, MatrixTriage } from './schema.js';

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

export function matrixIdentity(m: Pick<MatrixFile, 'name'>, realFile: string): string {
  return m.name ? `name:${m.name}` : `file:${realFile}`;
}

export async function loadMatrix(path: string, cwd: string): Promise<LoadedMatrix> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new KmatrixError(
      'usage',
      `cannot read matrix file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
  const parsed = parseMatrixText(text, path);
  if (!parsed.ok) throw matrixError(path, parsed.problems);
  const m = parsed.matrix;
  const dir = dirname(file);
  const problems: MatrixProblem[] = [];
  const at = (p: (string | number)[]) => positionOf(text, p);

  const fragments = new Map<string, Pin[]>();
  const baseFiles = new Map<string, string>();
  for (const [ci, c] of m.configs.entries()) {
    for (const [fi, f] of c.fragments.entries()) {
      if (fragments.has(f)) continue;
      try {
        const r = fragmentPins(await readFile(resolve(dir, f), 'utf8'), f);
        fragments.set(f, r.pins);
        for (const msg of r.problems)
          problems.push({
            file: path,
            ...at(['configs', ci, 'fragments', fi]),
            path: `configs[${ci}].fragments[${fi}]`,
            message: msg,
          });
      } catch (e) {
        problems.push({
          file: path,
          ...at(['configs', ci, 'fragments', fi]),
          path: `configs[${ci}].fragments[${fi}]`,
          message: `cannot read fragment: ${(e as NodeJS.ErrnoException).code ?? String(e)}; accepted: a readable file path relative to the matrix file`,
          found: JSON.stringify(f),
        });
      }
    }
    if (c.base.startsWith('file:') || c.base.includes('/')) {
      const p = c.base.replace(/^file:/, '');
      try {
        const content = await readFile(resolve(dir, p));
        baseFiles.set(p, createHash('sha256').update(content).digest('hex'));
      } catch (e) {
        problems.push({
          file: path,
          ...at(['configs', ci, 'base']),
          path: `configs[${ci}].base`,
          message: `cannot read base config file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
          found: JSON.stringify(c.base),
        });
      }
    }
  }
  const triage = triageSettings(m.triage, dir);
  if (triage.goodConfig?.kind === 'file') {
    try {
      await readFile(triage.goodConfig.path);
    } catch (e) {
      problems.push({
        file: path,
        ...at(['triage', 'good_config']),
        path: 'triage.good_config',
        message: `cannot read good config file: ${(e as NodeJS.ErrnoException).code ?? String(e)}; accepted: a base name or file:PATH relative to the matrix file`,
        found: JSON.stringify(m.triage.good_config),
      });
    }
  }
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

function matrixError(path: string, problems: MatrixProblem[]): KmatrixError {
  return new KmatrixError(
    'usage',
    `matrix file ${path} has ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
    problems.map(formatProblem).join('\n'),
  );
}

function positionOf(text: string, path: (string | number)[]): { line: number; column: number } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  let node = doc.getIn(path, true) as Node | undefined;
  for (let d = path.length - 1; !node && d >= 0; d--)
    node = doc.getIn(path.slice(0, d), true) as Node;
  const off = node && (isMap(node) || isSeq(node) || 'range' in node) ? (node.range?.[0] ?? 0) : 0;
  const p = lc.linePos(off);
  return { line: p.line, column: p.col };
}
