// The bisect log kmatrix writes: the format `git bisect log` prints, so `git bisect replay`
// reaches the same first bad commit in any clone of the repository.
import { shellComment } from '../process/shell-quote.js';

export interface LogEntry {
  sha: string;
  subject: string;
  verdict: 'good' | 'bad' | 'skip';
  /** Why, when the verdict was not tested directly (inferred from an equal commit). */
  note?: string;
}

export function renderBisectLog(o: {
  good: string;
  bad: string;
  firstParent: boolean;
  entries: readonly LogEntry[];
  firstBad?: { sha: string; subject: string };
}): string {
  const out: string[] = [];
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  out.push(
    `git bisect start ${o.firstParent ? `${q('--first-parent')} ` : ''}${q(o.bad)} ${q(o.good)}`,
  );
  for (const e of o.entries) {
    if (e.note) out.push(`# ${shellComment(e.note)}`);
    out.push(`# ${e.verdict}: [${e.sha}] ${shellComment(e.subject)}`);
    out.push(`git bisect ${e.verdict} ${e.sha}`);
  }
  if (o.firstBad)
    out.push(`# first bad commit: [${o.firstBad.sha}] ${shellComment(o.firstBad.subject)}`);
  return out.join('\n') + '\n';
}
