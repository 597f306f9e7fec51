import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../../AppServices.js';
import { REDIS_NOT_REACHABLE } from '../schemas/healthSchemas.js';

/** Liveness, readiness (Redis reachable) and Prometheus metrics; no credentials needed. */
export function registerHealthRoutes(app: FastifyInstance, s: AppServices): void {
  app.get('/healthz', (_req, reply) => reply.send({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    try {
      await withTimeout(s.redis.ping(), 1000);
      return { status: 'ok', redis: 'up' };
    } catch {
      return reply.code(503).header('Retry-After', '5').send({ message: REDIS_NOT_REACHABLE, status: 'unavailable', redis: 'down' });
    }
  });

  app.get('/metrics', async (_req, reply) => {
    try {
      await withTimeout(s.metrics.collectQueueDepth([s.queues.fire, s.queues.crmEffects, s.queues.bulkCancel]), 1000);
    } catch {
      // Redis down: serve the process metrics we have; queue depths keep their last values.
    }
    return reply.type(s.metrics.registry.contentType).send(await s.metrics.registry.metrics());
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);
}
