import swagger, { type StaticDocumentSpec } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { buildApiDocument } from './apiDocument.js';
import { DOCS_PATH, OPENAPI_PATH } from './paths/apiReferencePaths.js';

/**
 * GET /openapi.json (the document) and GET /docs (Swagger UI over the same document), both without
 * credentials: mount them outside the authenticated scopes. The document is built once, at start-up.
 */
export async function registerApiReference(app: FastifyInstance): Promise<void> {
  const document = buildApiDocument();
  app.get(OPENAPI_PATH, (_request, reply) => reply.send(document));
  // In its own scope: @fastify/swagger decorates the instance it is registered on, and serves only this document.
  await app.register(async (scope) => {
    // The two packages type OpenAPI with different libraries; the document is the same JSON either way.
    const specification = { document } as unknown as StaticDocumentSpec;
    await scope.register(swagger, { mode: 'static', specification });
    await scope.register(swaggerUi, { routePrefix: DOCS_PATH, uiConfig: { deepLinking: true } });
  });
}
