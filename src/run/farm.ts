// `kmatrix workers` as a function: the workers whose heartbeat is alive (capacity, labels,
// what each runs) and the queue of each resource shape.
import { Queue } from 'bullmq';
import type { CellResources } from '../matrix/resources.js';
import type { WorkerInfo } from '../queue/events.js';
import { PREFIX, queueName } from '../queue/keys.js';
import { bullConnection, connectQueue } from '../queue/redis.js';
import { listShapes, listWorkers } from '../queue/registry.js';
import { parseRedisUrl } from '../queue/url.js';

export interface ShapeQueue {
  shape: string;
  resources: CellResources;
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

export interface Farm {
  schema: 'kmatrix.workers/1';
  redis: string;
  workers: WorkerInfo[];
  queues: ShapeQueue[];
}

export async function describeFarm(redisUrl: string, env: NodeJS.ProcessEnv): Promise<Farm> {
  const target = parseRedisUrl(redisUrl, env);
  const conn = await connectQueue(target, { env });
  try {
    const workers = await listWorkers(conn.redis);
    const queues: ShapeQueue[] = [];
    for (const [shape, resources] of await listShapes(conn.redis)) {
      const q = new Queue(queueName(shape), { connection: bullConnection(conn), prefix: PREFIX });
      q.on('error', () => undefined);
      try {
        const c = await q.getJobCounts(
          'wait',
          'prioritized',
          'active',
          'delayed',
          'completed',
          'failed',
        );
        queues.push({
          shape,
          resources,
          waiting: (c['wait'] ?? 0) + (c['prioritized'] ?? 0),
          active: c['active'] ?? 0,
          delayed: c['delayed'] ?? 0,
          completed: c['completed'] ?? 0,
          failed: c['failed'] ?? 0,
        });
      } finally {
        await q.close();
      }
    }
    return { schema: 'kmatrix.workers/1', redis: target.display, workers, queues };
  } finally {
    await conn.close();
  }
}
