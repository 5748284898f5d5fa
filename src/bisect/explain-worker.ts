// Worker-thread entry for explainInWorker (src/bisect/explain-at.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../core/errors.js';
import { explainAt, type ExplainJob } from './explain-at.js';

try {
  parentPort!.postMessage({ ok: await explainAt(workerData as ExplainJob) });
} catch (e) {
  parentPort!.postMessage({ error: errorMessage(e) });
}
