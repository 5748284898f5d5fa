// Progress of a bisect as typed events; src/report/bisect.ts renders them as lines on stderr.
import type { StepVerdict } from './search.js';

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
  | { type: 'bisect:verdict'; sha: string; verdict: StepVerdict; why: string; ms: number }
  | { type: 'bisect:suspects'; symbols: string[]; commits: string[]; files?: string[] }
  | { type: 'bisect:note'; text: string };
