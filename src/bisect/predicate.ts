// What a bisect step is tested with, shared by `kmatrix bisect` (a commit) and
// `kmatrix config-bisect` (a candidate config): --require judges required values against a
// resolved config; --build runs a build and judges it by its error diagnostics.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import type { BuildEvent } from '../build/events.js';
import type { BuildResult } from '../build/result.js';
import { runBuild } from '../build/run.js';
import type { BuildTarget } from '../build/targets.js';
import { baseLabel, type Base } from '../config/base.js';
import { parseDotConfig, type ConfigValues } from '../config/dotconfig.js';
import type { ConfigRequest, ConfigResult } from '../config/generate.js';
import type { Pin } from '../config/pin.js';
import { verifyPins } from '../config/verify.js';
import { KmatrixError, unreachable } from '../core/errors.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ProcessRunner } from '../process/runner.js';
import { parseKernelVersion, type KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import {
  checkRequires,
  resolveCommands,
  resolveConfig,
  type KconfigDeps,
  type KconfigPlace,
  type RequireResult,
  type Resolved,
} from './configure.js';
import { configKey } from './config-key.js';
import type { StepVerdict } from './search.js';

export type Predicate =
  | { kind: 'config'; requires: Pin[] }
  | {
      kind: 'build';
      targets: BuildTarget[];
      /**
       * A diagnostic fingerprint or text, or a list of fingerprints (any of them matches);
       * default: the bad endpoint's error fingerprints.
       */
      match?: string | readonly string[];
      jobs: number;
      runtime: Runtime;
      timeoutMs?: number;
      ccacheDir?: string;
      onBuildEvent?: (e: BuildEvent) => void;
    };

/** A predicate's answer for one state of the tree. */
export interface Judgement {
  verdict: StepVerdict;
  why: string;
  requires?: RequireResult[];
  /** Error diagnostics of a build (fingerprints). */
  errors?: string[];
  /** The resolved .config of a config step (the explanation reads it). */
  configText?: string;
  /** Every diagnostic of a failed build (the default match is learnt from them). */
  diagnostics?: Diagnostic[];
}

/** --require: bad when a required value does not hold (an absent symbol reads as n). */
export function judgeRequires(
  requires: readonly Pin[],
  values: ConfigValues,
): Judgement & { requires: RequireResult[] } {
  const results = checkRequires(requires, values);
  const broken = results.filter((x) => !x.holds);
  return {
    verdict: broken.length ? 'bad' : 'good',
    why: broken.length
      ? broken.map((b) => `${b.symbol}=${b.effective} (required ${b.required})`).join(', ')
      : results.map((b) => `${b.symbol}=${b.effective}`).join(', '),
    requires: results,
  };
}

export type MatchSpec =
  | { kind: 'text'; text: string }
  | { kind: 'fingerprints'; fingerprints: string[] }
  | { kind: 'any-failure' };

/** The match the user gave (--match), if any; else it is learnt from the first bad build. */
export function givenMatch(pred: Predicate): MatchSpec | undefined {
  return pred.kind === 'build' && pred.match ? matchSpecOf(pred.match) : undefined;
}

/** --match as given: one text or fingerprint, or a list of fingerprints. */
export function matchSpecOf(match: string | readonly string[]): MatchSpec {
  return typeof match === 'string'
    ? { kind: 'text', text: match }
    : { kind: 'fingerprints', fingerprints: [...match] };
}

function errorDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  const real = ds.filter((d) => d.severity === 'error' && d.kind !== 'make');
  return real.length ? real : ds.filter((d) => d.severity === 'error');
}

export function defaultMatch(ds: readonly Diagnostic[]): MatchSpec {
  const errs = errorDiagnostics(ds);
  return errs.length
    ? { kind: 'fingerprints', fingerprints: [...new Set(errs.map((d) => d.fingerprint))] }
    : { kind: 'any-failure' };
}

export function matchLabels(m: MatchSpec | undefined): string[] {
  if (!m) return [];
  switch (m.kind) {
    case 'text':
      return [m.text];
    case 'fingerprints':
      return m.fingerprints;
    case 'any-failure':
      return ['(any build failure)'];
    default:
      return unreachable(m);
  }
}

export function describeBuildBad(m: MatchSpec): string {
  return `fails with ${matchLabels(m).join(', ')}`;
}

export function diagnosticMatches(d: Diagnostic, m: MatchSpec): boolean {
  switch (m.kind) {
    case 'text':
      return /:(error|warning):/.test(m.text)
        ? d.fingerprint === m.text
        : d.message.includes(m.text) || d.fingerprint.includes(m.text) || d.file.includes(m.text);
    case 'fingerprints':
      return m.fingerprints.includes(d.fingerprint);
    case 'any-failure':
      return true;
    default:
      return unreachable(m);
  }
}

export interface BuildAt {
  src: string;
  out: string;
  label: string;
  arch: Arch;
  toolchain: ToolchainName;
  base: Base;
  pins: readonly Pin[];
  /** For a file base: its text (config-bisect's candidate configs never touch the disk). */
  baseText?: string;
  /**
   * `src` holds exactly the files of commit `sha` of `repo` (a private clone kmatrix checked
   * out, no local edits): when a .config was resolved in `out` from the same request at a
   * commit with the same files Kconfig can read (see configKey), it is used as it is instead
   * of running make <base>, the pins and olddefconfig.
   */
  commit?: { repo: string; sha: string };
  signal?: AbortSignal;
}

/** --build: one build in a persistent O= dir, judged against `match`. */
export async function evalBuild(
  at: BuildAt,
  pred: Extract<Predicate, { kind: 'build' }>,
  kdeps: KconfigDeps,
  match: MatchSpec | undefined,
): Promise<Judgement> {
  const version = parseKernelVersion(await readFile(join(at.src, 'Makefile'), 'utf8'));
  const tree: KernelTree = {
    spec: { kind: 'path', path: at.src },
    path: at.src,
    version,
    label: at.label,
    cacheKey: at.label,
  };
  const result: BuildResult = await runBuild(
    {
      tree,
      arch: at.arch,
      toolchain: at.toolchain,
      base: at.base,
      pins: at.pins,
      outDir: at.out,
      targets: pred.targets,
      jobs: pred.jobs,
      allowUnsatisfied: false,
      ...(pred.timeoutMs ? { timeoutMs: pred.timeoutMs } : {}),
      ...(at.signal ? { signal: at.signal } : {}),
    },
    {
      runtime: pred.runtime,
      emit: pred.onBuildEvent ?? (() => {}),
      ...(pred.ccacheDir ? { ccacheDir: pred.ccacheDir } : {}),
      generateConfig: (creq) => configInPlace(at, tree, creq, kdeps),
    },
  );
  return judgeBuild(result, match);
}

/** runBuild's config stage, done by resolveConfig in the bisect's persistent O= dir. */
async function configInPlace(
  at: BuildAt,
  tree: KernelTree,
  creq: ConfigRequest,
  kdeps: KconfigDeps,
): Promise<ConfigResult> {
  const t0 = Date.now();
  const place: KconfigPlace = { src: at.src, out: at.out, arch: at.arch, toolchain: at.toolchain };
  const key = at.commit
    ? await configKey(
        kdeps.runner,
        at.commit,
        {
          arch: at.arch,
          toolchain: at.toolchain,
          base: creq.base,
          pins: creq.pins,
          baseText: at.baseText ?? null,
        },
        at.signal,
      )
    : undefined;
  const saved = key ? await savedConfig(at.out, key) : undefined;
  const r: Resolved =
    saved ?? (await resolveConfig(place, creq.base, creq.pins, kdeps, at.baseText));
  if (r.kind === 'failed')
    throw new KmatrixError('kconfig-failed', `make ${r.step} failed`, r.output);
  if (key && !saved) await saveConfig(at.out, key, r);
  const pinN = new Set(creq.pins.filter((p) => p.value === 'n').map((p) => p.symbol));
  const v = verifyPins(creq.pins, r.values, {
    isDefined: (s) => r.values.has(s) || pinN.has(s),
  });
  return {
    verdict: v.verdict,
    arch: at.arch.name,
    base: baseLabel(creq.base),
    seed: creq.base.kind === 'randconfig' ? creq.base.seed : null,
    probability: null,
    toolchain: at.toolchain,
    source: { spec: at.src, label: tree.label, version: tree.version, path: at.src },
    configPath: join(at.out, '.config'),
    outDir: at.out,
    pins: v.pins,
    kconfigWarnings: [],
    diagnostics: [],
    commands: r.commands,
    durationMs: Date.now() - t0,
  };
}

/** Where configInPlace keeps each .config it resolved, by key (with the commands it ran). */
const SAVED_CONFIGS = '.kmatrix-configs';

/**
 * The .config resolved before in this O= dir for the same key, put back in place when
 * another is there (a step at a commit with other Kconfig inputs, or one decided without a
 * build): the verification's revert is mostly at tonight's Kconfig inputs, which the search
 * resolved first. Left untouched when it is already there, so make rebuilds nothing for it.
 */
export async function savedConfig(out: string, key: string): Promise<Resolved | undefined> {
  let saved: { text: string; commands: string[] };
  try {
    saved = JSON.parse(await readFile(join(out, SAVED_CONFIGS, `${key}.json`), 'utf8')) as {
      text: string;
      commands: string[];
    };
  } catch {
    return undefined;
  }
  const current = await readFile(join(out, '.config'), 'utf8').catch(() => undefined);
  if (current !== saved.text) {
    await writeFile(join(out, '.config.kmatrix-tmp'), saved.text);
    await rename(join(out, '.config.kmatrix-tmp'), join(out, '.config'));
  }
  return {
    kind: 'ok',
    text: saved.text,
    values: parseDotConfig(saved.text),
    commands: saved.commands,
  };
}

/**
 * Keep `text`, the .config a matrix run resolved from the same request at `commit` (its cell's
 * .config), in the O= dir `out` as if a step there had resolved it: a step at a commit with
 * the same config key then uses it instead of running conf. Nothing is kept when git cannot
 * give the key.
 */
export async function seedSavedConfig(
  runner: ProcessRunner,
  place: KconfigPlace,
  commit: { repo: string; sha: string },
  req: { base: Base; pins: readonly Pin[] },
  text: string,
  signal?: AbortSignal,
): Promise<void> {
  const key = await configKey(
    runner,
    commit,
    { arch: place.arch, toolchain: place.toolchain, ...req, baseText: null },
    signal,
  );
  if (!key) return;
  await saveConfig(place.out, key, {
    kind: 'ok',
    text,
    values: parseDotConfig(text),
    commands: resolveCommands(place, req.base, req.pins),
  });
}

async function saveConfig(
  out: string,
  key: string,
  r: Extract<Resolved, { kind: 'ok' }>,
): Promise<void> {
  await mkdir(join(out, SAVED_CONFIGS), { recursive: true });
  await writeFile(
    join(out, SAVED_CONFIGS, `${key}.json`),
    JSON.stringify({ text: r.text, commands: r.commands }),
  );
}

/** A build's outcome as a verdict: bad only for a matching error; infrastructure throws. */
export function judgeBuild(
  result: Pick<BuildResult, 'status' | 'reason' | 'diagnostics'>,
  match: MatchSpec | undefined,
): Judgement {
  const errs = errorDiagnostics(result.diagnostics);
  const fps = [...new Set(errs.map((d) => d.fingerprint))];
  switch (result.status) {
    case 'pass':
      return { verdict: 'good', why: 'builds', errors: [] };
    case 'fail': {
      const m = match ?? defaultMatch(result.diagnostics);
      const hit = errs.filter((d) => diagnosticMatches(d, m));
      if (hit.length || (m.kind === 'any-failure' && errs.length === 0))
        return {
          verdict: 'bad',
          why: `fails with ${hit.length ? [...new Set(hit.map((d) => d.fingerprint))].join(', ') : 'a failure'}`,
          errors: fps,
          diagnostics: result.diagnostics,
        };
      return {
        verdict: 'skip',
        why: `fails with other diagnostics: ${fps.slice(0, 3).join(', ') || '(none parsed)'}`,
        errors: fps,
        diagnostics: result.diagnostics,
      };
    }
    case 'config-unsatisfied':
      return { verdict: 'skip', why: `pins do not hold: ${result.reason ?? ''}` };
    case 'timeout':
      return { verdict: 'skip', why: result.reason ?? 'timeout' };
    case 'infra-error':
      if (result.reason?.startsWith('config generation failed'))
        return { verdict: 'skip', why: result.reason.split('\n')[0] ?? '' };
      throw new KmatrixError(
        'command-failed',
        `build infrastructure failed: ${result.reason ?? ''}`,
      );
    case 'cancelled':
      throw new KmatrixError('command-failed', 'cancelled');
    default:
      return unreachable(result.status);
  }
}
