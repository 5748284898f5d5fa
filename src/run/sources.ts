// Git sources follow a ref (git:~/linux@master). A new run pins each one to the commit its
// ref names when the run starts: every cell of the run builds that commit (a `git fetch`
// during the run does not split it), and the store records it, which is what triage bisects
// from the next night.
import type { Cell } from '../matrix/cell.js';
import type { ProcessRunner } from '../process/runner.js';
import { resolveCommit } from '../source/git.js';
import { parseSourceSpec } from '../source/spec.js';
import type { SourceCommit } from '../store/store.js';

export async function pinGitSources(
  cells: readonly Cell[],
  runner: ProcessRunner,
): Promise<{ cells: Cell[]; sources: Record<string, SourceCommit> }> {
  const sources: Record<string, SourceCommit> = {};
  const pinned = new Map<string, string>();
  for (const c of cells) {
    if (!c.sourceResolved.startsWith('git:') || pinned.has(c.sourceResolved)) continue;
    const spec = parseSourceSpec(c.sourceResolved);
    if (spec.kind !== 'git') continue;
    try {
      const commit = await resolveCommit(runner, spec.repo, spec.ref);
      pinned.set(c.sourceResolved, `git:${spec.repo}@${commit}`);
      sources[c.source] = { repo: spec.repo, ref: spec.ref, commit };
    } catch {
      // A ref that names nothing fails the cells that use it, as before (infra-error).
    }
  }
  return {
    cells: cells.map((c) => {
      const p = pinned.get(c.sourceResolved);
      return p ? { ...c, sourceResolved: p } : c;
    }),
    sources,
  };
}
