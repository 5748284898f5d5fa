// repro as a developer reads it: progress on stderr, then the verdict and each reported issue
// found or absent. Report text may hold anything, so values from it are shown through JSON
// quoting where they are not plain.
import type { Writable } from 'node:stream';
import type { ReproResult } from '../repro/result.js';
import type { ReproDeps } from '../repro/run.js';
import { buildReporter } from './build.js';

/** Repro progress on `stream`: its notes (runtime, plan) and the build's lines. */
export function reproReporter(stream: Writable, verbose: boolean): ReproDeps['emit'] {
  const build = buildReporter(stream, verbose);
  return (e) => {
    if (e.type === 'repro:note') stream.write(`kmatrix: ${e.note}\n`);
    else build(e);
  };
}

const loc = (d: { file: string; line?: number; column?: number; kind?: string }) =>
  `${d.file || (d.kind === 'kconfig' ? 'kconfig' : '(no file)')}${d.line !== undefined ? `:${d.line}` : ''}${d.column !== undefined ? `:${d.column}` : ''}`;

/** Printable: control characters escaped, long values cut. */
function clean(s: string, max = 160): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return t.length > max ? t.slice(0, max) + '...' : t;
}

export function renderRepro(r: ReproResult): string {
  const out: string[] = [];
  const head = {
    reproduced: 'REPRODUCED',
    'partially-reproduced': 'PARTIALLY REPRODUCED',
    'not-reproduced': 'NOT REPRODUCED',
    'cannot-run': 'CANNOT RUN',
  }[r.verdict];
  const cfg = r.report.config?.name ?? 'no config name';
  out.push(`${head}  ${clean(cfg)}${r.plan.arch ? ` (${r.plan.arch}, ${r.plan.toolchain})` : ''}`);
  const rep = r.report;
  if (rep.compiler) out.push(`  report compiler: ${clean(rep.compiler.text)}`);
  if (rep.commit)
    out.push(
      `  report commit: ${rep.commit.sha}${rep.commit.subject ? ` (${clean(rep.commit.subject)})` : ''}`,
    );
  if (rep.tree) out.push(`  report tree: ${clean(rep.tree.url)} ${clean(rep.tree.branch ?? '')}`);
  if (rep.closes) out.push(`  closes: ${clean(rep.closes)}`);
  if (r.plan.toolchainNote) out.push(`  toolchain: ${r.plan.toolchainNote}`);
  if (r.plan.source) out.push(`  source: ${clean(r.plan.source)}`);
  const asked = r.plan.requests.length ? ` + requested ${r.plan.requests.join(' ')}` : '';
  if (r.plan.config) out.push(`  config: ${clean(r.plan.config)}${asked} (olddefconfig)`);
  else if (r.config?.base === 'kismet')
    out.push(
      `  config: allnoconfig + ${r.config.pins.map((p) => `${p.symbol}=${p.requested}`).join(' ')} (the smallest config for the kismet pair)`,
    );
  if (r.plan.stage === 'config')
    out.push('  stage: config only (conf; Kconfig warnings need no build)');
  else
    out.push(
      `  make: ${[...r.plan.makeVars, ...(r.plan.goals.length ? r.plan.goals : ['<kernel image>'])].join(' ')}`,
    );
  for (const d of r.plan.makeVarDecisions)
    if (d.action === 'ignore' || d.action === 'reject')
      out.push(
        `    ${d.action === 'reject' ? 'rejected' : 'ignored'} ${clean(`${d.name}=${d.value}`, 120)}: ${d.why}`,
      );

  if (r.verdict === 'cannot-run') {
    out.push('  missing:');
    for (const m of r.missing) out.push(`    - ${clean(m, 400).replace(/\\n/g, '\n      ')}`);
  }
  for (const o of r.outcomes) {
    const i = o.issue;
    out.push(
      `  ${o.found ? 'found  ' : 'absent '} ${loc(i)}: ${i.severity}: ${clean(i.message)}${i.new ? '' : ' (not new in the report)'}`,
    );
    if (o.match && (o.match.line !== i.line || o.match.file !== i.file))
      out.push(`          build: ${loc(o.match)}`);
    if (o.near) out.push(`          near: ${loc(o.near)}: ${clean(o.near.message)}`);
  }
  for (const e of r.explanations) {
    out.push(`  why ${e.symbol}${e.selector ? ` (selected by ${e.selector})` : ''}:`);
    out.push(e.text.trimEnd().replace(/^/gm, '    '));
  }
  for (const u of r.unchecked) out.push(`  unchecked ${loc(u)}: ${u.section}: ${clean(u.message)}`);
  for (const n of r.plan.notes) out.push(`  note: ${clean(n, 300)}`);
  const b = r.build;
  if (b) {
    out.push(
      `  build: ${b.status}${b.reason ? ` (${clean(b.reason.split('\n')[0]!)})` : ''}; compiler ${b.compiler || '?'}`,
    );
    for (const c of b.commands) out.push(`    $ ${c}`);
    out.push(`  result: ${b.result}`);
    out.push(`  log: ${b.log}`);
    out.push(`  reproducer: ${b.reproducer}`);
  }
  const c = r.config;
  if (c) {
    out.push(`  conf: ${(c.durationMs / 1000).toFixed(1)}s`);
    for (const cmd of c.commands) out.push(`    $ ${cmd}`);
    out.push(`  result: ${c.outDir}/repro.json`);
    out.push(`  log: ${c.log}`);
  }
  return out.join('\n') + '\n';
}
