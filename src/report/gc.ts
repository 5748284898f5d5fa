// `kmatrix gc` results as text: what was removed, how much it freed, what was kept and why.
import { formatBytes } from '../core/text.js';

export interface GcReport {
  runs: {
    removed: { runId: string; identity: string; runDir: string; bytes: number }[];
    skipped: { runId: string; why: string }[];
    keptRuns: number;
    freedBytes: number;
  } | null;
  cache: {
    removed: { path: string; lastUsed: Date; bytes: number }[];
    freedBytes: number;
    ccache: { dir: string; maxSize: string }[];
  } | null;
  dryRun: boolean;
}

export function renderGc(r: GcReport): string {
  const out: string[] = [];
  const verb = r.dryRun ? 'would remove' : 'removed';
  if (r.runs) {
    out.push(
      `runs: ${verb} ${r.runs.removed.length} run dir(s), ${formatBytes(r.runs.freedBytes)}; kept the newest ${r.runs.keptRuns} (their results stay in the store either way)`,
    );
    for (const x of r.runs.removed) out.push(`  ${x.runId}  ${formatBytes(x.bytes)}  ${x.runDir}`);
    for (const s of r.runs.skipped) out.push(`  kept ${s.runId}: ${s.why}`);
  }
  if (r.cache) {
    out.push(
      `cache: ${verb} ${r.cache.removed.length} entr${r.cache.removed.length === 1 ? 'y' : 'ies'}, ${formatBytes(r.cache.freedBytes)}`,
    );
    for (const x of r.cache.removed)
      out.push(
        `  ${x.path}  ${formatBytes(x.bytes)}  last used ${x.lastUsed.toISOString().slice(0, 10)}`,
      );
    for (const c of r.cache.ccache) out.push(`  ccache ${c.dir}: max_size = ${c.maxSize}`);
  }
  return out.join('\n') + '\n';
}
