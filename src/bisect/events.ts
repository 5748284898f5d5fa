// Progress of a bisect as typed events; the CLI renders them as lines on stderr.
import type { Verdict } from './search.js';

export type BisectEvent =
  | { type: 'bisect:range'; commits: number; candidates: number; filter: string }
  | { type: 'bisect:worktree'; dir: string; workers: number }
  | {
      type: 'bisect:step';
      n: number;
      total: number;
      sha: string;
      subject: string;
      role: 'good endpoint' | 'bad endpoint' | 'probe' | 'suspect' | 'parent';
    }
  | { type: 'bisect:verdict'; sha: string; verdict: Verdict; why: string; ms: number }
  | { type: 'bisect:suspects'; symbols: string[]; commits: string[] }
  | { type: 'bisect:note'; text: string };

export function bisectEventLine(e: BisectEvent): string | undefined {
  switch (e.type) {
    case 'bisect:range':
      return `${e.commits} commit(s) in range, ${e.candidates} can change the answer (${e.filter})`;
    case 'bisect:worktree':
      return `private worktree${e.workers > 1 ? `s (${e.workers})` : ''} in ${e.dir}`;
    case 'bisect:step':
      return `step ${e.n} of ~${e.total}: ${e.sha.slice(0, 12)} (${e.role}) ${e.subject}`;
    case 'bisect:verdict':
      return `  ${e.sha.slice(0, 12)} is ${e.verdict}: ${e.why} (${(e.ms / 1000).toFixed(1)}s)`;
    case 'bisect:suspects':
      return e.commits.length
        ? `suspects (Kconfig hunks naming ${e.symbols.slice(0, 6).join(', ')}${e.symbols.length > 6 ? ', ...' : ''}): ${e.commits.map((c) => c.slice(0, 12)).join(', ')}`
        : undefined;
    case 'bisect:note':
      return e.text;
  }
}
