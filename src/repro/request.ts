// What `kmatrix repro` is asked (the report text, where it lives, --config/--source/--repo) and
// what it needs from outside, injected: runtimes, trees, conf, the Kconfig model, git.
import type { Arch } from '../arch/arches.js';
import type { BuildEvent } from '../build/events.js';
import type { ConfigRequest, ConfigResult } from '../config/generate.js';
import { isKmatrixError } from '../core/errors.js';
import type { KconfigModel } from '../kconfig/model.js';
import type { Runtime } from '../runtime/runtime.js';
import type { SourceSpec } from '../source/spec.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { ReproPlan } from './plan.js';
import type { RobotReport } from './report.js';

export interface ReproRequest {
  reportText: string;
  /** Absolute path of the report file; undefined when read from stdin. */
  reportPath?: string;
  /** --config, absolute. */
  configPath?: string;
  source?: string;
  repo?: string;
  /** Result and O= dir; default chosen by the caller. */
  outDir: (plan: ReproPlan, report: RobotReport) => string;
  jobs: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ReproDeps {
  selectRuntime: (toolchain: ToolchainName) => Promise<{ runtime: Runtime; note: string }>;
  resolveSource: (spec: SourceSpec) => Promise<KernelTree>;
  generateConfig: (req: ConfigRequest) => Promise<ConfigResult>;
  /** The tree's Kconfig model for an arch (kismet configs, explanations). */
  kconfigModel: (tree: KernelTree, arch: Arch) => Promise<KconfigModel>;
  /** Whether a --repo clone has the report's commit. */
  commitInRepo: (repo: string, sha: string) => Promise<'present' | 'absent' | 'no-repo'>;
  emit: (e: BuildEvent | { type: 'repro:note'; note: string }) => void;
  ccacheDir?: string;
}

/** A kmatrix error (no daemon, no toolchain, conf failing) as this repro's cannot-run reason. */
export function problemOf(e: unknown): string | undefined {
  if (!isKmatrixError(e)) return undefined;
  return `${e.message}${e.detail ? `\n${e.detail}` : ''}`;
}
