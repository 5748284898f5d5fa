// The explanation of required values at one commit (from the Kconfig model), in this thread
// or in a worker thread: a bisect explains the first bad commit and its parent, two model
// loads of ~0.4 s each that need not wait for each other.
import { Worker } from 'node:worker_threads';
import { findArch, type Arch } from '../arch/arches.js';
import { parseDotConfig } from '../config/dotconfig.js';
import type { Pin } from '../config/pin.js';
import { KmatrixError } from '../core/errors.js';
import {
  explainPinInTree,
  findDefinitionsAllArches,
  loadKconfigModel,
  renderExplanation,
  type ExplanationNode,
} from '../kconfig/index.js';
import type { RequireResult } from './configure.js';

export interface SymbolExplanation {
  symbol: string;
  text: string;
  tree: ExplanationNode;
}

/** Everything explainAt needs, as plain data (it crosses into a worker thread). */
export interface ExplainJob {
  /** The source tree at the commit. */
  src: string;
  arch: string;
  configText: string;
  reqs: readonly RequireResult[];
  /** Pins and requirements, symbol -> value. */
  pins: readonly [string, string][];
}

/** What every explanation of one bisect shares: the arch, the pins and the requirements. */
export interface ExplainContext {
  arch: Arch;
  pins: readonly Pin[];
  requires: readonly Pin[];
}

/** The job for the required values `reqs` at a tree whose config resolved to `configText`. */
export function explainJob(
  src: string,
  at: ExplainContext,
  configText: string | undefined,
  reqs: readonly RequireResult[],
): ExplainJob {
  return {
    src,
    arch: at.arch.name,
    configText: configText ?? '',
    reqs,
    pins: [...at.pins, ...at.requires].map((p) => [p.symbol, p.value]),
  };
}

/** The symbols an explanation tree names (its nodes and their select/imply targets). */
export function treeSymbols(n: ExplanationNode): string[] {
  const out = new Set<string>();
  const walk = (x: ExplanationNode) => {
    if (/^[A-Za-z0-9_]+$/.test(x.symbol)) out.add(x.symbol);
    const r = x.reason;
    if ((r.kind === 'selects' || r.kind === 'implies') && /^[A-Za-z0-9_]+$/.test(r.target))
      out.add(r.target);
    x.children.forEach(walk);
  };
  walk(n);
  return [...out];
}

export async function explainAt(job: ExplainJob): Promise<SymbolExplanation[]> {
  if (job.reqs.length === 0 || job.configText === '') return [];
  const arch = findArch(job.arch);
  if (!arch) throw new KmatrixError('usage', `unknown arch ${job.arch}`);
  // Not modelFor(): its cache is keyed by path, and this path's content moves.
  const model = await loadKconfigModel({ srcTree: job.src, arch });
  const values = parseDotConfig(job.configText);
  const pins = new Map(job.pins);
  const out: SymbolExplanation[] = [];
  for (const r of job.reqs) {
    const status = !model.isDefined(r.symbol)
      ? 'unavailable'
      : r.holds
        ? 'holds'
        : r.effective === 'n'
          ? 'dropped'
          : 'overridden';
    const tree = await explainPinInTree(
      job.src,
      model,
      values,
      { symbol: r.symbol, requested: r.required, effective: r.effective, status },
      pins,
      findDefinitionsAllArches,
    );
    out.push({ symbol: r.symbol, text: renderExplanation(tree), tree });
  }
  return out;
}

/**
 * explainAt in a worker thread. Spawned early (while git is read), the thread has its
 * modules loaded by the time the answer needs it; it never keeps the process alive.
 */
export class ExplainThread {
  private readonly worker: Worker;
  private readonly result: Promise<SymbolExplanation[]>;
  private constructor() {
    this.worker = new Worker(new URL('./explain-worker.js', import.meta.url));
    this.worker.unref();
    this.result = new Promise((resolve, reject) => {
      this.worker.once('message', (m: { ok: SymbolExplanation[] } | { error: string }) => {
        if ('ok' in m) resolve(m.ok);
        else reject(new KmatrixError('kconfig-failed', m.error));
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) =>
        reject(new KmatrixError('kconfig-failed', `explain thread exited (${code})`)),
      );
    });
    this.result.catch(() => undefined);
  }

  static spawn(): ExplainThread {
    return new ExplainThread();
  }

  /** One job per thread. */
  async run(job: ExplainJob): Promise<SymbolExplanation[]> {
    if (job.reqs.length === 0 || job.configText === '') return [];
    this.worker.postMessage(job);
    return this.result;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
