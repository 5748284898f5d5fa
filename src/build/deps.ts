// The wiring every command that builds shares (build, repro, bisect --build, config-bisect,
// and the run): where trees come from, which runtime runs make, config generation with its
// deps bound, the shared ccache. Made in one place so the commands cannot drift apart.
import { join } from 'node:path';
import type { ConfigRequest, ConfigResult } from '../config/generate.js';
import { generateConfig } from '../config/generate.js';
import { symbolLookup } from '../config/kconfig-bridge.js';
import type { ConfigEvent, Emit, SourceEvent } from '../core/events.js';
import type { ProcessRunner } from '../process/runner.js';
import type { Runtime } from '../runtime/runtime.js';
import {
  selectRuntime,
  type RuntimeChoice,
  type SelectOptions,
  type SelectedRuntime,
} from '../runtime/select.js';
import { resolveSource } from '../source/resolve.js';
import type { SourceSpec } from '../source/spec.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import type { BuildEvent } from './events.js';
import type { BuildDeps } from './run.js';

export interface BuildSetup {
  env: NodeJS.ProcessEnv;
  /** Relative source paths are resolved against it. */
  cwd: string;
  cacheDir: string;
  runner: ProcessRunner;
  /** Progress of tree fetching and config generation. */
  emit: Emit<SourceEvent | ConfigEvent>;
  /** Use the shared compiler cache in <cacheDir>/ccache. */
  ccache: boolean;
  /** Cancels config generation (a build's make steps take the signal of its request). */
  signal?: AbortSignal;
}

/** Image and limits for the docker runtime. */
export type RuntimeLimits = Pick<SelectOptions, 'imageRef' | 'memoryBytes' | 'cpus' | 'labels'>;

export interface BuildWiring {
  resolveSource: (spec: SourceSpec) => Promise<KernelTree>;
  selectRuntime: (
    choice: RuntimeChoice,
    toolchain: ToolchainName,
    limits?: RuntimeLimits,
  ) => Promise<SelectedRuntime>;
  /** generateConfig with its deps bound; `signal` overrides the setup's (a run's per-cell one). */
  generateConfig: (req: ConfigRequest, signal?: AbortSignal) => Promise<ConfigResult>;
  ccacheDir: string | undefined;
  /** What runBuild needs to build in `runtime`, reporting to `emit`. */
  buildDeps: (runtime: Runtime, emit: (e: BuildEvent) => void) => BuildDeps;
}

export function buildWiring(setup: BuildSetup): BuildWiring {
  const { env, runner, cacheDir, emit } = setup;
  const mirror = env['KMATRIX_DEBIAN_MIRROR'];
  const ccacheDir = setup.ccache ? join(cacheDir, 'ccache') : undefined;
  const generate = (req: ConfigRequest, signal = setup.signal) =>
    generateConfig(req, {
      runner,
      cacheDir,
      env,
      emit,
      symbols: symbolLookup,
      ...(signal ? { signal } : {}),
    });
  return {
    resolveSource: (spec) =>
      resolveSource(spec, {
        runner,
        cacheDir,
        cwd: setup.cwd,
        emit,
        ...(mirror ? { mirror } : {}),
      }),
    selectRuntime: (choice, toolchain, limits = {}) =>
      selectRuntime(choice, { env, toolchain, runner, ...limits }),
    generateConfig: generate,
    ccacheDir,
    buildDeps: (runtime, buildEmit) => ({
      runtime,
      generateConfig: (req) => generate(req),
      emit: buildEmit,
      ...(ccacheDir ? { ccacheDir } : {}),
    }),
  };
}
