// One bisect step: move a worker's tree to a commit, test the predicate there, and record
// the verdict in the order the log replays. A step reuses what its worker remembers: conf's
// saved run (config steps replay `make defconfig` when no make input changed) and its
// passing builds (a build step may be decided without a build, src/bisect/unbuilt.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDotConfig } from '../config/dotconfig.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { resolveConfig, type KconfigDeps } from './configure.js';
import type { BisectEvent } from './events.js';
import { changedPaths, InputTree, PrivateClone, type CommitInfo } from './git.js';
import {
  evalBuild,
  givenMatch,
  judgeRequires,
  type Judgement,
  type MatchSpec,
  type Predicate,
} from './predicate.js';
import type { BisectDeps, BisectRequest } from './request.js';
import type { StepRecord } from './result.js';
import { collectDeps, decideWithoutBuild } from './unbuilt.js';
import type { Worker, WorkerPool } from './workers.js';

export type Role = Extract<BisectEvent, { type: 'bisect:step' }>['role'];

/** A step with what later stages read but the result leaves out. */
export interface Evaluation extends StepRecord {
  configText?: string;
  diagnostics?: Diagnostic[];
}

type StepOutcome = Judgement & { tested?: false; inferredFrom?: string };

export class Steps {
  /** Every step so far, by commit. */
  readonly records = new Map<string, Evaluation>();
  private readonly order: string[] = [];
  private n = 0;
  /** What a build must fail with to be bad; learnt at the bad endpoint unless given. */
  match: MatchSpec | undefined;

  constructor(
    private readonly req: BisectRequest,
    private readonly deps: BisectDeps,
    private readonly pool: WorkerPool,
    private readonly info: (sha: string) => Promise<CommitInfo>,
  ) {
    this.match = givenMatch(req.predicate);
  }

  /** Steps started so far (for progress "step n of ~m"). */
  get count(): number {
    return this.n;
  }

  /** The tested (and inferred) steps in the order they ran. */
  list(): StepRecord[] {
    return this.order.map((s) => publicStep(this.records.get(s)!));
  }

  /**
   * Test `sha` in worker `w`. `jobs` runs make with that many jobs (the first conf build);
   * `before` runs once the tree is at `sha` and before the predicate (sharing conf).
   */
  async run(
    w: Worker,
    sha: string,
    role: Role,
    total: number,
    opts: { jobs?: number; before?: () => Promise<unknown> } = {},
  ): Promise<Evaluation> {
    const { subject } = await this.info(sha);
    this.deps.emit({ type: 'bisect:step', n: ++this.n, total, sha, subject, role });
    const t0 = Date.now();
    await w.clone.checkout(sha);
    const kdeps = await this.pool.kdeps;
    await opts.before?.();
    const pred = this.req.predicate;
    const e =
      pred.kind === 'config'
        ? await this.configStep(pred, w, opts.jobs ? { ...kdeps, jobs: opts.jobs } : kdeps)
        : await this.buildStep(pred, w, sha, kdeps);
    const rec: Evaluation = { tested: true, ...e, sha, subject, ms: Date.now() - t0 };
    this.records.set(sha, rec);
    this.order.push(sha);
    this.deps.emit({ type: 'bisect:verdict', sha, verdict: rec.verdict, why: rec.why, ms: rec.ms });
    return rec;
  }

  /** A verdict known without testing (an endpoint a matrix run built): recorded, not run. */
  async known(sha: string, role: Role, verdict: 'good' | 'bad', why: string): Promise<Evaluation> {
    const { subject } = await this.info(sha);
    const rec: Evaluation = { tested: false, verdict, why, sha, subject, ms: 0 };
    this.records.set(sha, rec);
    this.order.push(sha);
    this.deps.emit({
      type: 'bisect:note',
      text: `${role} ${sha.slice(0, 12)} is ${verdict}: ${why}`,
    });
    return rec;
  }

  /** One round: a step per worker, all settled before an error is thrown. */
  async round(items: { sha: string; role: Role }[], total: () => number): Promise<Evaluation[]> {
    const ws = this.pool.workers;
    // Items beyond the number of workers wait for their worker: one tree, one step at a time.
    const out: Evaluation[] = [];
    const lanes = ws.map(async (w, k) => {
      for (let i = k; i < items.length; i += ws.length)
        out[i] = await this.run(w, items[i]!.sha, items[i]!.role, total());
    });
    await allOrFirstError(lanes);
    return out;
  }

  private async configStep(
    pred: Extract<Predicate, { kind: 'config' }>,
    w: Worker,
    kdeps: KconfigDeps,
  ): Promise<StepOutcome> {
    const req = this.req;
    const place = { src: w.clone.dir, out: w.out, arch: req.arch, toolchain: req.toolchain };
    // conf's saved run can be replayed when no make input changed since the make that saved
    // it in this O= dir (src/bisect/configure.ts).
    const inputs = w.clone instanceof InputTree ? makeInputs(w.clone.blobs()) : undefined;
    const replay =
      kdeps.directOlddefconfig === true &&
      inputs !== undefined &&
      w.madeWith !== undefined &&
      sameMap(inputs, w.madeWith);
    const r = await resolveConfig(place, req.base, req.pins, kdeps, undefined, replay);
    w.madeWith = r.kind === 'ok' ? (r.replayed ? w.madeWith : inputs) : undefined;
    if (r.kind === 'failed')
      return { verdict: 'skip', why: `make ${r.step} failed: ${r.output.split('\n').pop() ?? ''}` };
    return { ...judgeRequires(pred.requires, r.values), configText: r.text };
  }

  private async buildStep(
    pred: Extract<Predicate, { kind: 'build' }>,
    w: Worker,
    sha: string,
    kdeps: KconfigDeps,
  ): Promise<StepOutcome> {
    const unbuilt = await this.withoutBuild(w, sha, kdeps);
    if (unbuilt) return unbuilt;
    const req = this.req;
    const e = await evalBuild(
      {
        src: w.clone.dir,
        out: w.out,
        label: `bisect-${sha.slice(0, 12)}`,
        ...(w.clone instanceof PrivateClone ? { commit: { repo: w.clone.repo, sha } } : {}),
        arch: req.arch,
        toolchain: req.toolchain,
        base: req.base,
        pins: req.pins,
        ...(req.signal ? { signal: req.signal } : {}),
      },
      pred,
      kdeps,
      this.match,
    );
    if (e.verdict === 'good') {
      // Collected right away: later (failing) builds in the same O= dir rewrite .cmd files.
      const text = await readFile(join(w.out, '.config'), 'utf8');
      w.passes.unshift({
        sha,
        values: parseDotConfig(text),
        // The tree's path as the build saw it too: /src in a container.
        deps: await collectDeps(w.out, [
          w.clone.dir,
          pred.runtime.paths({ source: w.clone.dir, out: w.out }).source,
        ]),
      });
    }
    return e;
  }

  /**
   * A build step decided from one of the worker's last three passing builds
   * (src/bisect/unbuilt.ts has the rule), or undefined when it has to be built.
   */
  private async withoutBuild(
    w: Worker,
    sha: string,
    kdeps: KconfigDeps,
  ): Promise<StepOutcome | undefined> {
    const req = this.req;
    for (const ref of w.passes.slice(0, 3)) {
      const changed = await changedPaths(this.deps.runner, w.clone.repo, ref.sha, sha);
      if (!decideWithoutBuild({ sameConfig: true, changed, deps: ref.deps }).decided) continue;
      const r = await resolveConfig(
        { src: w.clone.dir, out: w.out, arch: req.arch, toolchain: req.toolchain },
        req.base,
        req.pins,
        kdeps,
      );
      if (r.kind === 'failed') return undefined;
      const same = sameMap(r.values, ref.values);
      const d = decideWithoutBuild({ sameConfig: same, changed, deps: ref.deps });
      if (!d.decided) return undefined;
      return {
        verdict: 'good',
        why: `passes without a build: ${d.why} by ${ref.sha.slice(0, 12)}`,
        tested: false,
        inferredFrom: ref.sha,
      };
    }
    return undefined;
  }
}

/** The step as the result shows it (no config text, no raw diagnostics). */
export function publicStep(e: Evaluation): StepRecord {
  const out: StepRecord = {
    sha: e.sha,
    subject: e.subject,
    verdict: e.verdict,
    why: e.why,
    tested: e.tested,
    ms: e.ms,
  };
  if (e.inferredFrom) out.inferredFrom = e.inferredFrom;
  if (e.requires) out.requires = e.requires;
  if (e.errors) out.errors = e.errors;
  return out;
}

/**
 * Promise.all that waits for every promise to settle before throwing the first error, so no
 * step still writes into the run dir when it is removed.
 */
export async function allOrFirstError<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((x) => x.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((x) => (x as PromiseFulfilledResult<T>).value);
}

/**
 * What make itself reads for a config target: every kept file's blob but Kconfig files and
 * defconfigs (conf reads those), and for defconfigs only that they exist (the kconfig
 * Makefile picks its recipe by whether arch/<a>/configs/$(KBUILD_DEFCONFIG) exists).
 */
function makeInputs(blobs: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [p, b] of blobs) {
    if (/(^|\/)Kconfig[^/]*$/.test(p)) continue;
    out.set(p, /(^|\/)configs\//.test(p) ? 'exists' : b);
  }
  return out;
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
