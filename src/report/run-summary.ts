// The summary of a matrix run as one object (results.json, --json), and its text renderings:
// the arch x config table for the terminal and summary.md. Pure.
import { baseLabel } from '../config/base.js';
import type { PinResult } from '../config/verify.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Cell } from '../matrix/cell.js';
import type { CellFiles, CellResult, CellSolve, CellStatus } from '../results/result.js';
import type { Change, RunComparison } from '../results/compare.js';
import type { CellWhy, TriageRecord, TriageStatus } from '../results/triage.js';
import { triageLines, whyLines } from './run-why.js';

export type DisplayStatus = CellStatus | 'not-run';

export interface CellSummary {
  id: string;
  source: string;
  arch: string;
  toolchain: string;
  config: string;
  variant: string;
  base: string;
  seed: string | null;
  build: boolean;
  status: DisplayStatus;
  reason: string | null;
  change: Change;
  baselineStatus: string | null;
  newProblems: string[];
  fixedProblems: string[];
  newWarnings: string[];
  durationMs: number;
  attempts: number;
  dedupedFrom: string | null;
  files: CellFiles;
  artifacts: string[];
  counts: { errors: number; warnings: number };
  pins: PinResult[];
  diagnostics: Diagnostic[];
  /** Broken cells: the pins that did not hold, explained, and the first errors. */
  why: CellWhy | null;
  /** New failures: what the triage found (null when it did not run for this cell). */
  triage: TriageRecord | null;
  /** `solve: true` cells: what kmatrix solve did before the config was generated. */
  solve: CellSolve | null;
}

/**
 * The run's triage: `not-run` (no new failure, --no-triage, triage.enabled false, or the run
 * was interrupted), `running` (the reports written before it started), `done`, `incomplete`.
 */
export interface TriageSummary {
  state: 'not-run' | 'running' | 'done' | 'incomplete';
  reason: string | null;
  counts: Record<TriageStatus, number>;
}

export const RUN_SCHEMA = 'kmatrix.run/2';

export interface RunSummary {
  /** 2: cells gained `why` and `triage`, the run `triage` (docs/triage.md). */
  schema: typeof RUN_SCHEMA;
  runId: string;
  matrix: { identity: string; file: string; contentHash: string };
  runDir: string;
  store: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  interrupted: boolean;
  baselineRunId: string | null;
  exitCode: 0 | 1 | 2;
  counts: {
    total: number;
    status: Record<DisplayStatus, number>;
    change: Record<Change, number>;
  };
  /** Grid axes: columns are arches, rows are source x variant (x toolchain). */
  arches: string[];
  rows: { key: string; source: string; variant: string; toolchain: string }[];
  triage: TriageSummary;
  cells: CellSummary[];
}

const DISPLAY_STATUSES: readonly DisplayStatus[] = [
  'pass',
  'fail',
  'config-unsatisfied',
  'timeout',
  'infra-error',
  'cancelled',
  'not-run',
];

function rowKey(c: Pick<Cell, 'source' | 'variant' | 'toolchain'>, toolchains: number): string {
  return toolchains > 1 ? `${c.source} ${c.variant} ${c.toolchain}` : `${c.source} ${c.variant}`;
}

export function buildRunSummary(o: {
  runId: string;
  matrix: RunSummary['matrix'];
  runDir: string;
  store: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  interrupted: boolean;
  exitCode: 0 | 1 | 2;
  cells: readonly Cell[];
  results: ReadonlyMap<string, CellResult>;
  comparison: RunComparison;
  why?: ReadonlyMap<string, CellWhy>;
  triage?: ReadonlyMap<string, TriageRecord>;
  triageState?: Pick<TriageSummary, 'state' | 'reason'>;
}): RunSummary {
  const status = Object.fromEntries(DISPLAY_STATUSES.map((s) => [s, 0])) as Record<
    DisplayStatus,
    number
  >;
  const toolchains = new Set(o.cells.map((c) => c.toolchain)).size;
  const arches: string[] = [];
  const rows: RunSummary['rows'] = [];
  const cells = o.cells.map((c): CellSummary => {
    const r = o.results.get(c.id);
    const cmp = o.comparison.cells.get(c.id);
    const st: DisplayStatus = r?.status ?? 'not-run';
    status[st]++;
    if (!arches.includes(c.arch)) arches.push(c.arch);
    const key = rowKey(c, toolchains);
    if (!rows.some((x) => x.key === key))
      rows.push({ key, source: c.source, variant: c.variant, toolchain: c.toolchain });
    return {
      id: c.id,
      source: c.source,
      arch: c.arch,
      toolchain: c.toolchain,
      config: c.config,
      variant: c.variant,
      base: baseLabel(c.base),
      seed: c.base.kind === 'randconfig' ? c.base.seed : null,
      build: c.build,
      status: st,
      reason: r?.reason ?? null,
      change: cmp?.change ?? 'not-run',
      baselineStatus: cmp?.baselineStatus ?? null,
      newProblems: cmp?.newProblems ?? [],
      fixedProblems: cmp?.fixedProblems ?? [],
      newWarnings: cmp?.newWarnings ?? [],
      durationMs: r?.durationMs ?? 0,
      attempts: r?.attempts ?? 0,
      dedupedFrom: r?.dedupedFrom ?? null,
      files: r?.files ?? {},
      artifacts: r?.artifacts ?? [],
      counts: r?.counts ?? { errors: 0, warnings: 0 },
      pins: r?.pins ?? [],
      diagnostics: r?.diagnostics ?? [],
      why: o.why?.get(c.id) ?? null,
      triage: o.triage?.get(c.id) ?? null,
      solve: r?.solve ?? null,
    };
  });
  const triageCounts = { done: 0, skipped: 0, incomplete: 0, 'infra-error': 0 };
  for (const c of cells) if (c.triage) triageCounts[c.triage.status]++;
  return {
    schema: RUN_SCHEMA,
    runId: o.runId,
    matrix: o.matrix,
    runDir: o.runDir,
    store: o.store,
    startedAt: o.startedAt,
    finishedAt: o.finishedAt,
    durationMs: o.durationMs,
    interrupted: o.interrupted,
    baselineRunId: o.comparison.baselineRunId,
    exitCode: o.exitCode,
    counts: { total: o.cells.length, status, change: { ...o.comparison.counts } },
    arches,
    rows,
    triage: {
      state: o.triageState?.state ?? 'not-run',
      reason: o.triageState?.reason ?? null,
      counts: triageCounts,
    },
    cells,
  };
}

const SHORT: Record<DisplayStatus, string> = {
  pass: 'pass',
  fail: 'FAIL',
  'config-unsatisfied': 'UNSAT',
  timeout: 'TIMEOUT',
  'infra-error': 'INFRA',
  cancelled: 'cancel',
  'not-run': '-',
};

const MARK: Partial<Record<Change, string>> = {
  'new-failure': ' (new)',
  fixed: ' (fixed)',
  'new-warning': ' (+warn)',
};

export function cellText(c: Pick<CellSummary, 'status' | 'change'>): string {
  return SHORT[c.status] + (MARK[c.change] ?? '');
}

function summaryGrid(s: RunSummary): string[][] {
  const header = ['', ...s.arches];
  const body = s.rows.map((row) => [
    row.key,
    ...s.arches.map((a) => {
      const c = s.cells.find(
        (x) =>
          x.arch === a &&
          x.source === row.source &&
          x.variant === row.variant &&
          x.toolchain === row.toolchain,
      );
      return c ? cellText(c) : '';
    }),
  ]);
  return [header, ...body];
}

function padTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function headline(s: RunSummary): string {
  const st = s.counts.status;
  const ch = s.counts.change;
  const parts = DISPLAY_STATUSES.filter((k) => st[k] > 0).map((k) => `${st[k]} ${k}`);
  const base = s.baselineRunId
    ? `compared with run ${s.baselineRunId}`
    : 'no earlier completed run to compare with';
  const t = s.triage;
  const triage =
    t.state === 'not-run'
      ? ''
      : `\ntriage: ${t.state}${t.reason ? ` (${t.reason})` : ''}: ${Object.entries(t.counts)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')}`;
  return (
    `run ${s.runId}: ${s.counts.total} cells: ${parts.join(', ')} (${(s.durationMs / 1000).toFixed(1)}s)\n` +
    `${base}: ${ch['new-failure']} new failure(s), ${ch.fixed} fixed, ${ch['still-failing']} still failing, ${ch['new-warning']} with new warnings` +
    triage
  );
}

function changeLines(s: RunSummary): string[] {
  const out: string[] = [];
  for (const c of s.cells) {
    const who = `${c.source} ${c.arch} ${c.variant} ${c.toolchain} [${c.id}]`;
    if (c.change === 'new-failure')
      out.push(
        `NEW FAILURE  ${who}: ${c.status}${c.reason ? ` (${c.reason.split('\n')[0]})` : ''}`,
        ...c.newProblems.map((p) => `    + ${p}`),
        ...(c.why ? whyLines(c.why) : []),
        ...(c.triage ? triageLines(c.triage) : []),
      );
    else if (c.change === 'still-failing' && c.why)
      out.push(`STILL BROKEN ${who}: ${c.status}`, ...whyLines(c.why));
    else if (c.change === 'fixed')
      out.push(`FIXED        ${who}`, ...c.fixedProblems.map((p) => `    - ${p}`));
    else if (c.change === 'new-warning')
      out.push(`NEW WARNING  ${who}`, ...c.newWarnings.map((p) => `    + ${p}`));
    else if (c.change === 'infra')
      out.push(`INFRA ERROR  ${who}: ${(c.reason ?? '').split('\n')[0]}`);
  }
  return out;
}

/** One line per `solve: true` cell: the extra pins it tests with, or why there are none. */
export function solveLine(c: Pick<CellSummary, 'solve'>): string | undefined {
  const v = c.solve;
  if (!v) return undefined;
  switch (v.verdict) {
    case 'holds':
      return 'extra pins from solve: none (the pins hold as they are)';
    case 'satisfiable':
      return `extra pins from solve: ${v.extra.join(' ')}`;
    case 'unsatisfiable':
      return `unsatisfiable, no extra pins can help: ${v.reason ?? ''}`;
    case 'undecided':
      return `extra pins from solve: none found (${v.reason ?? 'undecided'})`;
  }
}

function solveLines(s: RunSummary): string[] {
  return s.cells.flatMap((c) => {
    const line = solveLine(c);
    return line
      ? [`SOLVE        ${c.source} ${c.arch} ${c.variant} ${c.toolchain} [${c.id}]: ${line}`]
      : [];
  });
}

export function renderRunText(s: RunSummary): string {
  const lines = [headline(s), '', padTable(summaryGrid(s))];
  const changes = changeLines(s);
  if (changes.length) lines.push('', ...changes);
  const solved = solveLines(s);
  if (solved.length) lines.push('', ...solved);
  lines.push('', `reports: ${s.runDir}/index.html (results.json, junit.xml, summary.md)`);
  return lines.join('\n') + '\n';
}

export function renderRunMarkdown(s: RunSummary): string {
  const grid = summaryGrid(s);
  const md = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const lines = [
    `# kmatrix run ${s.runId}`,
    '',
    '```',
    headline(s),
    '```',
    '',
    md(grid[0]!.map((c, i) => (i === 0 ? 'source / config' : c))),
    md(grid[0]!.map(() => '---')),
    ...grid.slice(1).map(md),
  ];
  const changes = changeLines(s);
  if (changes.length) lines.push('', '## Changes', '', '```', ...changes, '```');
  const solved = solveLines(s);
  if (solved.length) lines.push('', '## Solve', '', '```', ...solved, '```');
  lines.push('', `Matrix: ${s.matrix.identity} (${s.matrix.file}); exit code ${s.exitCode}.`, '');
  return lines.join('\n');
}
