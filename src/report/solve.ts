// How `kmatrix solve`'s answer looks: a verdict table, then per arch the extra pins with the
// ready `kmatrix config` command, or the conflicts as chains of Kconfig facts; progress lines.
import { unreachable } from '../core/errors.js';
import type {
  ArchSolveResult,
  ArchVerdict,
  SolveCore,
  SolveEvent,
  SolvePinRow,
  SolveReport,
} from '../solve/result.js';
import { table } from './config-table.js';

export function solveEventLine(e: SolveEvent): string | undefined {
  switch (e.type) {
    case 'solve:start':
      return `${e.arch}: solving ${e.pins} pin(s)`;
    case 'solve:encoded':
      return `${e.arch}: ${e.symbols} symbols in the cone, ${e.variables} variables, ${e.clauses} clauses (${e.ms} ms)`;
    case 'solve:proof':
      return `${e.arch}: ${e.satisfiable ? 'some config can hold the pins; minimising extra pins' : 'no config can hold the pins; extracting the conflict'} (${e.ms} ms)`;
    case 'solve:candidate':
      return `${e.arch}: checking with conf: ${e.extra.length ? e.extra.join(' ') : '(no extra pins)'}`;
    case 'solve:refuted':
      return `${e.arch}: conf refuted ${e.extra.join(' ') || '(no extra pins)'}: ${e.why}`;
    case 'solve:verdict':
      return `${e.arch}: ${e.verdict} (${(e.ms / 1000).toFixed(1)}s)`;
  }
}

const VERDICT_TEXT: Record<ArchVerdict['kind'], string> = {
  holds: 'holds already',
  satisfiable: 'SATISFIABLE',
  unsatisfiable: 'UNSATISFIABLE',
  undecided: 'UNDECIDED',
};

function verdictSummary(a: ArchSolveResult): string {
  const v = a.verdict;
  switch (v.kind) {
    case 'holds':
      return 'no extra pins needed';
    case 'satisfiable':
      return v.extra.length
        ? `+ ${v.extra.map((e) => `${e.symbol}=${e.value}`).join(' ')}`
        : 'no extra pins needed';
    case 'unsatisfiable':
      return (
        v.cores.map((c) => c.pins.join(' ')).join(' | ') +
        (v.toolchainDependent ? ' (this toolchain)' : '')
      );
    case 'undecided':
      return v.reason;
    default:
      return unreachable(v);
  }
}

function pinTable(rows: readonly SolvePinRow[]): string {
  return table([
    ['SYMBOL', 'REQUESTED', 'EFFECTIVE', 'STATUS', 'FROM'],
    ...rows.map((p) => [
      p.symbol,
      p.origin === 'forbid' ? `not ${p.requested}` : p.requested,
      p.effective,
      p.status === 'holds' ? 'ok' : p.status.toUpperCase(),
      p.origin,
    ]),
  ]);
}

function renderCore(c: SolveCore, i: number, total: number): string[] {
  const head = total > 1 ? `conflict ${i + 1} of ${total}: ` : 'conflict: ';
  const out = [`  ${head}${c.pins.join(' ') || '(the tree itself)'}`];
  for (const s of c.chain) {
    const loc = s.location ? `  [${s.location.file}:${s.location.line}]` : '';
    out.push(`    ${s.text}${loc}`);
    const els = s.definedElsewhere ?? [];
    if (els.length > 0) {
      const where = els.slice(0, 4).map((d) => `${d.file}:${d.line}`);
      out.push(`      (defined in ${where.join(', ')}${els.length > 4 ? ', ...' : ''})`);
    }
  }
  if (!c.confirmedByConf) out.push('    (conf did not confirm this core: treat it with suspicion)');
  return out;
}

function renderArch(r: SolveReport, a: ArchSolveResult): string[] {
  const v = a.verdict;
  const out = [`${r.source.label} ${a.arch}: ${VERDICT_TEXT[v.kind]}`];
  switch (v.kind) {
    case 'holds':
      out.push(`  the pins hold on ${r.base} as they are`);
      break;
    case 'satisfiable':
      out.push(
        `  ${v.extra.length} extra pin(s)${v.found === 'search' ? ' (found by a search around a recursive dependency)' : ' (the fewest)'}, ${v.changedFromBase} symbol(s) differ from ${r.base}; checked with conf:`,
        `  ${v.command}`,
      );
      break;
    case 'unsatisfiable':
      out.push(
        `  no config of this tree for ${a.arch} holds these pins together${v.toolchainDependent ? ' (with this toolchain: a toolchain probe is part of the reason)' : ''}`,
      );
      v.cores.forEach((c, i) => out.push(...renderCore(c, i, v.cores.length)));
      break;
    case 'undecided':
      out.push(`  ${v.reason}`);
      break;
    default:
      return unreachable(v);
  }
  out.push(pinTable(a.pins));
  return out;
}

export function renderSolveReport(r: SolveReport): string {
  const out: string[] = [];
  if (r.arches.length > 1) {
    out.push(
      `${r.source.label} (${r.source.version}) ${r.base} ${r.toolchain}: ${r.pins.join(' ')}`,
      table([
        ['ARCH', 'VERDICT', 'DETAIL'],
        ...r.arches.map((a) => [a.arch, VERDICT_TEXT[a.verdict.kind], verdictSummary(a)]),
      ]),
      '',
    );
  }
  for (const a of r.arches) out.push(...renderArch(r, a), '');
  return out.join('\n');
}
