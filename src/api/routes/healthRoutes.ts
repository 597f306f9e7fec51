import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../../AppServices.js';
import { isRedisReachable } from '../../redisConnections.js';
import { REDIS_NOT_REACHABLE } from '../schemas/healthSchemas.js';

/** Liveness, readiness (Redis reachable) and Prometheus metrics; no credentials needed. */
export function registerHealthRoutes(app: FastifyInstance, s: AppServices): void {
  app.get('/healthz', (_req, reply) => reply.send({ status: 'ok' }));

  // On a Redis Cluster every master must answer: each holds part of the calls and queues.
  app.get('/readyz', async (_req, reply) => {
    if (await isRedisReachable(s.redis, 1000)) return { status: 'ok', redis: 'up' };
    return reply.code(503).header('Retry-After', '5').send({ message: REDIS_NOT_REACHABLE, status: 'unavailable', redis: 'down' });
  });

  app.get('/metrics', async (_req, reply) => {
    try {
      await withTimeout(s.metrics.collectQueueDepth(s.queues.all()), 1000);
    } catch {
      // Redis down: serve the process metrics we have; queue depths keep their last values.
    }
    return reply.type(s.metrics.registry.contentType).send(await s.metrics.registry.metrics());
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);
}
