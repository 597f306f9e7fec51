import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { SECURITY } from '../securitySchemes.js';

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

/** This document and its page (SPEC 11): no credentials. */
export function documentApiReferencePaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: OPENAPI_PATH,
    tags: ['API reference'],
    summary: 'This OpenAPI 3.1 document',
    security: SECURITY.none,
    responses: { 200: { description: 'The document', content: { 'application/json': { schema: { type: 'object' } } } } },
  });

  registry.registerPath({
    method: 'get',
    path: DOCS_PATH,
    tags: ['API reference'],
    summary: 'This document, for people (Swagger UI)',
    security: SECURITY.none,
    responses: { 200: { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } },
  });
}
