// The "why" of broken cells and the triage of new failures as text lines, shared by the
// terminal summary and summary.md (run-summary.ts) and the HTML page (run-html.ts). Pure.
import { diagnosticLine, verifyLabel } from './triage-mail.js';
import type { CellWhy, TriageRecord } from '../results/triage.js';

const short = (sha: string) => sha.slice(0, 12);
const DERIVED_SHOWN = 6;

/** Indented lines: each pin that did not hold with its chain, then the first errors. */
export function whyLines(w: CellWhy, indent = '    '): string[] {
  const out: string[] = [];
  for (const p of w.pins) {
    out.push(`${indent}pin ${p.symbol}=${p.requested}: ${p.status} (got ${p.effective})`);
    if (p.explanation)
      for (const l of p.explanation.trimEnd().split('\n')) out.push(`${indent}  ${l}`);
  }
  if (w.errors.length) {
    out.push(`${indent}first errors:`);
    for (const d of w.errors) out.push(`${indent}  ${diagnosticLine(d)}`);
  }
  if (w.note) out.push(`${indent}(${w.note})`);
  return out;
}

/** One line, then details: culprit (or suspect), verification, smallest config, report. */
export function triageLines(t: TriageRecord, indent = '    '): string[] {
  const head: string[] = [t.status];
  if (t.culprit)
    head.push(`culprit ${short(t.culprit.commit)} "${t.culprit.subject}" (${t.verification})`);
  else if (t.suspect)
    head.push(
      `suspect ${short(t.suspect.commit)} "${t.suspect.subject}" (${t.verification}, not the cause)`,
    );
  if (t.minimalConfig?.length)
    head.push(`fails with ${t.minimalConfig.map((s) => `${s.symbol}=${s.value}`).join(' ')}`);
  if (t.report) head.push(`report ${t.report}`);
  const out = [`${indent}triage: ${head.join('; ')}`];
  const c = t.culprit ?? t.suspect;
  if (c) out.push(`${indent}  ${c.commit} ${c.author} ${c.date}`);
  if (t.sharedWith.length) out.push(`${indent}  same failure in ${t.sharedWith.join(', ')}`);
  for (const v of t.verify)
    out.push(`${indent}  ${verifyLabel(v)}: ${v.got} (expected ${v.expected})`);
  const mz = t.minimization;
  if (mz?.outcome === 'found') {
    const line = (s: { symbol: string; value: string; why: string | null }, pre: string) => {
      const why = s.why?.split('\n')[0]?.trim();
      return `${indent}  ${pre}${s.symbol}=${s.value}${why ? `: ${why}` : ''}`;
    };
    for (const s of mz.symbols) out.push(line(s, ''));
    for (const s of mz.derived.slice(0, DERIVED_SHOWN)) out.push(line(s, 'olddefconfig derives '));
    if (mz.derived.length > DERIVED_SHOWN)
      out.push(
        `${indent}  ... and ${mz.derived.length - DERIVED_SHOWN} more derived (see the report)`,
      );
  }
  if (t.reason) out.push(`${indent}  ${t.reason.split('\n')[0]}`);
  return out;
}
