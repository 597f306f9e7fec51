import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Two kinds of Redis connection:
 * - for request handling, commands fail at once while Redis is away (the API answers 503 instead of hanging);
 * - for workers, commands wait and reconnect forever (BullMQ requires maxRetriesPerRequest: null).
 * Both reconnect by themselves when Redis is back.
 */
const retryStrategy = (times: number) => Math.min(200 * times, 2000);

export function failFastRedisOptions(): RedisOptions {
  return { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy, connectTimeout: 2000 };
}

export function workerRedisOptions(): RedisOptions {
  return { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy };
}

export function connectRedis(url: string, options: RedisOptions): Redis {
  const redis = new Redis(url, { ...options, lazyConnect: false });
  redis.on('error', () => undefined); // reported by /readyz and the callers; avoid unhandled 'error' events
  return redis;
}

/** BullMQ connection options from a redis:// URL. */
export function bullConnection(url: string, options: RedisOptions): ConnectionOptions {
  const u = new URL(url);
  return {
    ...options,
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  } as ConnectionOptions;
}
