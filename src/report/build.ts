// A build as a user reads it: progress lines on stderr while it runs (with make's output
// under --verbose), then the result: status, runtime, config verdict, targets, diagnostics
// and where the files are.
import type { Writable } from 'node:stream';
import type { BuildEvent } from '../build/events.js';
import type { BuildResult } from '../build/result.js';

function buildEventLine(e: BuildEvent): string | undefined {
  switch (e.type) {
    case 'build:runtime':
      return e.note;
    case 'build:config':
      return `${e.cell}: config ${e.verdict}`;
    case 'build:compiler':
      return `${e.cell}: compiler ${e.version}`;
    case 'build:target-start':
      return `${e.cell}: ${e.command}`;
    case 'build:target-done':
      return `${e.cell}: ${e.target} ${e.status} (${(e.ms / 1000).toFixed(1)}s)`;
    case 'build:output':
    case 'build:done':
      return undefined;
  }
}

/** Build progress on `stream`: a line per step, make's own output too when verbose. */
export function buildReporter(stream: Writable, verbose: boolean): (e: BuildEvent) => void {
  return (e) => {
    if (e.type === 'build:output') {
      if (verbose) stream.write(e.chunk);
      return;
    }
    const line = buildEventLine(e);
    if (line) stream.write(`kmatrix: ${line}\n`);
  };
}

export function renderBuildResult(r: BuildResult): string {
  const c = r.cell;
  const out = [
    `${r.status.toUpperCase()}  ${c.source.label} ${c.arch} ${c.base} ${c.toolchain}  (${(r.durationMs / 1000).toFixed(1)}s)`,
  ];
  if (r.reason) out.push(`  reason: ${r.reason.split('\n')[0]}`);
  const rt =
    r.runtime.kind === 'docker'
      ? `docker ${r.runtime.image} ${r.runtime.imageId?.slice(0, 19)}`
      : 'local';
  out.push(`  runtime: ${rt}; compiler: ${r.toolchain.version || r.toolchain.compiler}`);
  out.push(
    `  config: ${r.config.verdict}${r.config.pins.length ? ` (${r.config.pins.filter((p) => p.status === 'holds').length}/${r.config.pins.length} pins hold)` : ''}`,
  );
  const drift = driftWarning(r);
  if (drift) out.push(drift);
  for (const t of r.targets) {
    const extra =
      t.status === 'skipped' || t.status === 'infra-error'
        ? ` (${t.reason})`
        : t.exitCode !== undefined
          ? ` (exit ${t.exitCode})`
          : '';
    out.push(
      `  ${t.target.padEnd(8)} ${(t.goal ?? '').padEnd(8)} ${t.status}${extra}  ${(t.durationMs / 1000).toFixed(1)}s`,
    );
  }
  out.push(...diagnosticLines(r));
  if (r.artifacts.length) out.push(`  artifacts: ${r.artifacts.join(', ')}`);
  out.push(`  result: ${r.files.result}`);
  out.push(`  log: ${r.files.log}`);
  out.push(`  reproducer: ${r.files.reproducer}`);
  return out.join('\n') + '\n';
}

/** Config symbols the build changed (compiler probes that differ from the host's). */
function driftWarning(r: BuildResult): string | undefined {
  const drift = r.config.changedByBuild;
  if (!drift.length) return undefined;
  const pinned = new Set(r.config.pins.map((p) => p.symbol));
  const shown = drift
    .slice(0, 8)
    .map(
      (c) =>
        `${c.symbol}${pinned.has(c.symbol) ? ' (PINNED)' : ''}: ${c.generated ?? 'unset'} -> ${c.built ?? 'unset'}`,
    );
  return `  warning: the build changed ${drift.length} config symbol(s) (compiler probes differ from the host's): ${shown.join(', ')}${drift.length > 8 ? ', ...' : ''}`;
}

function diagnosticLines(r: BuildResult): string[] {
  const errors = r.diagnostics.filter((d) => d.severity === 'error' && d.kind !== 'make');
  const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
  if (!errors.length && !warnings.length) return [];
  const out = [`  diagnostics: ${r.counts.errors} error(s), ${r.counts.warnings} warning(s)`];
  for (const d of [...errors, ...warnings].slice(0, 20)) {
    const where = d.file
      ? `${d.file}${d.line ? `:${d.line}` : ''}${d.column ? `:${d.column}` : ''}`
      : d.kind;
    out.push(`    ${where}: ${d.severity}: ${d.message}`);
  }
  return out;
}
