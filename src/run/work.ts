// The real work of a cell: the config stage is generateConfig (the tree's own Kconfig, pins
// verified), the build stage is runBuild in a Runtime reusing that config. Expected outcomes
// come back as values; only bugs throw.
import { createHash } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { findArch } from '../arch/arches.js';
import type { BuildEvent } from '../build/events.js';
import { pruneBuildDir, type PruneResult } from '../build/prune.js';
import { runBuild } from '../build/run.js';
import type { ConfigRequest, ConfigResult } from '../config/generate.js';
import type { Pin } from '../config/pin.js';
import { errorMessage, isKmatrixError } from '../core/errors.js';
import { isNoSpace, logSaysNoSpace } from '../fsutil/space.js';
import type { Cell } from '../matrix/cell.js';
import type { Runtime } from '../runtime/runtime.js';
import { shellComment, shellJoin, shellQuote } from '../process/shell-quote.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { CellFiles, CellStatus } from '../results/result.js';
import type { BuildStage, CellWork, ConfigStage, StageContext } from '../schedule/cell-work.js';
import { solveCell, writeSolveFiles, type CellSolver } from './solve-cell.js';

export interface WorkDeps {
  /** Names and labels the run's containers (see CommandOwner). */
  runId?: string;
  runDir: string;
  /** The tree of a cell's source (resolved once per source and shared). */
  tree: (source: string) => Promise<KernelTree>;
  /** The runtime builds of a toolchain run in (selected once per toolchain). */
  runtime: (toolchain: ToolchainName) => Promise<Runtime>;
  generateConfig: (req: ConfigRequest, signal: AbortSignal) => Promise<ConfigResult>;
  ccacheDir?: string;
  onBuildEvent?: (e: BuildEvent) => void;
  /** Keep each built cell's O= object tree (debugging); by default only the artifacts stay. */
  keepBuildDirs?: boolean;
  /** Told what pruning a cell's build dir removed. */
  onPruned?: (cell: Cell, r: PruneResult) => void;
  /** For `solve: true` cells (solve-cell.ts). */
  solve?: CellSolver;
}

interface Handle {
  tree: KernelTree;
  config: ConfigResult;
  /** The pins the config was generated with (the cell's, plus solve's extra pins). */
  pins: Pin[];
}

const CONFIG_REPRODUCER = 'reproducer.sh';

export function configHash(
  configText: string,
  tree: Pick<KernelTree, 'cacheKey'>,
  cell: Pick<Cell, 'arch' | 'toolchain' | 'targets'>,
): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        tree.cacheKey,
        cell.arch,
        cell.toolchain,
        [...cell.targets].sort(),
        configText,
      ]),
    )
    .digest('hex');
}

export function realWork(deps: WorkDeps): CellWork {
  return {
    config: (cell, ctx) => configStage(deps, cell, ctx),
    build: (cell, handle, ctx) => buildStage(deps, cell, handle as Handle, ctx),
  };
}

const failed = (
  status: Extract<ConfigStage, { kind: 'failed' }>['status'],
  reason: string,
  files: CellFiles = {},
): ConfigStage => ({ kind: 'failed', status, reason, files });

/**
 * generateConfig on the cell's tree (after kmatrix solve for `solve: true` cells, with its
 * extra pins); for config-only cells also the reproducer.
 */
async function configStage(deps: WorkDeps, cell: Cell, ctx: StageContext): Promise<ConfigStage> {
  const rel = (p: string) => relative(deps.runDir, p);
  const arch = findArch(cell.arch);
  if (!arch) return failed('infra-error', `unknown arch ${cell.arch}`);
  let tree: KernelTree;
  try {
    tree = await deps.tree(cell.sourceResolved);
  } catch (e) {
    return failed('infra-error', `source ${cell.source}: ${describe(e)}`);
  }
  const solved = cell.solve ? await solveCell(deps.solve, cell, tree, arch, ctx) : undefined;
  if (solved?.kind === 'failed') return failed(solved.status, solved.reason);
  const pins = solved?.pins ?? cell.pins;
  let config: ConfigResult;
  try {
    config = await deps.generateConfig(
      {
        tree,
        arch,
        toolchain: cell.toolchain,
        base: cell.base,
        pins,
        outDir: ctx.outDir,
      },
      ctx.signal,
    );
  } catch (e) {
    if (ctx.signal.aborted) return failed('cancelled', 'config generation was stopped');
    // conf failing on this tree is a finding about the tree, not about the machine; make
    // failing for want of disk space (the cache, the run dir) is about the machine.
    if (isKmatrixError(e) && e.code === 'kconfig-failed' && !isNoSpace(e))
      return failed('fail', describe(e), { log: join(ctx.relDir, 'kconfig.log') });
    return failed('infra-error', describe(e));
  }
  const configText = await readFile(config.configPath, 'utf8');
  const files: CellFiles = {
    config: rel(config.configPath),
    log: rel(join(config.outDir, 'kconfig.log')),
    result: rel(join(config.outDir, 'kmatrix-config.json')),
  };
  if (solved) files.solve = rel(await writeSolveFiles(solved.report, config.outDir));
  if (!cell.build) {
    const repro = join(config.outDir, CONFIG_REPRODUCER);
    await writeFile(repro, configReproducer({ ...cell, pins }, tree, config));
    await chmod(repro, 0o755);
    files.reproducer = rel(repro);
  }
  return {
    kind: 'configured',
    verdict: config.verdict,
    pins: config.pins,
    configHash: configHash(configText, tree, cell),
    diagnostics: config.diagnostics,
    files,
    handle: { tree, config, pins } satisfies Handle,
    ...(solved ? { solve: solved.solve } : {}),
    // a proof says more than the pin table: it ends the cell config-unsatisfied with it
    ...(solved?.solve.verdict === 'unsatisfiable' && solved.solve.reason
      ? { reason: `kmatrix solve: ${solved.solve.reason}` }
      : {}),
  };
}

const buildFailed = (status: CellStatus, reason: string): BuildStage => ({
  status,
  reason,
  diagnostics: [],
  files: {},
  artifacts: [],
});

/** runBuild in the toolchain's runtime, reusing the config the config stage made. */
async function buildStage(
  deps: WorkDeps,
  cell: Cell,
  { tree, config, pins }: Handle,
  ctx: StageContext & { makeJobs: number },
): Promise<BuildStage> {
  const rel = (p: string) => relative(deps.runDir, p);
  const arch = findArch(cell.arch)!;
  let runtime: Runtime;
  try {
    runtime = await deps.runtime(cell.toolchain);
  } catch (e) {
    return buildFailed('infra-error', describe(e));
  }
  try {
    const r = await runBuild(
      {
        tree,
        arch,
        toolchain: cell.toolchain,
        base: cell.base,
        pins,
        outDir: ctx.outDir,
        targets: cell.targets,
        jobs: ctx.makeJobs,
        allowUnsatisfied: cell.allowUnsatisfied,
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
        ...(deps.runId ? { owner: { runId: deps.runId, cellId: cell.id } } : {}),
      },
      {
        runtime,
        // The config stage already generated and verified it in this directory.
        generateConfig: async () => config,
        emit: deps.onBuildEvent ?? (() => {}),
        ...(deps.ccacheDir ? { ccacheDir: deps.ccacheDir } : {}),
      },
    );
    // A make that failed for want of disk space is not a compile error.
    const full = r.status === 'fail' && logSaysNoSpace(await readFile(r.files.log, 'utf8'));
    if (!deps.keepBuildDirs)
      deps.onPruned?.(cell, await pruneBuildDir(r.outDir, { arch, targets: cell.targets }));
    return {
      status: full ? 'infra-error' : r.status,
      ...(full
        ? { reason: `no space left on device while building in ${r.outDir}` }
        : r.reason
          ? { reason: r.reason }
          : {}),
      diagnostics: r.diagnostics,
      files: {
        config: rel(r.files.config),
        log: rel(r.files.log),
        reproducer: rel(r.files.reproducer),
        result: rel(r.files.result),
      },
      artifacts: r.artifacts.map((a) => rel(join(r.outDir, a))),
    };
  } catch (e) {
    return buildFailed(ctx.signal.aborted ? 'cancelled' : 'infra-error', describe(e));
  }
}

function describe(e: unknown): string {
  if (isKmatrixError(e)) return e.detail ? `${e.message}\n${e.detail}` : e.message;
  return errorMessage(e);
}

/** For config-only cells: the kmatrix config command that makes the same .config. */
function configReproducer(cell: Cell, tree: KernelTree, c: ConfigResult): string {
  const args = ['kmatrix', 'config', '--source', cell.sourceResolved, '--arch', cell.arch];
  const b = cell.base;
  if (b.kind === 'file') args.push('--base', `file:${b.path}`);
  else args.push('--base', b.kind);
  if (b.kind === 'randconfig') {
    args.push('--seed', b.seed);
    if (b.probability !== undefined) args.push('--probability', b.probability);
  }
  for (const p of cell.pins) args.push('--set', `${p.symbol}=${p.value}`);
  args.push('--toolchain', cell.toolchain);
  return [
    '#!/usr/bin/env bash',
    `# kmatrix config reproducer: ${shellComment(`${cell.source} ${cell.arch} ${cell.variant} ${cell.toolchain} (cell ${cell.id})`)}`,
    `# kmatrix result: ${c.verdict}; tree ${shellComment(`${tree.path} (${tree.version})`)}`,
    '# Usage: reproducer.sh [OUTPUT_DIR]   (a new or empty directory)',
    '# kmatrix ran these make lines:',
    ...c.commands.map((l) => `#   ${shellComment(l)}`),
    'set -euo pipefail',
    `OUT=\${1:-${shellQuote(`${c.outDir}-repro`)}}`,
    `${shellJoin(args)} --out "$OUT"`,
    '',
  ].join('\n');
}
