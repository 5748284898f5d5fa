// The first stage of a bisect: --bad must be bad and --good good before anything is
// searched. A build bisect tests bad first, to learn the diagnostics to match; a config
// bisect tests both at once, the good endpoint's worker copying the conf that the bad
// endpoint's worker builds (src/bisect/share-conf.ts).
import { availableParallelism } from 'node:os';
import { InputTree, type CommitInfo } from './git.js';
import { defaultMatch, describeBuildBad } from './predicate.js';
import { shareConf } from './share-conf.js';
import { allOrFirstError, type Evaluation, type Steps } from './steps.js';
import type { Worker, WorkerPool } from './workers.js';

export interface EndpointSteps {
  good: Evaluation;
  bad: Evaluation;
}

/** Test both endpoints; `total` estimates the steps for progress. */
export async function testEndpoints(
  steps: Steps,
  pool: WorkerPool,
  build: boolean,
  ends: { good: string; bad: string },
  total: () => number,
  known0?: { good?: string; bad?: string },
): Promise<EndpointSteps> {
  const [w0, w1] = pool.workers;
  if (build) {
    // Known verdicts need a given match: a learnt one comes from building the bad endpoint.
    const known = steps.match ? (known0 ?? {}) : {};
    const bad = known.bad
      ? await steps.known(ends.bad, 'bad endpoint', 'bad', known.bad)
      : await steps.run(w0!, ends.bad, 'bad endpoint', total());
    if (bad.verdict === 'bad' && !steps.match) {
      steps.match = defaultMatch(bad.diagnostics ?? []);
      bad.why = describeBuildBad(steps.match);
    }
    const good = known.good
      ? await steps.known(ends.good, 'good endpoint', 'good', known.good)
      : await steps.run(w0!, ends.good, 'good endpoint', total());
    return { good, bad };
  }
  // The bad endpoint's worker builds conf with every core.
  const pBad = steps.run(w0!, ends.bad, 'bad endpoint', total(), {
    jobs: availableParallelism(),
  });
  if (!w1) {
    const bad = await pBad;
    return { bad, good: await steps.run(w0!, ends.good, 'good endpoint', total()) };
  }
  const pGood = steps.run(w1, ends.good, 'good endpoint', total(), {
    before: () => copyConf(w0!, w1, pBad),
  });
  const [bad, good] = (await allOrFirstError([pBad, pGood])) as [Evaluation, Evaluation];
  return { good, bad };
}

/** Copy the conf `from` builds into `to`'s O= dir when their sources agree. */
function copyConf(from: Worker, to: Worker, building: Promise<unknown>): Promise<unknown> {
  const a = from.clone;
  const b = to.clone;
  if (!(a instanceof InputTree && b instanceof InputTree)) return Promise.resolve();
  return shareConf({
    fromOut: from.out,
    toOut: to.out,
    fromBlobs: () => a.blobs(),
    toBlobs: () => b.blobs(),
    building,
  });
}

/** Why the endpoints do not bracket a regression (empty when they do). */
export function endpointProblems(
  info: { good: CommitInfo; bad: CommitInfo },
  ends: EndpointSteps,
): string[] {
  const problems: string[] = [];
  if (ends.good.verdict !== 'good')
    problems.push(`--good ${info.good.sha.slice(0, 12)} is ${ends.good.verdict}: ${ends.good.why}`);
  if (ends.bad.verdict !== 'bad')
    problems.push(`--bad ${info.bad.sha.slice(0, 12)} is ${ends.bad.verdict}: ${ends.bad.why}`);
  return problems;
}
