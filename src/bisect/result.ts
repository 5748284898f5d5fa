// What `kmatrix bisect` returns: the steps it tested, and one of three answers (found,
// inconclusive, endpoints that do not bracket a regression), each with a replayable log.
import type { Arch } from '../arch/arches.js';
import type { BuildTarget } from '../build/targets.js';
import { baseLabel, type Base } from '../config/base.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { RequireResult } from './configure.js';
import type { SymbolExplanation } from './explain-at.js';
import type { CommitInfo } from './git.js';
import { renderBisectLog, type LogEntry } from './log.js';
import { matchLabels, type MatchSpec, type Predicate } from './predicate.js';
import type { StepVerdict } from './search.js';

export type { SymbolExplanation } from './explain-at.js';

export interface StepRecord {
  sha: string;
  subject: string;
  verdict: StepVerdict;
  why: string;
  /** false: decided without running the predicate (same inputs as `inferredFrom`). */
  tested: boolean;
  inferredFrom?: string;
  ms: number;
  requires?: RequireResult[];
  /** Error diagnostics of a build step (fingerprints). */
  errors?: string[];
}

export interface CulpritHunk {
  file: string;
  header: string;
  text: string;
  symbols: string[];
}

export interface BisectCommon {
  schema: 'kmatrix.bisect/1';
  repo: string;
  good: CommitInfo;
  bad: CommitInfo;
  arch: string;
  base: string;
  toolchain: ToolchainName;
  predicate:
    | { kind: 'config'; requires: { symbol: string; value: string }[] }
    | { kind: 'build'; targets: BuildTarget[]; match: string[] };
  range: { commits: number; candidates: number };
  steps: StepRecord[];
  /** `git bisect replay` input. */
  log: string;
  durationMs: number;
}

export type BisectResult =
  | (BisectCommon & {
      kind: 'found';
      firstBad: CommitInfo;
      parent: { info: CommitInfo; step: StepRecord };
      culprit: StepRecord;
      hunks: CulpritHunk[];
      explanation: { before: SymbolExplanation[]; after: SymbolExplanation[] };
    })
  | (BisectCommon & { kind: 'inconclusive'; candidates: CommitInfo[] })
  | (BisectCommon & { kind: 'endpoints'; problems: string[] });

/** The fields every kind of result shares; the log is left to the kind (see logFor). */
export function resultCommon(o: {
  repo: string;
  good: CommitInfo;
  bad: CommitInfo;
  arch: Arch;
  base: Base;
  toolchain: ToolchainName;
  predicate: Predicate;
  match: MatchSpec | undefined;
  range: { commits: number; candidates: number };
  steps: StepRecord[];
  started: number;
}): BisectCommon {
  const pred = o.predicate;
  return {
    schema: 'kmatrix.bisect/1',
    repo: o.repo,
    good: o.good,
    bad: o.bad,
    arch: o.arch.name,
    base: baseLabel(o.base),
    toolchain: o.toolchain,
    predicate:
      pred.kind === 'config'
        ? {
            kind: 'config',
            requires: pred.requires.map((p) => ({ symbol: p.symbol, value: p.value })),
          }
        : { kind: 'build', targets: pred.targets, match: matchLabels(o.match) },
    range: o.range,
    steps: o.steps,
    log: '',
    durationMs: Date.now() - o.started,
  };
}

/** The tested steps in `git bisect log` form, plus inferred verdicts and the answer. */
export function logFor(
  steps: readonly StepRecord[],
  good: string,
  bad: string,
  extra: LogEntry[] = [],
  firstBad?: CommitInfo,
): string {
  return renderBisectLog({
    good,
    bad,
    firstParent: true,
    entries: [
      ...steps.map((s) => ({ sha: s.sha, subject: s.subject, verdict: s.verdict })),
      ...extra,
    ],
    ...(firstBad ? { firstBad } : {}),
  });
}
