// The explanation of required values at one commit (from the Kconfig model), in this thread
// or in a worker thread: a bisect explains the first bad commit and its parent, two model
// loads of ~0.4 s each that need not wait for each other.
import { Worker } from 'node:worker_threads';
import { findArch } from '../arch/arches.js';
import { parseDotConfig } from '../config/dotconfig.js';
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

/** explainAt in a worker thread (src/bisect/explain-worker.ts). */
export function explainInWorker(job: ExplainJob): Promise<SymbolExplanation[]> {
  if (job.reqs.length === 0 || job.configText === '') return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./explain-worker.js', import.meta.url), {
      workerData: job,
    });
    let settled = false;
    worker.once('message', (m: { ok: SymbolExplanation[] } | { error: string }) => {
      settled = true;
      if ('ok' in m) resolve(m.ok);
      else reject(new KmatrixError('kconfig-failed', m.error));
      void worker.terminate();
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new KmatrixError('kconfig-failed', `explain worker exited (${code})`));
    });
  });
}
