// Connecting to the queue's Redis (ioredis, as BullMQ uses it): TLS with an optional CA, the
// password from the URL or KMATRIX_REDIS_PASSWORD, reconnecting forever (a Redis restart is
// an outage to wait out, not an error), and a first check that fails fast with the URL
// (password masked) and what to do.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { errorMessage, KmatrixError } from '../core/errors.js';
import { REDIS_CA_ENV, redact, type RedisTarget } from './url.js';

export interface QueueConnection {
  target: RedisTarget;
  /** For BullMQ's own connections and our duplicates (subscribers). */
  options: RedisOptions;
  redis: Redis;
  /** Mask the password in any text (error messages may quote it). */
  redact: (text: string) => string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  env: NodeJS.ProcessEnv;
  /** Called once per outage and once when Redis answers again. */
  onStateChange?: (up: boolean, why: string) => void;
  /** How long the first connection may take before it is an error. */
  firstTimeoutMs?: number;
}

export async function redisOptions(
  target: RedisTarget,
  env: NodeJS.ProcessEnv,
): Promise<RedisOptions> {
  let tls: RedisOptions['tls'];
  if (target.tls) {
    const caFile = env[REDIS_CA_ENV];
    let ca: Buffer | undefined;
    if (caFile)
      ca = await readFile(caFile).catch((e: unknown) => {
        throw new KmatrixError(
          'usage',
          `cannot read ${REDIS_CA_ENV}=${caFile}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`,
        );
      });
    // SNI takes a host name, never an address.
    const sni = target.host && isIP(target.host) === 0 ? { servername: target.host } : {};
    tls = { ...(ca ? { ca } : {}), ...sni };
  }
  return {
    ...(target.path ? { path: target.path } : { host: target.host!, port: target.port! }),
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    db: target.db,
    ...(tls ? { tls } : {}),
    // BullMQ needs commands to wait out an outage rather than fail after N retries.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
    lazyConnect: true,
  };
}

export async function connectQueue(
  target: RedisTarget,
  o: ConnectOptions,
): Promise<QueueConnection> {
  const options = await redisOptions(target, o.env);
  const mask = (text: string) => redact(text, [target.password]);
  const redis = newRedis(options);
  let up = false;
  let lastError = '';
  redis.on('error', (e: unknown) => {
    lastError = mask(errorMessage(e));
    if (up) {
      up = false;
      o.onStateChange?.(false, lastError);
    }
  });
  redis.on('ready', () => {
    if (!up && lastError) o.onStateChange?.(true, 'Redis answers again');
    up = true;
  });
  const unreachable = (why: string) =>
    new KmatrixError(
      'redis-unavailable',
      `cannot reach the queue's Redis at ${target.display}: ${why}`,
      /certificate|self.signed/i.test(why)
        ? `rediss://: give the CA that signed the server's certificate in ${REDIS_CA_ENV}=FILE`
        : 'start one with scripts/redis-up.sh (it prints the KMATRIX_REDIS_URL to export), or give --redis URL',
    );
  try {
    await withTimeout(redis.connect(), o.firstTimeoutMs ?? 10_000, () => lastError || 'timed out');
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw unreachable(lastError || mask(errorMessage(e)));
  }
  up = true;
  await checkServer(redis, target);
  return {
    target,
    options: { ...options, lazyConnect: false },
    redis,
    redact: mask,
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Options for BullMQ's own connections (its types and ioredis 6's differ only in form). */
export function bullConnection(conn: QueueConnection): ConnectionOptions {
  return conn.options as ConnectionOptions;
}

/** ioredis 6's option types are not written for exactOptionalPropertyTypes. */
export function newRedis(options: RedisOptions): Redis {
  return new Redis(options as never);
}

/** BullMQ needs Redis >= 6.2; eviction would silently drop jobs. */
async function checkServer(redis: Redis, target: RedisTarget): Promise<void> {
  const info = await redis.info();
  const version = /^redis_version:(\d+)\.(\d+)/m.exec(info);
  if (version && (Number(version[1]) < 6 || (Number(version[1]) === 6 && Number(version[2]) < 2)))
    throw new KmatrixError(
      'redis-unavailable',
      `the queue's Redis at ${target.display} is version ${version[1]}.${version[2]}; BullMQ needs 6.2 or newer`,
    );
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy && policy !== 'noeviction')
    throw new KmatrixError(
      'redis-unavailable',
      `the queue's Redis at ${target.display} evicts keys (maxmemory-policy ${policy}): queued cells could vanish`,
      'set maxmemory-policy noeviction (scripts/redis-up.sh does)',
    );
}

async function withTimeout<T>(p: Promise<T>, ms: number, why: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(why())), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
