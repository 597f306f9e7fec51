import Fastify from 'fastify';
import { buildServer, type RouteModule } from '../api/buildServer.js';
import { registerHealthRoutes } from '../api/routes/healthRoutes.js';
import type { AppServices } from '../AppServices.js';
import { bullConnection, closeBullConnection } from '../redisConnections.js';
import type { RedisClient } from '../store/storeKeys.js';
import { BulkCancelProcessor } from '../worker/BulkCancelProcessor.js';
import { Workers } from '../worker/Workers.js';
import { StoreLayoutMismatchError, claimStoreLayout } from '../store/StoreLayout.js';
import type { StartedRole } from './Role.js';

export interface ApiRoleOptions {
  /** Extra HTTP routes (the admin API). */
  routes: RouteModule[];
  stalledIntervalMs: number;
}

/** The `api` role: the HTTP server, and the bulk-cancel worker (a bulk cancel belongs to the request that started it). */
export async function startApiRole(s: AppServices, options: ApiRoleOptions): Promise<StartedRole> {
  const { config, logger } = s;
  const connection = bullConnection(config.redis, 'worker');
  const bulkCancels = new Workers({
    connection,
    prefix: config.redis.prefix,
    tuning: { concurrency: 1, stalledIntervalMs: options.stalledIntervalMs },
    bulkCancel: new BulkCancelProcessor(s.bulkCancels, s.canceler),
    logger: logger.child({ component: 'bulk-cancel' }),
  });
  // Give Redis a moment before taking requests, so the first ones do not get a needless 503.
  await waitForReady(s.redis, 5000);
  // Checked here too for API-only processes; with Redis away the worker's check (or the next start) does it.
  await claimStoreLayout(s.redis, config.redis.prefix, s.calls.shards).catch((err: Error) => {
    if (err instanceof StoreLayoutMismatchError) throw err;
    logger.warn({ err: err.message }, 'store layout not checked: Redis not reachable');
  });
  const server = await buildServer(s, options.routes);
  const url = await server.listen({ host: config.server.host, port: config.server.port });
  return {
    server,
    url,
    async stop() {
      await server.close(); // stop accepting requests first
      await bulkCancels.close();
      closeBullConnection(connection);
    },
  };
}

/** A worker-only process has no API: it serves its own health and metrics (fire lag, outcomes) on worker.healthPort. */
export async function startHealthServer(s: AppServices, port: number): Promise<StartedRole> {
  const server = Fastify({ logger: false });
  registerHealthRoutes(server, s);
  const url = await server.listen({ host: s.config.server.host, port });
  return { server, url, stop: () => server.close() };
}

/** Resolves when the connection is ready, or after `ms` (the API then answers 503 until Redis is there). */
function waitForReady(redis: RedisClient, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}
