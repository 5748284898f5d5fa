// How kmatrix calls the kernel's make for configuration: a clean, explicit environment
// (no stray KCONFIG_*, ARCH, CROSS_COMPILE from the caller's shell) and argv, never a shell.
import { shellQuote } from '../process/shell-quote.js';

const STRIPPED =
  /^(KCONFIG_|KBUILD_|ARCH$|SRCARCH$|CROSS_COMPILE$|LLVM$|LLVM_IAS$|CC$|LD$|O$|MAKEFLAGS$|MAKELEVEL$|MFLAGS$|GNUMAKEFLAGS$)/;

export function cleanMakeEnv(
  env: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !STRIPPED.test(k)) out[k] = v;
  }
  return { ...out, ...extra };
}

export interface MakeStep {
  /** What this step does, for logs and events. */
  step: string;
  args: string[];
  /** Extra environment (KCONFIG_ALLCONFIG, KCONFIG_SEED, ...). */
  env: Record<string, string>;
}

/** A step as a copy-pasteable shell line (for reproducers and logs only; never executed by us). */
export function formatStep(s: MakeStep): string {
  const env = Object.entries(s.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  return [...env, 'make', ...s.args.map(shellQuote)].join(' ');
}
