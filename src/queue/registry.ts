// Who is out there: each worker keeps a heartbeat key (expiring when it stops answering) and
// its name in a set; each resource shape a coordinator queued cells for is in a hash, so
// workers know which queues to look at.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { isLabel, type CellResources } from '../matrix/resources.js';
import type { WorkerInfo } from './events.js';
import { SHAPES_KEY, WORKERS_KEY, workerKey } from './keys.js';

export const HEARTBEAT_MS = 2000;
/** A worker not heard from for this long is gone. */
export const HEARTBEAT_TTL_MS = 10_000;

export async function heartbeat(redis: Redis, info: WorkerInfo): Promise<void> {
  await redis
    .multi()
    .sadd(WORKERS_KEY, info.name)
    .set(workerKey(info.name), JSON.stringify(info), 'PX', HEARTBEAT_TTL_MS)
    .exec();
}

export async function forgetWorker(redis: Redis, name: string): Promise<void> {
  await redis.multi().srem(WORKERS_KEY, name).del(workerKey(name)).exec();
}

export async function getWorker(redis: Redis, name: string): Promise<WorkerInfo | undefined> {
  const text = await redis.get(workerKey(name));
  return text ? parseWorker(text) : undefined;
}

/** Workers whose heartbeat is alive, by name; names whose heartbeat expired are dropped. */
export async function listWorkers(redis: Redis): Promise<WorkerInfo[]> {
  const names = (await redis.smembers(WORKERS_KEY)).sort();
  if (names.length === 0) return [];
  const values = await redis.mget(names.map(workerKey));
  const out: WorkerInfo[] = [];
  const gone: string[] = [];
  names.forEach((n, i) => {
    const w = values[i] ? parseWorker(values[i]) : undefined;
    if (w) out.push(w);
    else gone.push(n);
  });
  if (gone.length) await redis.srem(WORKERS_KEY, ...gone);
  return out;
}

function parseWorker(text: string): WorkerInfo | undefined {
  try {
    const v = JSON.parse(text) as WorkerInfo;
    return typeof v.name === 'string' && typeof v.cpus === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

const ShapeSchema = z.strictObject({
  cpus: z.number().int().min(1).max(1024),
  memBytes: z.number().int().min(1),
  labels: z.array(z.string().refine(isLabel)).max(64),
});

export async function registerShapes(
  redis: Redis,
  shapes: ReadonlyMap<string, CellResources>,
): Promise<void> {
  if (shapes.size === 0) return;
  await redis.hset(
    SHAPES_KEY,
    Object.fromEntries([...shapes].map(([k, r]) => [k, JSON.stringify(r)])),
  );
}

/** Shapes queued for, by key; entries that are not valid shapes are ignored. */
export async function listShapes(redis: Redis): Promise<Map<string, CellResources>> {
  const raw = await redis.hgetall(SHAPES_KEY);
  const out = new Map<string, CellResources>();
  for (const [k, v] of Object.entries(raw)) {
    if (!/^[a-z0-9-]{1,64}$/.test(k)) continue;
    try {
      const r = ShapeSchema.safeParse(JSON.parse(v));
      if (r.success) out.set(k, r.data);
    } catch {
      // not JSON: not ours
    }
  }
  return out;
}

/** Can a worker (by its total capacity and labels) ever take cells of this shape? */
export function canEverFit(
  w: Pick<WorkerInfo, 'cpus' | 'memBytes' | 'labels'>,
  r: CellResources,
): boolean {
  return (
    r.cpus <= w.cpus && r.memBytes <= w.memBytes && r.labels.every((l) => w.labels.includes(l))
  );
}

/** Does it fit what the worker has free right now? */
export function fitsNow(
  free: { cpus: number; memBytes: number },
  labels: readonly string[],
  r: CellResources,
): boolean {
  return (
    r.cpus <= free.cpus && r.memBytes <= free.memBytes && r.labels.every((l) => labels.includes(l))
  );
}
