// Worker-thread entry for ExplainThread (src/bisect/explain-at.ts): modules load at spawn,
// the job comes later as a message.
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../core/errors.js';
import { explainAt, type ExplainJob } from './explain-at.js';

parentPort!.once('message', (job: ExplainJob) => {
  explainAt(job).then(
    (ok) => parentPort!.postMessage({ ok }),
    (e: unknown) => parentPort!.postMessage({ error: errorMessage(e) }),
  );
});
