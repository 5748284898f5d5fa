// Which executor runs a matrix: the local one (this machine, the default) or the queue (kmatrix
// workers through Redis), from --executor/--redis, the matrix's `executor:` block and
// KMATRIX_REDIS_URL. Checked before the run is created, so a bad choice writes nothing.
import { parseDuration } from '../build/targets.js';
import { KmatrixError } from '../core/errors.js';
import type { Cell } from '../matrix/cell.js';
import type { LoadedMatrix } from '../matrix/load.js';
import { cellResources } from '../matrix/resources.js';
import { connectQueue } from '../queue/redis.js';
import { chooseRedisUrl, parseRedisUrl, REDIS_URL_ENV } from '../queue/url.js';
import type { Executor } from './executor.js';
import { localExecutor, type LocalExecutorOptions } from './local-executor.js';
import { queueExecutor } from './queue-executor.js';
import type { Placement } from './queue-submit.js';

export type ExecutorKind = 'local' | 'queue';

export interface ExecutorChoice {
  executor: Executor;
  kind: ExecutorKind;
  /** The queue's Redis as shown to people (password masked). */
  queue?: string;
  /** Checked before the run is created (the queue's Redis answers), so a failure writes nothing. */
  preflight?: () => Promise<void>;
  warnings: string[];
}

export interface ChooseOptions {
  kind?: ExecutorKind | undefined;
  redisUrl?: string | undefined;
  retries?: number | undefined;
  env: NodeJS.ProcessEnv;
  local: LocalExecutorOptions;
}

export function chooseExecutor(o: ChooseOptions, loaded: LoadedMatrix): ExecutorChoice {
  const ex = loaded.matrix.executor;
  const kind = o.kind ?? ex.kind;
  if (kind === 'local') {
    if (o.redisUrl !== undefined)
      throw new KmatrixError(
        'usage',
        '--redis applies to the queue executor; add --executor queue (or executor: {kind: queue} in the matrix)',
      );
    return { executor: localExecutor(o.local), kind, warnings: [] };
  }
  const url = chooseRedisUrl(o.redisUrl, ex.url, o.env);
  if (!url)
    throw new KmatrixError(
      'usage',
      `the queue executor needs its Redis: --redis URL, executor.url in ${loaded.file}, or ${REDIS_URL_ENV}`,
    );
  const target = parseRedisUrl(url, o.env);
  const warnings: string[] = [];
  if (ex.url && /^[a-z]+:\/\/[^/@]*:[^@]+@/i.test(ex.url))
    warnings.push(
      'executor.url in the matrix file holds a password: keep it in KMATRIX_REDIS_PASSWORD instead',
    );
  const retries = o.retries ?? loaded.matrix.retries;
  return {
    executor: queueExecutor({
      redisUrl: url,
      env: o.env,
      placement: placementOf(loaded),
      maxAttempts: ex.attempts ?? retries + 1,
      lockMs: parseDuration(ex.lock_timeout),
      images: ex.images,
      ...(o.local.runner ? { runner: o.local.runner } : {}),
    }),
    kind,
    queue: target.display,
    preflight: async () => {
      const conn = await connectQueue(target, { env: o.env });
      await conn.close();
    },
    warnings,
  };
}

/** A cell's resources and priority, from its config in the matrix (defaults when gone). */
export function placementOf(loaded: LoadedMatrix): (cell: Cell) => Placement {
  const configs = new Map(loaded.matrix.configs.map((c) => [c.name, c]));
  return (cell) => {
    const c = configs.get(cell.config);
    return { resources: cellResources(cell, c?.resources), priority: c?.priority ?? 0 };
  };
}
