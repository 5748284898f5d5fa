// The layers of src/: a folder may import only folders of a lower rank. Every import of every
// src/**/*.ts (type-only and dynamic ones too) is checked against the table below; a new
// folder is one more line in it.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * [folder under src/, rank, what it holds, and optionally the only lower folders it may
 * import]. Bottom first; equal ranks are siblings.
 */
const LAYERS: readonly (readonly [string, number, string, (readonly string[])?])[] = [
  ['core', 0, 'errors and the event type of the shared stages'],
  ['fsutil', 1, 'atomic writes, cache and scratch directories'],
  ['process', 1, 'the ProcessRunner over execa, shell quoting'],
  ['arch', 2, 'architectures as data'],
  ['toolchain', 3, 'toolchains as data'],
  ['source', 4, 'resolving --source to a read-only kernel tree'],
  ['kconfig', 4, 'the Kconfig model: parser, evaluator, explanations'],
  ['diagnostics', 4, 'build-log diagnostics and their parser'],
  ['config', 5, "pins, .config, generation with the tree's Kconfig, verification"],
  ['docker', 6, 'connecting to a Docker daemon'],
  ['images', 7, 'toolchain image specs and lookup (no runtime)'],
  ['runtime', 8, 'where commands run: docker or local'],
  ['image-build', 9, 'building and listing toolchain images (uses a runtime)'],
  ['build', 10, 'one kernel build in a runtime'],
  ['matrix', 11, 'matrix files expanded into cells'],
  ['results', 12, 'the run model: CellResult, statuses, run events, comparison'],
  ['store', 13, 'the SQLite results store'],
  // Pure of the store, reporters, runtimes and sources (the wiring lives in run/): it sees
  // cells, their results, and the types of a stage's outcome.
  [
    'schedule',
    14,
    'the scheduler over the CellWork/Clock seam',
    ['core', 'config', 'diagnostics', 'matrix', 'results'],
  ],
  ['queue', 14, 'what travels through Redis for queue runs: job schemas, keys, files, workers'],
  ['bisect', 15, 'bisect and config-bisect'],
  ['repro', 15, 'reproducing a test-robot report'],
  ['solve', 15, 'kmatrix solve: the Kconfig cone as a SAT question, conf as the judge'],
  // Above every stage whose results and events it renders (builds, runs, bisects, repros,
  // solves); runMatrix writes the run's reports through it.
  ['report', 16, 'reporters: terminal, JSON, JUnit, HTML'],
  ['triage', 17, 'triage of new failures: culprit, verification, smallest config, report'],
  ['run', 18, 'the application layer: runMatrix, executors, real work, the triage stage'],
  ['cli', 19, 'the thin command line'],
];

/** Imports between folders of the same rank that are allowed: [from, to, why]. None today. */
const SAME_RANK_ALLOWED: readonly (readonly [string, string, string])[] = [];

const TABLE = 'LAYERS in test/unit/architecture.test.ts';
const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

interface Import {
  /** The importing file, relative to src/ with forward slashes. */
  file: string;
  /** The module specifier as written. */
  spec: string;
}

/** One message per import that breaks the layering (or comes from a folder not in the table). */
function layerViolations(imports: readonly Import[]): string[] {
  const rank = new Map(LAYERS.map(([f, r]) => [f, r]));
  const only = new Map(LAYERS.flatMap(([f, , , o]) => (o ? [[f, o] as const] : [])));
  const out: string[] = [];
  const unknown = new Set<string>();
  for (const { file, spec } of imports) {
    const from = folderOf(file);
    if (!rank.has(from)) {
      if (!unknown.has(from))
        out.push(`src/${from}/ is not in ${TABLE}: add one line [folder, rank, role] for it`);
      unknown.add(from);
      continue;
    }
    if (!spec.startsWith('.')) continue; // packages and node: built-ins
    const target = posix.normalize(posix.join(posix.dirname(file), spec));
    if (target.startsWith('..')) continue; // outside src/ (package.json and the like)
    const to = folderOf(target);
    if (to === from) continue;
    const rf = rank.get(from)!;
    const rt = rank.get(to);
    const where = `src/${file} imports '${spec}'`;
    if (rt === undefined) {
      out.push(`${where}: src/${to}/ is not in ${TABLE}: add one line [folder, rank, role]`);
    } else if (rt > rf) {
      out.push(`${where}: ${from} (rank ${rf}) may not import ${to} (rank ${rt}), a higher layer`);
    } else if (only.has(from) && !only.get(from)!.includes(to)) {
      out.push(`${where}: ${from} may import only ${only.get(from)!.join(', ')} (not ${to})`);
    } else if (rt === rf && !SAME_RANK_ALLOWED.some(([a, b]) => a === from && b === to)) {
      out.push(
        `${where}: ${from} and ${to} share rank ${rf}; siblings do not import each other ` +
          `(move the shared part down, or list [from, to, why] in SAME_RANK_ALLOWED)`,
      );
    }
  }
  return out;
}

function folderOf(srcRelative: string): string {
  const i = srcRelative.indexOf('/');
  return i < 0 ? '.' : srcRelative.slice(0, i);
}

async function srcImports(): Promise<Import[]> {
  const out: Import[] = [];
  const entries = await readdir(SRC, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.ts') || e.name.endsWith('.test.ts')) continue;
    const path = join(e.parentPath, e.name);
    const file = relative(SRC, path).split(sep).join('/');
    const text = await readFile(path, 'utf8');
    for (const f of ts.preProcessFile(text, true, true).importedFiles)
      out.push({ file, spec: f.fileName });
    // A file without imports still has to live in a known folder.
    out.push({ file, spec: 'node:path' });
  }
  return out;
}

describe('layers', () => {
  it('every import in src/ points down the layer table', async () => {
    const imports = await srcImports();
    expect(imports.length).toBeGreaterThan(100);
    expect(layerViolations(imports)).toEqual([]);
  });

  it('names the file, the import and both layers of an upward or sibling edge', () => {
    expect(
      layerViolations([
        { file: 'store/store.ts', spec: '../schedule/result.js' },
        { file: 'bisect/run.ts', spec: '../repro/plan.js' },
        { file: 'cli/commands/run.ts', spec: '../../run/run-matrix.js' },
        { file: 'schedule/scheduler.ts', spec: './resources.js' },
        { file: 'schedule/run-matrix.ts', spec: '../store/store.js' },
      ]),
    ).toEqual([
      "src/store/store.ts imports '../schedule/result.js': store (rank 13) may not import schedule (rank 14), a higher layer",
      "src/bisect/run.ts imports '../repro/plan.js': bisect and repro share rank 15; siblings do not import each other (move the shared part down, or list [from, to, why] in SAME_RANK_ALLOWED)",
      "src/schedule/run-matrix.ts imports '../store/store.js': schedule may import only core, config, diagnostics, matrix, results (not store)",
    ]);
  });

  it('asks for a table line for a folder it does not know', () => {
    expect(
      layerViolations([
        { file: 'notify/mail.ts', spec: '../results/result.js' },
        { file: 'run/run-matrix.ts', spec: '../notify/mail.js' },
      ]),
    ).toEqual([
      `src/notify/ is not in ${TABLE}: add one line [folder, rank, role] for it`,
      `src/run/run-matrix.ts imports '../notify/mail.js': src/notify/ is not in ${TABLE}: add one line [folder, rank, role]`,
    ]);
  });

  it('lists each folder once', () => {
    const folders = LAYERS.map(([f]) => f);
    expect(folders.filter((f, i) => folders.indexOf(f) !== i)).toEqual([]);
  });
});
