// A triaged failure as a mail in the kernel test robot's layout (tree/head/commit/config/
// compiler/reproduce, "All errors (new ones prefixed by >>):"), so a kernel developer reads it
// like any robot report and `kmatrix repro` reads it back (src/repro/report.ts). The errors
// are written in the compiler's and linker's own line formats, so they parse back to the same
// fingerprints; a report of pins that did not hold writes merge_config.sh's lines instead. The triage's findings (first bad commit, verification, smallest config, the
// why) come before the errors section, indented, where a report parser reads no fields. Pure.
import type { Arch } from '../arch/arches.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Cell } from '../matrix/cell.js';
import { formatPinLine } from '../config/pin.js';
import type { CellWhy, PinWhy, TriageRecord, VerifyStep } from '../results/triage.js';
import { toolchainMakeVars } from '../toolchain/toolchains.js';

export interface MailInput {
  runId: string;
  /** The report's number: reports/<n>.txt. */
  n: number;
  cell: Pick<Cell, 'id' | 'source' | 'variant' | 'toolchain' | 'base' | 'pins' | 'build'>;
  arch: Arch;
  record: TriageRecord;
  /** The failing cell's diagnostics. */
  diagnostics: readonly Diagnostic[];
  why: CellWhy | undefined;
  /** The git repository and ref of the source, and tonight's commit (null: no git source). */
  repo: string | null;
  ref: string | null;
  head: string | null;
  /** The report's config name; the .config is saved beside the report as <name>.config. */
  configName: string;
  /** First line of `<cc> --version`. */
  compiler: string;
}

/** A 0-day style config name: the make ARCH, the variant, the cell ("arm-tiny-crash-3f2a9c1b2c3d"). */
export function mailConfigName(arch: Arch, variant: string, cellId: string): string {
  return `${arch.arch}-${variant.replace(/[^A-Za-z0-9_.+-]+/g, '-')}-${cellId}`;
}

/** A diagnostic as the tool printed it (the form src/diagnostics/parse.ts reads back). */
export function diagnosticLine(d: Diagnostic): string {
  const at = `${d.line ?? 0}${d.column !== undefined ? `:${d.column}` : ''}`;
  switch (d.kind) {
    case 'compiler':
      return d.file
        ? `${d.file}:${at}: ${d.severity}: ${d.message}`
        : `cc1: ${d.severity}: ${d.message}`;
    case 'assembler':
      return `${d.file}:${d.line ?? 0}: ${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.message}`;
    case 'linker':
      return /^undefined reference to /.test(d.message) && d.file
        ? `${d.file}:(.text+0x0): ${d.message}`
        : `ld: ${d.severity === 'warning' ? 'warning: ' : ''}${d.file ? `${d.file}: ` : ''}${d.message}`;
    case 'modpost': {
      const sev = d.severity === 'error' ? 'ERROR' : 'WARNING';
      if (d.file.endsWith('.o')) return `${sev}: modpost: ${d.file}: ${d.message}`;
      return `${sev}: modpost: ${d.message}${d.file ? ` [${d.file}]` : ''}`;
    }
    case 'make':
      return `make[2]: *** [${d.file}] ${d.message}`;
    case 'kconfig':
      return `${d.file || '.config'}:${d.line ?? 0}:${d.severity}: ${d.message}`;
  }
}

function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 12) : '';
}

/** "culprit abc", "parent def", "revert on 012 (tonight)". */
export function verifyLabel(v: Pick<VerifyStep, 'what' | 'commit'>): string {
  return v.what === 'revert' ? `the revert on ${short(v.commit)}` : `${v.what} ${short(v.commit)}`;
}

/**
 * The pins that did not hold, as scripts/kconfig/merge_config.sh prints them (the form
 * `kmatrix repro` and a kernel developer already read).
 */
export function mergeConfigLines(
  p: Pick<PinWhy, 'symbol' | 'requested' | 'effective' | 'status'>,
): string[] {
  const actual =
    p.status === 'unavailable' ? '' : formatPinLine({ symbol: p.symbol, value: p.effective });
  return [
    `Value requested for CONFIG_${p.symbol} not in final .config`,
    `Requested value:  ${formatPinLine({ symbol: p.symbol, value: p.requested })}`,
    `Actual value:     ${actual}`,
  ];
}

/** A report of pins only (no build errors): merge_config's lines are its errors. */
function pinSection(m: MailInput): string[] {
  const pins = m.why?.pins ?? [];
  if (pins.length === 0) return [];
  const fresh = new Set(m.record.fingerprints);
  const out = ['All errors (new ones prefixed by >>):', ''];
  for (const p of pins) {
    const mark = fresh.has(`pin:${p.symbol}:${p.status}`) ? '>> ' : '   ';
    out.push(...mergeConfigLines(p).map((l) => `${mark}${l}`.trimEnd()), '');
  }
  return out;
}

function errorSection(m: MailInput): string[] {
  const errors = m.diagnostics.filter((d) => d.severity === 'error');
  const specific = errors.filter((d) => d.kind !== 'make');
  const shown = specific.length ? specific : errors;
  if (shown.length === 0) return pinSection(m);
  const fresh = new Set(m.record.fingerprints);
  const out = ['All errors (new ones prefixed by >>):', ''];
  let fn: string | undefined;
  for (const d of shown) {
    if (d.function && d.function !== fn && d.kind === 'compiler')
      out.push(`   ${d.file}: In function '${d.function}':`);
    if (d.function && d.kind === 'linker')
      out.push(`   ld: ${d.file.replace(/\.[cS]$/, '.o')}: in function '${d.function}':`);
    fn = d.function;
    out.push(`${fresh.has(d.fingerprint) ? '>> ' : '   '}${diagnosticLine(d)}`);
  }
  return [...out, ''];
}

function reproduceSteps(m: MailInput, commit: string | null): string[] {
  const vars = toolchainMakeVars(m.arch, m.cell.toolchain).join(' ');
  const dirs = m.record.search.objects
    ? [...new Set(m.record.search.objects.map((o) => o.replace(/[^/]*$/, '')))].filter(Boolean)
    : [];
  const steps = [
    `# with kmatrix, in the directory of this report (the config is ${m.configName}.config):`,
  ];
  if (m.repo && commit) steps.push(`kmatrix repro ${m.n}.txt --repo ${m.repo}`);
  else steps.push(`kmatrix repro ${m.n}.txt --source ${m.cell.source}`);
  steps.push('# or by hand:');
  if (commit) steps.push(`git checkout ${commit}`);
  steps.push(`mkdir build_dir && cp ${m.configName}.config build_dir/.config`);
  steps.push(`make ${vars} O=build_dir olddefconfig`);
  if (m.cell.build)
    steps.push(`make ${vars} O=build_dir${dirs.length ? ` ${dirs.join(' ')}` : ''}`);
  return steps.map((s) => `        ${s}`);
}

function findings(m: MailInput): string[] {
  const r = m.record;
  const out: string[] = [];
  const s = r.search;
  const cause = r.culprit ?? r.suspect;
  if (r.culprit) out.push(`first bad commit: ${short(r.culprit.commit)} ("${r.culprit.subject}")`);
  else if (r.suspect)
    out.push(
      `suspect (not verified, so not named the cause): ${short(r.suspect.commit)} ("${r.suspect.subject}")`,
    );
  else out.push(`first bad commit: not found${s.note ? `: ${s.note}` : ''}`);
  if (cause) out.push(`    author ${cause.author}, ${cause.date}`);
  if (s.command)
    out.push(
      `    found by: ${s.command}${s.objects ? ` (each step built only ${s.objects.join(' ')})` : ''}`,
    );
  if (s.note && cause) out.push(`    note: ${s.note}`);
  out.push(`verification: ${r.verification}`);
  for (const v of r.verify)
    out.push(`    ${verifyLabel(v)}: ${v.got} (expected ${v.expected}): ${v.why.split('\n')[0]}`);
  if (s.diffstat) out.push('', ...s.diffstat.split('\n').map((l) => `    ${l}`));
  for (const h of s.hunks)
    out.push(
      '',
      ...h.text
        .trimEnd()
        .split('\n')
        .map((l) => `    ${l}`),
    );
  if (s.explanation)
    for (const [when, list] of [
      ['before', s.explanation.before],
      ['after', s.explanation.after],
    ] as const)
      for (const e of list)
        out.push(
          '',
          `    ${e.symbol} ${when} (${when === 'before' ? 'parent' : 'first bad commit'}):`,
          ...e.text
            .trimEnd()
            .split('\n')
            .map((l) => `      ${l}`),
        );
  const mz = r.minimization;
  if (mz) {
    out.push('');
    if (mz.outcome === 'found') {
      out.push(
        `smallest config: fails when ${mz.symbols.map((x) => `CONFIG_${x.symbol}=${x.value}`).join(' and ')} (applied to ${mz.good})`,
      );
      for (const x of mz.symbols)
        out.push(
          `    CONFIG_${x.symbol}=${x.value} (was ${x.from})`,
          ...(x.why ? x.why.split('\n').map((l) => `      ${l}`) : []),
        );
      if (mz.derived.length) {
        out.push('    olddefconfig then derives:');
        for (const x of mz.derived)
          out.push(
            `      CONFIG_${x.symbol}=${x.value} (was ${x.from})`,
            ...(x.why ? x.why.split('\n').map((l) => `        ${l}`) : []),
          );
      }
    } else out.push(`smallest config: ${mz.outcome}${mz.note ? `: ${mz.note}` : ''}`);
  }
  for (const p of m.why?.pins ?? [])
    out.push(
      '',
      `pin CONFIG_${p.symbol}=${p.requested} did not hold (${p.status}, got ${p.effective}):`,
      ...(p.explanation ?? '')
        .trimEnd()
        .split('\n')
        .filter(Boolean)
        .map((l) => `    ${l}`),
    );
  return out.map((l) => (l ? `  ${l}` : l));
}

export function renderTriageMail(m: MailInput): string {
  const r = m.record;
  const commit = r.culprit?.commit ?? m.head;
  const first =
    m.diagnostics.find((d) => d.severity === 'error' && d.kind !== 'make') ??
    m.diagnostics.find((d) => d.severity === 'error');
  const what = first
    ? `${first.file ? `${first.file}: ` : ''}${first.severity}: ${first.message}`
    : r.fingerprints.join(', ');
  const lines = [
    `Subject: [${m.ref ?? m.cell.source}] ${r.culprit ? `${r.culprit.subject}: ` : ''}${what}`,
    '',
    `kmatrix run ${m.runId} found a new failure in ${m.cell.source} ${m.arch.name} ${m.cell.variant} ${m.cell.toolchain} (cell ${m.cell.id}).`,
    '',
    ...(m.repo ? [`tree:   ${m.repo} ${m.ref ?? ''}`.trimEnd()] : []),
    ...(m.head ? [`head:   ${m.head}`] : []),
    ...(commit ? [`commit: ${commit}${r.culprit ? ` ${r.culprit.subject}` : ''}`] : []),
    ...(r.culprit ? [`date:   ${r.culprit.date}`] : []),
    `config: ${m.configName} (attached as .config)`,
    `compiler: ${m.compiler}`,
    'reproduce:',
    ...reproduceSteps(m, commit),
    '',
    'If you fix the issue, kindly add following tag where applicable',
    '| Reported-by: kmatrix <kmatrix@localhost>',
    '',
    ...findings(m),
    '',
    ...errorSection(m),
    '-- ',
    `kmatrix triage of run ${m.runId}, cell ${m.cell.id}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`,
    '',
  ];
  return lines.join('\n');
}
