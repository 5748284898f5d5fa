// From a parsed robot report to a build kmatrix can run: arch, nearest toolchain, source,
// config, allowed make variables and goals, and what must show up for a "reproduced".
// Pure. Every value taken from the report is matched against a strict pattern here: the
// report is mail text, and make itself expands $(...) in command-line variables, so nothing
// unchecked may reach make's argv (and nothing reaches a shell at all).
import { findArch, type Arch } from '../arch/arches.js';
import type { Pin } from '../config/pin.js';
import { parseSourceSpec, type SourceSpec } from '../source/spec.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import {
  configArchWord,
  reportCommit,
  reportGoals,
  reportMakeVars,
  type ReportedIssue,
  type RobotReport,
} from './report.js';

/** Compiler versions in kmatrix's toolchain images (Debian 12) and on Debian 12 hosts. */
const AVAILABLE_COMPILERS: Record<ToolchainName, string> = {
  gcc: '12.2.0',
  clang: '14.0.6',
};

/** 0-day's arch word (config name prefix, make ARCH=) -> kmatrix arch. */
const ARCH_WORDS: Record<string, string> = {
  x86_64: 'x86_64',
  i386: 'i386',
  // 0-day's arm compilers are arm-linux-gnueabi-*
  arm: 'armel',
  arm64: 'arm64',
  s390: 's390',
  riscv: 'riscv64',
  powerpc: 'powerpc64le',
  powerpc64: 'powerpc64le',
  mips: 'mips',
};

export interface MakeVarDecision {
  name: string;
  value: string;
  action: 'pass' | 'use' | 'ignore' | 'reject';
  why: string;
}

export interface ReproPlan {
  /**
   * `config`: every required complaint is a Kconfig one (kismet, unmet dependencies, invalid
   * values), so conf alone reproduces it in seconds; `build`: make builds the goals.
   */
  stage: 'config' | 'build';
  /** No config file: make the smallest config in which SELECTOR selects SELECTEE (kismet). */
  kismet?: { selectee: string; selector: string };
  arch?: Arch;
  toolchain?: ToolchainName;
  /** "report used gcc-13.2.0, using gcc 12.2.0 (nearest available)" */
  toolchainNote?: string;
  source?: SourceSpec;
  /** The report's commit, when it names one. */
  commit?: string;
  config?: string;
  /** NAME=value strings to add to make's argv (checked). */
  makeVars: string[];
  makeVarDecisions: MakeVarDecision[];
  /** Directory/file goals from the report's last make line; empty: kernel image (+ modules). */
  goals: string[];
  /** What must appear in the build for "reproduced". */
  required: ReportedIssue[];
  /** merge_config requests among the required complaints: applied to the config as pins. */
  requests: Pin[];
  /** Listed in the report but not checkable here (sparse, smatch). */
  unchecked: ReportedIssue[];
  notes: string[];
  /** Why it cannot run; empty when it can. */
  missing: string[];
}

export interface PlanInput {
  report: RobotReport;
  /** --source as typed. */
  source?: string;
  /** --repo PATH: a git clone to check the report's commit out of. */
  repo?: string;
  /** The config file found (--config, or beside the report), absolute. */
  configPath?: string;
  /** Directory of the report file; undefined when read from stdin. */
  reportDir?: string;
  /** Where kmatrix looked for the config beside the report (for the message). */
  configSearched?: readonly string[];
}

const GOAL_DIR = /^[A-Za-z0-9_][A-Za-z0-9_.+/-]*\/$/;
const GOAL_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.+/-]*\.(o|i|s|lst|ko|dtb)$/;
const SHA = /^[0-9a-f]{7,40}$/;
const SYMBOL = /^[A-Za-z0-9_]{1,100}$/;

/** A short, printable rendering of report text (it may hold anything). */
export function shown(value: string, max = 80): string {
  const s = value.length > max ? value.slice(0, max) + '...' : value;
  return JSON.stringify(s);
}

export function isPlainGoal(goal: string): boolean {
  return (
    (GOAL_DIR.test(goal) || GOAL_FILE.test(goal)) &&
    !goal.split('/').some((seg) => seg === '..' || seg === '.')
  );
}

function archFor(
  report: RobotReport,
  notes: string[],
  missing: string[],
): { arch?: Arch; makeArch?: string } {
  const word = report.config ? configArchWord(report.config.name) : undefined;
  const archVars = report.makeLines.flatMap((m) =>
    m.vars.filter((v) => v.name === 'ARCH').map((v) => v.value),
  );
  const makeArch = archVars.length ? archVars[archVars.length - 1] : undefined;
  if (makeArch !== undefined && !/^[a-z0-9_]{1,20}$/.test(makeArch)) {
    missing.push(`arch: the report's ARCH=${shown(makeArch)} is not an arch name`);
    return {};
  }
  if (word && makeArch && word !== makeArch && ARCH_WORDS[word] !== ARCH_WORDS[makeArch]) {
    missing.push(
      `arch: the config name says ${shown(word)} but the make line says ARCH=${makeArch}`,
    );
    return {};
  }
  const chosen = makeArch ?? word;
  if (!chosen) {
    missing.push('arch: neither a config name (arm-randconfig-...) nor ARCH= in the report');
    return {};
  }
  const name = ARCH_WORDS[chosen];
  const arch = name ? findArch(name) : undefined;
  if (!arch) {
    missing.push(
      `toolchain: kmatrix has no toolchain for arch ${shown(chosen)} (it has ${Object.keys(ARCH_WORDS).join(', ')})`,
    );
    return {};
  }
  if (chosen === 'powerpc' || chosen === 'mips')
    notes.push(
      `arch ${chosen}: using ${arch.triplet}- (the config decides 32/64-bit and endianness)`,
    );
  return { arch, makeArch: arch.arch };
}

function toolchainFor(
  report: RobotReport,
  notes: string[],
): { toolchain: ToolchainName; note: string } {
  const env = Object.assign({}, ...report.makeLines.map((m) => m.env)) as Record<string, string>;
  const llvm = report.makeLines.some((m) => m.vars.some((v) => v.name === 'LLVM'));
  const envCompiler = env['COMPILER'] ?? (env['GCC_VERSION'] ? `gcc-${env['GCC_VERSION']}` : '');
  let family = report.compiler?.family;
  if (!family && (llvm || /^clang/.test(envCompiler))) family = 'clang';
  if (!family && /^gcc/.test(envCompiler)) family = 'gcc';
  let version = report.compiler?.version;
  if (!version) version = /(\d+\.\d+\.\d+)/.exec(envCompiler)?.[1];
  if (!family) {
    const have = AVAILABLE_COMPILERS.gcc;
    // kismet reports name none: conf needs a compiler only for Kconfig's probes
    if (!report.kismet) notes.push('the report names no compiler');
    return { toolchain: 'gcc', note: `report names no compiler, using gcc ${have}` };
  }
  const have = AVAILABLE_COMPILERS[family];
  const used = version ? `${family}-${version}` : family;
  if (!version)
    return {
      toolchain: family,
      note: `report used ${used} (version not given), using ${family} ${have}`,
    };
  const exact = version === have;
  return {
    toolchain: family,
    note: exact
      ? `report used ${used}, using ${family} ${have} (exact)`
      : `report used ${used}, using ${family} ${have} (nearest available)`,
  };
}

/** Which of the report's make variables reach make, and why the others do not. */
function decideMakeVars(
  report: RobotReport,
  arch: Arch | undefined,
  toolchain: ToolchainName | undefined,
): MakeVarDecision[] {
  const out: MakeVarDecision[] = [];
  for (const { name, value } of reportMakeVars(report)) {
    const d = (action: MakeVarDecision['action'], why: string) =>
      out.push({ name, value, action, why });
    switch (name) {
      case 'W':
        if (/^[123e](,?[123e]){0,3}$/.test(value)) d('pass', 'extra warnings, as the robot built');
        else d('reject', 'W= takes 1, 2, 3 or e (e.g. W=1, W=12)');
        break;
      case 'ARCH':
        if (arch && value === arch.arch) d('use', `arch ${arch.name}`);
        else d('reject', `does not match the arch kmatrix builds (${arch?.arch ?? 'none'})`);
        break;
      case 'LLVM':
        if (/^(1|-\d{1,2})$/.test(value))
          d(
            'use',
            toolchain === 'clang'
              ? 'the clang toolchain sets LLVM=1 itself'
              : 'LLVM given but the compiler line says gcc; using gcc',
          );
        else d('reject', 'LLVM= takes 1 or -N');
        break;
      case 'LLVM_IAS':
        if (/^[01]$/.test(value) && toolchain === 'clang') d('pass', 'clang integrated assembler');
        else d(/^[01]$/.test(value) ? 'ignore' : 'reject', 'LLVM_IAS= takes 0 or 1, clang only');
        break;
      case 'KCFLAGS':
        if (/^-W[A-Za-z0-9=_-]+( -W[A-Za-z0-9=_-]+)*$/.test(value)) d('pass', 'warning flags only');
        else d('reject', 'only -W... warning flags are taken from a report');
        break;
      case 'C':
        d(
          /^[12]$/.test(value) ? 'ignore' : 'reject',
          "C= runs sparse, which kmatrix's toolchain images do not have; sparse warnings are listed, not checked",
        );
        break;
      case 'CF':
        d('ignore', 'sparse flags (see C=)');
        break;
      case 'O':
      case 'SHELL':
        d('ignore', 'kmatrix chooses the output dir and runs no shell');
        break;
      case 'CROSS_COMPILE':
      case 'CC':
      case 'LD':
      case 'HOSTCC':
        d('ignore', 'kmatrix chooses the toolchain');
        break;
      default:
        d('ignore', 'not in the allow-list (W, ARCH, LLVM, LLVM_IAS, KCFLAGS, C)');
    }
  }
  return out;
}

/**
 * What must be found: the new (>>) errors; else all errors; else the warnings (new ones, else
 * all). "Kconfig warnings (for reference only)" count only when the report has nothing else.
 */
export function requiredIssues(issues: readonly ReportedIssue[]): {
  required: ReportedIssue[];
  unchecked: ReportedIssue[];
} {
  const checkable = issues.filter((i) => i.tool !== 'sparse');
  const unchecked = issues.filter((i) => i.tool === 'sparse');
  const pick = (xs: ReportedIssue[]) => {
    const fresh = xs.filter((x) => x.new);
    return fresh.length ? fresh : xs;
  };
  const main = checkable.filter((i) => i.section !== 'kconfig');
  const pool = main.length ? main : checkable;
  const errors = pool.filter((i) => i.severity === 'error');
  const required = errors.length
    ? pick(errors)
    : pick(pool.filter((i) => i.severity === 'warning'));
  return { required, unchecked };
}

/** The message for a --repo that lacks the report's commit: where the robot got it. */
export function commitNotInRepo(report: RobotReport, repo: string, commit: string): string {
  const short = commit.slice(0, 12);
  const r = report.remote;
  if (r && /^(https?|git):\/\/[A-Za-z0-9_.~/:@%+-]+$/.test(r.url)) {
    const ref = r.ref && /^[A-Za-z0-9_./+-]+$/.test(r.ref) ? r.ref : undefined;
    return `source: commit ${short} is not in --repo ${repo}; the report fetched it from ${r.url}${ref ? ` (${ref})` : ''}: git -C ${repo} fetch ${r.url}${ref ? ` ${ref}` : ''}`;
  }
  if (report.tree && /^(https?|git):\/\/\S+$/.test(report.tree.url))
    return `source: commit ${short} is not in --repo ${repo}; the report's tree is ${shown(report.tree.url)}${report.tree.branch ? ` ${shown(report.tree.branch)}` : ''}`;
  return `source: commit ${short} is not in --repo ${repo}, and the report names no remote to fetch it from`;
}

function sourceFor(
  input: PlanInput,
  commit: string | undefined,
  notes: string[],
  missing: string[],
): SourceSpec | undefined {
  if (input.source !== undefined && input.repo !== undefined) {
    missing.push('source: give --source or --repo, not both');
    return undefined;
  }
  if (input.source !== undefined) {
    if (commit)
      notes.push(
        `source ${input.source} is used as is; kmatrix does not check that it is at the report's commit ${commit.slice(0, 12)}`,
      );
    return parseSourceSpec(input.source);
  }
  if (input.repo !== undefined) {
    if (commit) return { kind: 'git', repo: input.repo, ref: commit };
    missing.push(
      "source: the report names no commit to check out of --repo; use --source with a tree at the report's code",
    );
    return undefined;
  }
  missing.push(
    commit
      ? `source: pass --source PATH (a tree at commit ${commit.slice(0, 12)}) or --repo PATH (a git clone that has it)`
      : 'source: pass --source PATH (a tree with the reported code); the report names no commit',
  );
  return undefined;
}

function configFor(
  input: PlanInput,
  stage: ReproPlan['stage'],
  notes: string[],
  missing: string[],
): ReproPlan['kismet'] {
  if (input.configPath) return undefined;
  const { report } = input;
  const k = report.kismet;
  if (stage === 'config' && k && [k.selectee, k.selector].every((s) => SYMBOL.test(s))) {
    notes.push(
      `no config: making the smallest config in which ${k.selector} selects ${k.selectee} (allnoconfig + pins from the Kconfig model)`,
    );
    return { selectee: k.selectee, selector: k.selector };
  }
  const where = input.reportDir
    ? `save it as ${input.reportDir}/config (beside the report) or pass --config FILE`
    : 'save it and pass --config FILE';
  const c = report.config;
  if (c?.link) missing.push(`config: download ${c.link} and ${where}`);
  else if (c?.attached)
    missing.push(
      `config: ${c.name} came attached to the report mail (.config.gz); ${where} (gzipped is fine)`,
    );
  else missing.push(`config: the report names no config file; pass --config FILE`);
  if (input.configSearched?.length)
    notes.push(`looked for the config at ${input.configSearched.join(', ')}`);
  return undefined;
}

function goalsFor(report: RobotReport, notes: string[]): string[] {
  const goals: string[] = [];
  for (const g of reportGoals(report)) {
    if (isPlainGoal(g)) goals.push(g);
    else
      notes.push(`make goal ${shown(g)} ignored: only plain directory/ or file.o goals are taken`);
  }
  if (!goals.length) notes.push('building the kernel image (and modules when the config has them)');
  return goals;
}

/** Shell control syntax: the robot's make lines are plain words, never these. */
const SHELL_SYNTAX = /;|&&|\|\||\||`|\$\(|\$\{|[<>]/;

/**
 * A make line with shell syntax (`;`, `&&`, `$(...)`, backticks, redirections) is not one the
 * robot wrote: refuse the report rather than guess which words were meant.
 */
function shellSyntax(report: RobotReport): string[] {
  return report.makeLines.flatMap((m, i) => {
    const hit = SHELL_SYNTAX.exec(m.text);
    return hit
      ? [
          `make line ${i + 1} of the report carries shell syntax ${shown(hit[0])} (${shown(m.text, 120)}); a robot's make line is plain words and kmatrix runs no shell`,
        ]
      : [];
  });
}

export function planRepro(input: PlanInput): ReproPlan {
  const { report } = input;
  const notes: string[] = [];
  const missing: string[] = [];

  const { arch } = archFor(report, notes, missing);
  const tc = toolchainFor(report, notes);
  const rawCommit = reportCommit(report);
  const commit = rawCommit && SHA.test(rawCommit) ? rawCommit : undefined;
  const source = sourceFor(input, commit, notes, missing);

  const picked = requiredIssues(report.issues);
  const stage =
    picked.required.length && picked.required.every((i) => i.kind === 'kconfig')
      ? 'config'
      : 'build';
  // A build checks build complaints; requested values beside them are listed, not checked.
  const required = stage === 'build' ? picked.required.filter((i) => !i.request) : picked.required;
  const unchecked = [...picked.unchecked, ...picked.required.filter((i) => !required.includes(i))];
  if (unchecked.some((i) => i.request))
    notes.push(
      'requested values (merge_config) beside build errors are listed, not checked: repro them from a report of their own',
    );
  const requests = requestedPins(required, notes, missing);
  missing.push(...report.invalid.map((p) => `requested value: ${p}`));
  const kismet = configFor(input, stage, notes, missing);

  // make variables and goals
  missing.push(...shellSyntax(report));
  const decisions = decideMakeVars(report, arch, tc.toolchain);
  const makeVars = decisions.filter((d) => d.action === 'pass').map((d) => `${d.name}=${d.value}`);
  const archReject = decisions.find((d) => d.name === 'ARCH' && d.action === 'reject');
  if (archReject && arch)
    missing.push(`arch: the report's ARCH=${shown(archReject.value)} ${archReject.why}`);
  let goals: string[] = [];
  if (stage === 'build') goals = goalsFor(report, notes);
  else
    notes.push(
      'config stage only: the report lists only Kconfig warnings, which conf reproduces without a build',
    );

  const sparse = unchecked.filter((i) => i.tool === 'sparse');
  if (sparse.length)
    notes.push(
      `${sparse.length} sparse/smatch complaint(s) listed but not checked (kmatrix builds run no sparse or smatch)`,
    );
  if (!required.length)
    missing.push(
      report.issues.length
        ? 'something to look for: the report lists only sparse/smatch complaints, which kmatrix builds do not produce'
        : 'something to look for: the report lists no errors or warnings kmatrix could read',
    );
  for (const u of report.unparsed) notes.push(`could not read reported line ${shown(u)}`);

  return {
    stage,
    ...(kismet ? { kismet } : {}),
    ...(arch ? { arch } : {}),
    ...(arch ? { toolchain: tc.toolchain, toolchainNote: tc.note } : {}),
    ...(source ? { source } : {}),
    ...(commit ? { commit } : {}),
    ...(input.configPath ? { config: input.configPath } : {}),
    makeVars,
    makeVarDecisions: decisions,
    goals,
    required,
    requests,
    unchecked,
    notes,
    missing,
  };
}

/**
 * The pins merge_config asked for: applied to the report's config so conf can say again
 * whether they hold. Two different requests for one symbol cannot both be checked.
 */
function requestedPins(
  required: readonly ReportedIssue[],
  notes: string[],
  missing: string[],
): Pin[] {
  const pins = new Map<string, Pin>();
  for (const i of required) {
    const q = i.request;
    if (!q) continue;
    const had = pins.get(q.symbol);
    if (had && had.value !== q.requested)
      missing.push(
        `requested value: the report asks for CONFIG_${q.symbol}=${had.value} and CONFIG_${q.symbol}=${q.requested}; one config cannot hold both`,
      );
    pins.set(q.symbol, { symbol: q.symbol, value: q.requested, origin: 'requested in the report' });
  }
  if (pins.size)
    notes.push(
      `requested values applied to the config, then olddefconfig: ${[...pins.values()].map((p) => `CONFIG_${p.symbol}=${p.value}`).join(' ')}`,
    );
  return [...pins.values()];
}
