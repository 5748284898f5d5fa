// Build targets as kmatrix names them (kernel, modules, dtbs) and the make goals behind
// them for an arch. Pure.
import type { Arch } from '../arch/arches.js';
import { KmatrixError } from '../core/errors.js';

export type BuildTarget = 'kernel' | 'modules' | 'dtbs';
export const BUILD_TARGETS: readonly BuildTarget[] = ['kernel', 'modules', 'dtbs'];
export const DEFAULT_TARGETS: readonly BuildTarget[] = ['kernel'];

export function parseTargets(text: string): BuildTarget[] {
  const out: BuildTarget[] = [];
  const bad: string[] = [];
  for (const t of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if ((BUILD_TARGETS as readonly string[]).includes(t)) {
      if (!out.includes(t as BuildTarget)) out.push(t as BuildTarget);
    } else bad.push(t);
  }
  if (bad.length || out.length === 0) {
    throw new KmatrixError(
      'usage',
      `bad --targets ${JSON.stringify(text)}${bad.length ? `: unknown ${bad.map((b) => JSON.stringify(b)).join(', ')}` : ''}; expected ${BUILD_TARGETS.join(', ')} (comma-separated)`,
    );
  }
  // kernel first: modules and dtbs reuse what it built
  return BUILD_TARGETS.filter((t) => out.includes(t));
}

export type TargetPlan =
  | { target: BuildTarget; kind: 'make'; goal: string }
  | { target: BuildTarget; kind: 'skip'; reason: string };

/** What to run for each requested target, given the arch and the final config's values. */
export function planTargets(
  arch: Arch,
  targets: readonly BuildTarget[],
  config: ReadonlyMap<string, string>,
): TargetPlan[] {
  return targets.map((target): TargetPlan => {
    switch (target) {
      case 'kernel':
        return { target, kind: 'make', goal: arch.imageTarget };
      case 'modules':
        return config.get('CONFIG_MODULES') === 'y'
          ? { target, kind: 'make', goal: 'modules' }
          : { target, kind: 'skip', reason: 'CONFIG_MODULES is not set' };
      case 'dtbs':
        return arch.hasDtbs
          ? { target, kind: 'make', goal: 'dtbs' }
          : { target, kind: 'skip', reason: `${arch.name} has no device trees` };
    }
  });
}

/** CONFIG_FOO=value lines of a .config (comments and "is not set" ignored). */
export function configValues(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (eq) m.set(eq[1]!, eq[2]!);
  }
  return m;
}

/** 24 days: the longest timer Node keeps (2^31-1 ms), rounded down to whole hours. */
export const MAX_DURATION_MS = 596 * 3.6e6;

/** "90", "90s", "30m", "2h" -> milliseconds; `what` names the value in the error (e.g. --timeout). */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  const n = Number(m?.[1]);
  const unit = m?.[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1e3 : unit === 'm' ? n * 6e4 : n * 3.6e6;
  if (!m || !(ms > 0))
    throw new KmatrixError(
      'usage',
      `bad ${what} ${JSON.stringify(text)}: expected a positive duration such as 90, 90s, 30m, 2h`,
    );
  // Timers take at most 2^31-1 ms; a longer one would fire at once (Node sets it to 1 ms).
  if (ms > MAX_DURATION_MS)
    throw new KmatrixError(
      'usage',
      `bad ${what} ${JSON.stringify(text)}: too long; accepted: at most ${MAX_DURATION_MS / 3.6e6}h`,
    );
  return Math.round(ms);
}

/** Symbols whose value differs between two .config texts, sorted by name. */
export function configChanges(
  before: string,
  after: string,
): { symbol: string; generated: string | null; built: string | null }[] {
  const a = configValues(before);
  const b = configValues(after);
  const out: { symbol: string; generated: string | null; built: string | null }[] = [];
  for (const sym of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(sym) ?? null;
    const y = b.get(sym) ?? null;
    if (x !== y) out.push({ symbol: sym.replace(/^CONFIG_/, ''), generated: x, built: y });
  }
  return out;
}
