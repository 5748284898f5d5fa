// What one build cell produced, as written to result.json. Failures are values here.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { PinResult, ConfigVerdict } from '../config/verify.js';
import type { RuntimeInfo } from '../runtime/runtime.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { BuildTarget } from './targets.js';

export type BuildStatus =
  'pass' | 'fail' | 'config-unsatisfied' | 'timeout' | 'infra-error' | 'cancelled';

export type TargetStatus =
  'pass' | 'fail' | 'timeout' | 'cancelled' | 'infra-error' | 'skipped' | 'not-run';

export interface TargetResult {
  target: BuildTarget;
  /** make goal (zImage, modules, dtbs); absent when skipped. */
  goal?: string;
  status: TargetStatus;
  durationMs: number;
  exitCode?: number;
  /** why skipped / infra-error */
  reason?: string;
  /** The make command line as run (in the runtime's paths). */
  command?: string;
}

export interface ConfigChange {
  symbol: string;
  /** Value in the generated (verified) config; null when absent or "is not set". */
  generated: string | null;
  built: string | null;
}

export interface BuildResult {
  schema: 'kmatrix.build/1';
  status: BuildStatus;
  /** For infra-error, timeout, cancelled, config-unsatisfied: one line saying why. */
  reason?: string;
  cell: {
    source: { spec: string; label: string; version: string; path: string };
    arch: string;
    base: string;
    toolchain: ToolchainName;
    targets: BuildTarget[];
  };
  config: {
    verdict: ConfigVerdict;
    pins: PinResult[];
    allowUnsatisfied: boolean;
    kconfigWarnings: string[];
    commands: string[];
    durationMs: number;
    /**
     * Symbols kbuild's syncconfig changed during the build (the runtime's compiler probes
     * disagreed with the host's at config time). Empty when the built config is the one
     * that was verified.
     */
    changedByBuild: ConfigChange[];
  };
  runtime: RuntimeInfo;
  toolchain: { name: ToolchainName; compiler: string; version: string; makeVars: string[] };
  jobs: number;
  targets: TargetResult[];
  diagnostics: Diagnostic[];
  counts: { errors: number; warnings: number };
  /** Files in outDir that the build produced (the kernel image when built). */
  artifacts: string[];
  outDir: string;
  files: { config: string; log: string; result: string; reproducer: string };
  startedAt: string;
  durationMs: number;
}

/** Exit code for the CLI: 0 pass, 1 the build or a pin failed, 2 infrastructure. */
export function exitCodeFor(status: BuildStatus): 0 | 1 | 2 {
  switch (status) {
    case 'pass':
      return 0;
    case 'fail':
    case 'config-unsatisfied':
      return 1;
    case 'timeout':
      return 1;
    case 'infra-error':
    case 'cancelled':
      return 2;
  }
}
