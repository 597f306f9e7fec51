import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { EXPLAIN_ERRORS, explainBodySchema, explanationSchema } from '../../schemas/explainSchemas.js';
import { SETTINGS_ERRORS, crmSettingsSchema, historyQuerySchema, policyHistorySchema } from '../../schemas/settingsSchemas.js';
import {
  badBody,
  badRequest,
  bodyTooLarge,
  errorResponse,
  forbiddenForApiUsers,
  notJson,
  unauthorizedBasic,
  unavailable,
} from '../responses.js';
import { SECURITY } from '../securitySchemes.js';

const SETTINGS_PATH = '/admin/v1/settings/crm';

const adminRefusals = { 401: unauthorizedBasic, 403: forbiddenForApiUsers };
const settingsResponse = (description: string): ResponseConfig => ({
  description,
  content: { 'application/json': { schema: crmSettingsSchema } },
});
const file = (description: string, mediaType: string): ResponseConfig => ({
  description,
  content: { [mediaType]: { schema: { type: 'string' } } },
});

/** Everything under /admin (SPEC 3.3): admin users only. */
export function documentAdminPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: SETTINGS_PATH,
    tags: ['Admin'],
    summary: 'Read the live CRM settings',
    security: SECURITY.adminUser,
    responses: { 200: settingsResponse('The settings in force'), ...adminRefusals, 503: unavailable },
  });

  registry.registerPath({
    method: 'put',
    path: SETTINGS_PATH,
    tags: ['Admin'],
    summary: 'Change the Salesforce closed-record policy, without a restart',
    description: 'Stored in Redis and audited (who, when, old, new); applies to every worker for callbacks that fire after it.',
    security: SECURITY.adminUser,
    request: { body: { required: true, content: { 'application/json': { schema: crmSettingsSchema } } } },
    responses: {
      200: settingsResponse('The settings now in force'),
      400: badBody([
        SETTINGS_ERRORS.notAnObject,
        SETTINGS_ERRORS.unknownField('foo'),
        SETTINGS_ERRORS.salesforceRequired,
        SETTINGS_ERRORS.unknownField('salesforce.foo'),
        SETTINGS_ERRORS.policyInvalid,
      ]),
      ...adminRefusals,
      413: bodyTooLarge,
      415: notJson,
      503: unavailable,
    },
  });

  registry.registerPath({
    method: 'get',
    path: `${SETTINGS_PATH}/history`,
    tags: ['Admin'],
    summary: 'The audit trail of policy changes, newest first',
    security: SECURITY.adminUser,
    request: { query: historyQuerySchema },
    responses: {
      200: { description: 'The changes', content: { 'application/json': { schema: policyHistorySchema } } },
      400: badRequest([SETTINGS_ERRORS.historyLimit]),
      ...adminRefusals,
      503: unavailable,
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/admin/v1/explain',
    tags: ['Admin'],
    summary: 'Dry run: what would happen if the callback fired now',
    description: "Reads the record now through the worker's own decision; writes no comment, reopens nothing, changes no call.",
    security: SECURITY.adminUser,
    request: { body: { required: true, content: { 'application/json': { schema: explainBodySchema } } } },
    responses: {
      200: { description: 'The decision', content: { 'application/json': { schema: explanationSchema } } },
      400: badBody([
        EXPLAIN_ERRORS.unknownField('foo'),
        EXPLAIN_ERRORS.both,
        EXPLAIN_ERRORS.ticketMalformed,
        EXPLAIN_ERRORS.callMalformed,
        EXPLAIN_ERRORS.neither,
      ]),
      ...adminRefusals,
      404: errorResponse('No such call', [EXPLAIN_ERRORS.callNotFound(123)]),
      413: bodyTooLarge,
      415: notJson,
      503: unavailable,
    },
  });

  const page = (path: string, summary: string) =>
    registry.registerPath({
      method: 'get',
      path,
      tags: ['Admin'],
      summary,
      security: SECURITY.adminUser,
      responses: { 200: file('The page', 'text/html'), ...adminRefusals },
    });
  page('/admin', 'The admin page: the closed-record policy, its history and the dry run');
  page('/admin/', 'The admin page (same as /admin)');
  page('/admin/queues', 'The BullMQ dashboard (bull-board) of the queues');

  const asset = (name: string, mediaType: string) =>
    registry.registerPath({
      method: 'get',
      path: `/admin/assets/${name}`,
      tags: ['Admin'],
      summary: `A file of the admin page (${name})`,
      security: SECURITY.adminUser,
      responses: { 200: file('The file', mediaType), ...adminRefusals },
    });
  asset('admin.js', 'application/javascript');
  asset('admin.css', 'text/css');
  asset('favicon.svg', 'image/svg+xml');
}
