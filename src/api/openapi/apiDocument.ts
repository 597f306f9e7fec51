import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { documentAdminPaths } from './paths/adminPaths.js';
import { documentApiReferencePaths } from './paths/apiReferencePaths.js';
import { documentCallCancelPaths } from './paths/callCancelPaths.js';
import { documentCallPaths } from './paths/callPaths.js';
import { documentCallReschedulePaths } from './paths/callReschedulePaths.js';
import { documentCallUpdatePaths } from './paths/callUpdatePaths.js';
import { documentHealthPaths } from './paths/healthPaths.js';
import { documentSkillCallbackPaths } from './paths/skillCallbackPaths.js';
import { registerSecuritySchemes } from './securitySchemes.js';

export type ApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/**
 * The OpenAPI 3.1 document of every endpoint (SPEC 11), generated from the zod schemas the routes validate
 * with. It describes the product, not one process: the admin endpoints are in it whether or not this process
 * mounts them.
 */
export function buildApiDocument(): ApiDocument {
  const registry = new OpenAPIRegistry();
  registerSecuritySchemes(registry);
  documentCallPaths(registry);
  documentCallCancelPaths(registry);
  documentCallReschedulePaths(registry);
  documentCallUpdatePaths(registry);
  documentSkillCallbackPaths(registry);
  documentAdminPaths(registry);
  documentHealthPaths(registry);
  documentApiReferencePaths(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'callback-orchestrator',
      version: '1',
      description:
        'Schedules contact-center callbacks and applies CRM record policies when they fire. Every body is JSON; every error is `{"message": "..."}` with a 4xx status (a 5xx only when the server cannot store work), never a 500 for bad input.',
    },
    tags: [
      { name: 'Calls', description: 'The Call API (SPEC 3.1): HTTP Basic with an API user' },
      { name: 'Skill callback', description: 'Xima-style skill callbacks (SPEC 3.2): a Bearer token' },
      { name: 'Admin', description: 'Settings, audit trail, dry run and pages (SPEC 3.3): HTTP Basic with an admin user' },
      { name: 'Operations', description: 'Probes and metrics: no credentials' },
      { name: 'API reference', description: 'This document (SPEC 11): no credentials' },
    ],
  });
}
