import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  BULK_CANCEL_ERRORS as E,
  OPERATION_NOT_FOUND,
  bulkCancelBodySchema,
  bulkCancelOperationSchema,
  bulkCancelPathParamsSchema,
  cannotCancel,
} from '../../schemas/callCancelSchemas.js';
import { callPathParamsSchema } from '../../schemas/callSchemas.js';
import { badBody, bodyTooLarge, errorResponse, notJson, unauthorizedBasic, unavailable } from '../responses.js';
import { SECURITY } from '../securitySchemes.js';
import { CALLS_PATH, callNotFound, callResponse } from './callPaths.js';

const SCHEDULED = `${CALLS_PATH}/scheduled`;

/** Cancel one scheduled call, or many in the background (SPEC 3.1). */
export function documentCallCancelPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'patch',
    path: `${SCHEDULED}/{id}/cancel`,
    tags: ['Calls'],
    summary: 'Cancel a scheduled call',
    security: SECURITY.apiUser,
    request: { params: callPathParamsSchema },
    responses: {
      200: callResponse('The call, now `canceled` with `fail_reason` `canceled_by_request`'),
      401: unauthorizedBasic,
      404: callNotFound,
      409: errorResponse('The call is no longer scheduled, or it is firing', [cannotCancel(123, 'canceled'), cannotCancel(123, 'firing')]),
      503: unavailable,
    },
  });

  registry.registerPath({
    method: 'patch',
    path: `${SCHEDULED}/cancel`,
    tags: ['Calls'],
    summary: 'Cancel many scheduled calls, in the background',
    description: 'Nothing is canceled when the request is refused, not even its valid ids.',
    security: SECURITY.apiUser,
    request: { body: { required: true, content: { 'application/json': { schema: bulkCancelBodySchema } } } },
    responses: {
      202: {
        description: 'The operation, started; read its outcome at the Location',
        headers: {
          Location: {
            description: 'Where to read the operation, e.g. `/apps/api/v1/calls/scheduled/cancel/{operationId}`',
            schema: { type: 'string' },
          },
        },
        content: { 'application/json': { schema: bulkCancelOperationSchema } },
      },
      400: badBody([E.empty, E.tooMany, E.notAnId('abc')]),
      401: unauthorizedBasic,
      413: bodyTooLarge,
      415: notJson,
      503: unavailable,
    },
  });

  registry.registerPath({
    method: 'get',
    path: `${SCHEDULED}/cancel/{operationId}`,
    tags: ['Calls'],
    summary: 'Read a bulk cancel operation',
    description: 'Operations are kept for 7 days.',
    security: SECURITY.apiUser,
    request: { params: bulkCancelPathParamsSchema },
    responses: {
      200: {
        description: 'The operation and the calls handled so far',
        content: { 'application/json': { schema: bulkCancelOperationSchema } },
      },
      401: unauthorizedBasic,
      404: errorResponse('No such operation', [OPERATION_NOT_FOUND]),
      503: unavailable,
    },
  });
}
