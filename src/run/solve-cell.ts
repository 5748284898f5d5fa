// `solve: true` in a matrix config: before a cell's config is generated, kmatrix solve runs on
// the cell's tree, arch, toolchain, base and pins. The extra pins it finds are added to the
// cell's pins and recorded, so a targeted cell tests what its author meant instead of ending
// config-unsatisfied; a proof that no config can hold the pins ends the cell
// config-unsatisfied with the proof in one line, and the whole proof in the cell's files.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import type { Base } from '../config/base.js';
import type { Pin } from '../config/pin.js';
import { errorMessage, isKmatrixError, unreachable } from '../core/errors.js';
import type { Cell } from '../matrix/cell.js';
import type { ProcessRunner } from '../process/runner.js';
import { renderSolveReport } from '../report/solve.js';
import type { CellSolve } from '../results/result.js';
import { openConfChecker } from '../solve/conf.js';
import { createSolveDeps } from '../solve/deps.js';
import type { ArchVerdict, SolveReport } from '../solve/result.js';
import { confSessions, sessionView, untilAborted } from '../solve/sessions.js';
import { solvePins } from '../solve/solve.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';

export interface CellSolveRequest {
  tree: KernelTree;
  arch: Arch;
  toolchain: ToolchainName;
  base: Base;
  pins: readonly Pin[];
}

/** kmatrix solve on one arch: realCellSolver, or what a test injects. */
export type CellSolver = (req: CellSolveRequest, signal: AbortSignal) => Promise<SolveReport>;

/** The most extra pins looked for (kmatrix solve's default --max-extra). */
export const CELL_MAX_EXTRA = 8;

export const SOLVE_TEXT = 'solve.txt';
export const SOLVE_JSON = 'solve.json';

export type CellSolveOutcome =
  | {
      kind: 'solved';
      /** What the config is generated with: the cell's pins, then the extra ones. */
      pins: Pin[];
      solve: CellSolve;
      report: SolveReport;
    }
  | { kind: 'failed'; status: 'infra-error' | 'cancelled'; reason: string };

export async function solveCell(
  solver: CellSolver | undefined,
  cell: Cell,
  tree: KernelTree,
  arch: Arch,
  ctx: { signal: AbortSignal; relDir: string },
): Promise<CellSolveOutcome> {
  const { signal } = ctx;
  if (!solver) return { kind: 'failed', status: 'infra-error', reason: 'solve: no solver wired' };
  const t0 = Date.now();
  let report: SolveReport;
  try {
    report = await solver(
      { tree, arch, toolchain: cell.toolchain, base: cell.base, pins: cell.pins },
      signal,
    );
  } catch (e) {
    if (signal.aborted) return { kind: 'failed', status: 'cancelled', reason: 'solve was stopped' };
    const msg = isKmatrixError(e) && e.detail ? `${e.message}\n${e.detail}` : errorMessage(e);
    return { kind: 'failed', status: 'infra-error', reason: `solve: ${msg}` };
  }
  const ms = Date.now() - t0;
  const v = report.arches[0]!.verdict;
  const solved = (solve: CellSolve, extra: readonly Pin[] = []): CellSolveOutcome => ({
    kind: 'solved',
    pins: [...cell.pins, ...extra],
    solve,
    report,
  });
  switch (v.kind) {
    case 'holds':
      return solved({ verdict: 'holds', extra: [], ms });
    case 'satisfiable': {
      const extra = v.extra.map((e) => ({ ...e, origin: 'solve' }));
      return solved(
        { verdict: 'satisfiable', extra: extra.map((e) => `${e.symbol}=${e.value}`), ms },
        extra,
      );
    }
    case 'unsatisfiable':
      return solved({
        verdict: 'unsatisfiable',
        extra: [],
        reason: proofLine(report, v, join(ctx.relDir, SOLVE_TEXT)),
        ms,
      });
    case 'undecided':
      return solved({ verdict: 'undecided', extra: [], reason: v.reason, ms });
    default:
      return unreachable(v);
  }
}

/** The proof in one line: the first conflict's pins and the Kconfig facts after them. */
function proofLine(
  report: SolveReport,
  v: Extract<ArchVerdict, { kind: 'unsatisfiable' }>,
  file: string,
): string {
  const where = `no config of ${report.source.label} for ${report.arches[0]!.arch}`;
  const [first] = v.cores;
  if (!first) return `${where} holds these pins (proof: ${file})`;
  let why = first.chain
    .filter((s) => s.kind !== 'pin')
    .map((s) => s.text)
    .join('; ');
  if (why.length > 240) why = `${why.slice(0, 237)}...`;
  const more = v.cores.length > 1 ? `; ${v.cores.length - 1} more conflict(s)` : '';
  const tc = v.toolchainDependent ? ' with this toolchain' : '';
  return `${where}${tc} holds ${first.pins.join(' ')}: ${why} (proof: ${file}${more})`;
}

/** The answer or proof as `kmatrix solve` prints it (and its --json) in `dir`. */
export async function writeSolveFiles(report: SolveReport, dir: string): Promise<string> {
  await writeFile(join(dir, SOLVE_JSON), JSON.stringify(report, null, 2) + '\n');
  const text = join(dir, SOLVE_TEXT);
  await writeFile(text, renderSolveReport(report));
  return text;
}

/** The real solver of a run, and the end of its conf sessions. */
export interface RunSolver {
  solve: CellSolver;
  /** Closes the run's conf sessions (at the end of the run, whatever happened). */
  close: () => Promise<void>;
}

/**
 * The real solver, one per run: the solvers are checked here (a missing one fails the run
 * before any work), conf runs share one queue as wide as the run's config stage, and the
 * cells of one tree, arch, toolchain and base share one conf session (make <base> and the
 * probes once, not once per cell). The sessions stop with the run's signal; a cell that is
 * stopped stops waiting on its session at once.
 */
export async function realCellSolver(o: {
  runner: ProcessRunner;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  jobs: number;
  signal?: AbortSignal;
}): Promise<RunSolver> {
  const deps = await createSolveDeps({ ...o, emit: () => {} });
  const sessions = confSessions((tree, arch, toolchain, base) =>
    openConfChecker(tree, arch, toolchain, base, deps),
  );
  const solve: CellSolver = (req, signal) =>
    solvePins(
      {
        tree: req.tree,
        arches: [req.arch],
        toolchain: req.toolchain,
        base: req.base,
        pins: req.pins,
        forbid: [],
        keepBase: false,
        maxExtra: CELL_MAX_EXTRA,
      },
      {
        ...deps,
        signal,
        sharedConf: async (...key) =>
          sessionView(await untilAborted(sessions.get(...key), signal), signal),
      },
    );
  return { solve, close: () => sessions.close() };
}
