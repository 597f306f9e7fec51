import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { livenessSchema, notReadySchema, readinessSchema } from '../../schemas/healthSchemas.js';
import { retryAfter } from '../responses.js';
import { SECURITY } from '../securitySchemes.js';

/** Probes and metrics (SPEC 8): no credentials, exempt from the cap on requests in flight. */
export function documentHealthPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    tags: ['Operations'],
    summary: 'Liveness',
    security: SECURITY.none,
    responses: { 200: { description: 'The process is up', content: { 'application/json': { schema: livenessSchema } } } },
  });

  registry.registerPath({
    method: 'get',
    path: '/readyz',
    tags: ['Operations'],
    summary: 'Readiness: Redis is reachable',
    security: SECURITY.none,
    responses: {
      200: { description: 'Ready', content: { 'application/json': { schema: readinessSchema } } },
      503: { description: 'Redis is not reachable', headers: retryAfter, content: { 'application/json': { schema: notReadySchema } } },
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/metrics',
    tags: ['Operations'],
    summary: 'Prometheus metrics',
    security: SECURITY.none,
    responses: {
      200: {
        description: 'The Prometheus text format (queue depths, fire lag, outcomes, ...)',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
  });
}
