// A bisect as a user reads it: a progress line per event on stderr, then the answer first,
// the evidence (verdicts, hunks, explanations), and where the replayable log is.
import type { Writable } from 'node:stream';
import type { BisectEvent } from '../bisect/events.js';
import type { BisectResult, StepRecord } from '../bisect/run.js';
import type { BuildEvent } from '../build/events.js';
import { unreachable } from '../core/errors.js';

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
      if (e.files)
        return e.commits.length
          ? `suspects (changing ${e.files.slice(0, 3).join(', ')}${e.files.length > 3 ? ', ...' : ''}): ${e.commits.map((c) => c.slice(0, 12)).join(', ')}`
          : undefined;
      return e.commits.length
        ? `suspects (Kconfig hunks naming ${e.symbols.slice(0, 6).join(', ')}${e.symbols.length > 6 ? ', ...' : ''}): ${e.commits.map((c) => c.slice(0, 12)).join(', ')}`
        : undefined;
    case 'bisect:note':
      return e.text;
  }
}

/** The builds of a --build bisect: each make command under its step, make's output when verbose. */
export function bisectBuildReporter(stream: Writable, verbose: boolean): (e: BuildEvent) => void {
  return (e) => {
    if (e.type === 'build:output' && verbose) stream.write(e.chunk);
    if (e.type === 'build:target-start') stream.write(`kmatrix:   ${e.command}\n`);
  };
}

const short = (sha: string) => sha.slice(0, 12);

function stepLine(label: string, s: StepRecord): string {
  const how = s.tested ? 'tested' : `inferred from ${short(s.inferredFrom ?? '')}`;
  return `  ${label.padEnd(7)} ${short(s.sha)} ${s.verdict.padEnd(4)} ${s.why} [${how}]`;
}

export function renderBisectResult(r: BisectResult, logFile?: string): string {
  const out: string[] = [];
  const tested = r.steps.length;
  const summary = `${r.range.commits} commits, ${r.range.candidates} could change the answer, ${tested} tested in ${(r.durationMs / 1000).toFixed(1)}s`;
  switch (r.kind) {
    case 'found':
      out.push(`first bad commit: ${short(r.firstBad.sha)} ${r.firstBad.subject}`);
      out.push(`  ${r.firstBad.sha}  ${r.firstBad.date}  ${r.firstBad.author}`);
      out.push(stepLine('parent', r.parent.step));
      out.push(stepLine('commit', r.culprit));
      out.push(`  ${summary}`);
      if (r.hunks.length) {
        const syms = [...new Set(r.hunks.flatMap((h) => h.symbols))];
        out.push('', `hunks naming ${syms.join(', ')}:`);
        for (const h of r.hunks) out.push(h.text);
      } else if (r.predicate.kind === 'config') {
        out.push('', 'no Kconfig hunk of this commit names a symbol of the explanation');
      }
      for (const [when, list] of [
        ['before (parent)', r.explanation.before],
        ['after (first bad)', r.explanation.after],
      ] as const) {
        if (list.length === 0) continue;
        out.push('', `explanation ${when}:`);
        for (const e of list) out.push(e.text.trimEnd().replace(/^/gm, '  '));
      }
      break;
    case 'inconclusive':
      out.push(`inconclusive: only skipped commits are left; the first bad commit is one of:`);
      for (const c of r.candidates) out.push(`  ${short(c.sha)} ${c.subject}`);
      out.push(`  ${summary}`);
      break;
    case 'endpoints':
      out.push('endpoints do not bracket a regression:');
      for (const p of r.problems) out.push(`  ${p}`);
      break;
    default:
      unreachable(r);
  }
  if (r.steps.length) {
    out.push('', 'steps:');
    for (const s of r.steps) out.push(`  ${short(s.sha)} ${s.verdict.padEnd(4)} ${s.subject}`);
  }
  if (logFile) out.push('', `bisect log: ${logFile} (git bisect replay accepts it)`);
  return out.join('\n') + '\n';
}
