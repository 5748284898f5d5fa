// How config-bisect tests a candidate config: close it with olddefconfig in one O= dir of
// the fixed tree, judge the result with the predicate (src/bisect/predicate.ts), and
// remember the verdict by resolved config, so that subsets which close to a config already
// judged are not judged again (for builds, no second build).
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Arch } from '../arch/arches.js';
import type { ConfigValues } from '../config/dotconfig.js';
import { seedTools } from '../config/tools.js';
import type { ProcessRunner } from '../process/runner.js';
import type { KernelTree } from '../source/tree.js';
import type { ToolchainName } from '../toolchain/toolchains.js';
import { closeConfig, type KconfigDeps, type RequireResult, type Resolved } from './configure.js';
import type { DdVerdict } from './ddmin.js';
import {
  defaultMatch,
  evalBuild,
  givenMatch,
  judgeRequires,
  type Judgement,
  type MatchSpec,
  type Predicate,
} from './predicate.js';
import { withProbeCache } from './probe-cache.js';

/** The O= dir, in the judge's dir, where candidate configs are closed. */
const CONFIG_OUT = 'config';

export interface TestOutcome {
  verdict: DdVerdict;
  why: string;
  requires?: RequireResult[];
}

/** The fixed tree and what its configs are judged with. */
export interface JudgeAt {
  tree: KernelTree;
  arch: Arch;
  toolchain: ToolchainName;
  predicate: Predicate;
  signal?: AbortSignal;
  /**
   * The tree's Kconfig host tools as src/config/tools.ts caches them (built with the flags
   * the judge's conf runs use): copied into the O= dir, so conf is not built again there.
   */
  tools?: string;
}

export class ConfigJudge {
  /** olddefconfig runs so far. */
  configRuns = 0;
  /** What a build must fail with to be bad; learnt from the first bad build unless given. */
  match: MatchSpec | undefined;
  private readonly byConfig = new Map<string, TestOutcome>();

  private constructor(
    private readonly at: JudgeAt,
    private readonly dir: string,
    private readonly kdeps: KconfigDeps,
  ) {
    this.match = givenMatch(at.predicate);
  }

  /** A judge working in `dir` (O= dirs and the probe cache). */
  static async create(
    at: JudgeAt,
    deps: { runner: ProcessRunner; env: NodeJS.ProcessEnv },
    dir: string,
  ): Promise<ConfigJudge> {
    const kdeps = await withProbeCache(
      { runner: deps.runner, env: deps.env, ...(at.signal ? { signal: at.signal } : {}) },
      join(dir, 'probes'),
      at.arch,
      at.toolchain,
    );
    if (at.tools) {
      await mkdir(join(dir, CONFIG_OUT), { recursive: true });
      await seedTools(at.tools, join(dir, CONFIG_OUT));
    }
    return new ConfigJudge(at, dir, kdeps);
  }

  /** A config text closed by olddefconfig in the tree. */
  async close(text: string): Promise<Resolved> {
    this.configRuns++;
    return closeConfig(
      {
        src: this.at.tree.path,
        out: join(this.dir, CONFIG_OUT),
        arch: this.at.arch,
        toolchain: this.at.toolchain,
      },
      text,
      this.kdeps,
    );
  }

  /** The verdict already known for a closed config, if any. */
  known(values: ConfigValues): TestOutcome | undefined {
    return this.byConfig.get(valuesKey(values));
  }

  remember(values: ConfigValues, o: TestOutcome): void {
    this.byConfig.set(valuesKey(values), o);
  }

  /** Judge a closed config with the predicate (a build for --build). */
  async judge(text: string, values: ConfigValues): Promise<TestOutcome> {
    const pred = this.at.predicate;
    const j: Judgement =
      pred.kind === 'config' ? judgeRequires(pred.requires, values) : await this.build(pred, text);
    return {
      verdict: j.verdict === 'bad' ? 'fail' : j.verdict === 'good' ? 'pass' : 'unresolved',
      why: j.why,
      ...(j.requires ? { requires: j.requires } : {}),
    };
  }

  private async build(
    pred: Extract<Predicate, { kind: 'build' }>,
    text: string,
  ): Promise<Judgement> {
    const at = this.at;
    const v = await evalBuild(
      {
        src: at.tree.path,
        out: join(this.dir, 'build'),
        label: `config-bisect-${at.arch.name}`,
        arch: at.arch,
        toolchain: at.toolchain,
        base: { kind: 'file', path: 'candidate.config' },
        pins: [],
        baseText: text,
        ...(at.signal ? { signal: at.signal } : {}),
      },
      pred,
      this.kdeps,
      this.match,
    );
    if (!this.match && v.verdict === 'bad') this.match = defaultMatch(v.diagnostics ?? []);
    return v;
  }
}

function valuesKey(values: ConfigValues): string {
  const h = createHash('sha256');
  for (const [k, v] of [...values].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    if (v !== 'n') h.update(`${k}=${v}\n`);
  return h.digest('hex');
}
