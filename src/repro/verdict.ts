// Did the build show what the report says? Reported issues and build diagnostics are both
// fingerprinted by src/diagnostics (path, severity, message without positions or -W flags),
// so a match survives moved lines; a different wording (another compiler version) does not,
// and is shown as "near" so the developer can judge. Pure.
import type { BuildResult, BuildStatus } from '../build/result.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ReportedIssue } from './report.js';

export type VerdictKind = 'reproduced' | 'partially-reproduced' | 'not-reproduced' | 'cannot-run';

export interface IssueOutcome {
  issue: ReportedIssue;
  found: boolean;
  /** The build diagnostic with the same fingerprint. */
  match?: Diagnostic;
  /** Not found: a build diagnostic of the same severity at the same file:line. */
  near?: Diagnostic;
}

export type ReproVerdict =
  | { kind: 'reproduced'; outcomes: IssueOutcome[] }
  | { kind: 'partially-reproduced'; outcomes: IssueOutcome[] }
  | { kind: 'not-reproduced'; outcomes: IssueOutcome[]; buildStatus: BuildStatus; reason?: string }
  | { kind: 'cannot-run'; missing: string[] };

function matchIssues(
  required: readonly ReportedIssue[],
  diagnostics: readonly Diagnostic[],
): IssueOutcome[] {
  const byPrint = new Map<string, Diagnostic>();
  for (const d of diagnostics) if (!byPrint.has(d.fingerprint)) byPrint.set(d.fingerprint, d);
  return required.map((issue): IssueOutcome => {
    const match = byPrint.get(issue.fingerprint);
    if (match) return { issue, found: true, match };
    const near = diagnostics.find(
      (d) =>
        d.file === issue.file &&
        d.severity === issue.severity &&
        issue.line !== undefined &&
        d.line === issue.line,
    );
    return near ? { issue, found: false, near } : { issue, found: false };
  });
}

export function judge(
  required: readonly ReportedIssue[],
  build: Pick<BuildResult, 'status' | 'reason' | 'diagnostics'>,
): ReproVerdict {
  if (build.status === 'infra-error' || build.status === 'cancelled')
    return {
      kind: 'cannot-run',
      missing: [`a build: it ended ${build.status}${build.reason ? `: ${build.reason}` : ''}`],
    };
  const outcomes = matchIssues(required, build.diagnostics);
  const found = outcomes.filter((o) => o.found).length;
  if (found === outcomes.length && found > 0) return { kind: 'reproduced', outcomes };
  if (found > 0) return { kind: 'partially-reproduced', outcomes };
  return {
    kind: 'not-reproduced',
    outcomes,
    buildStatus: build.status,
    ...(build.reason ? { reason: build.reason } : {}),
  };
}

/** 0 reproduced, 1 partially or not reproduced, 2 cannot run. */
export function exitCodeForVerdict(kind: VerdictKind): 0 | 1 | 2 {
  switch (kind) {
    case 'reproduced':
      return 0;
    case 'partially-reproduced':
    case 'not-reproduced':
      return 1;
    case 'cannot-run':
      return 2;
  }
}
