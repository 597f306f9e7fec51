import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { callViewSchema } from '../../../calls/callView.js';
import { CRM_COMMENTS } from '../../../policy/crmComments.js';
import {
  CALL_NOT_FOUND,
  CREATE_CALL_ERRORS as E,
  IDEMPOTENCY_ERRORS,
  LIST_CALLS_ERRORS,
  callPathParamsSchema,
  createCallBodySchema,
  createCallHeadersSchema,
  listCallsQuerySchema,
} from '../../schemas/callSchemas.js';
import { badBody, badRequest, bodyTooLarge, errorResponse, notJson, retryAfter, unauthorizedBasic, unavailable } from '../responses.js';
import { SECURITY } from '../securitySchemes.js';

export const CALLS_PATH = '/apps/api/v1/calls';

export const callNotFound = errorResponse('No such call', [CALL_NOT_FOUND]);
export const callResponse = (description: string) => ({ description, content: { 'application/json': { schema: callViewSchema } } });

/** Create, read and list calls (SPEC 3.1). */
export function documentCallPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: CALLS_PATH,
    tags: ['Calls'],
    summary: 'Schedule a callback',
    description:
      'Stores the call and a delayed job that fires at `scheduled_at`. The fields are checked in the order of the body schema, and the first problem is answered.',
    security: SECURITY.apiUser,
    request: {
      headers: createCallHeadersSchema,
      body: { required: true, content: { 'application/json': { schema: createCallBodySchema } } },
    },
    responses: {
      201: callResponse('The scheduled call (a retry with the same Idempotency-Key answers the first response again)'),
      400: badBody([
        E.callType,
        E.parentNotFound(123),
        E.menuRequired,
        E.menuMalformed,
        E.menuNotFound(9999),
        E.menuType,
        E.menuAfterHours,
        E.menuRedirected,
        E.numberRequired,
        E.numberMalformed,
        E.scheduledAtRequired,
        E.scheduledAtInvalid,
        E.languageNotFound('xy'),
        E.languageNotAvailable('fr'),
        E.ticketMalformed,
        E.recordingInvalid,
        IDEMPOTENCY_ERRORS.malformed,
      ]),
      401: unauthorizedBasic,
      409: errorResponse(
        'The record already has a scheduled call (the call is not created, and that comment is written to the record once), or a request with this Idempotency-Key is still running (Retry-After)',
        [CRM_COMMENTS.active_call_exists, IDEMPOTENCY_ERRORS.inProgress],
        retryAfter,
      ),
      413: bodyTooLarge,
      415: notJson,
      422: errorResponse('The Idempotency-Key was used with another body', [IDEMPOTENCY_ERRORS.mismatch]),
      503: unavailable,
    },
  });

  registry.registerPath({
    method: 'get',
    path: CALLS_PATH,
    tags: ['Calls'],
    summary: 'List calls, newest first',
    security: SECURITY.apiUser,
    request: { query: listCallsQuerySchema },
    responses: {
      200: {
        description: 'One page of calls',
        headers: {
          'X-Total-Count': { description: 'How many calls match, over all pages', schema: { type: 'string', pattern: '^\\d+$' } },
          Link: { description: 'The `rel="next"` and `rel="prev"` pages, when there are', schema: { type: 'string' } },
        },
        content: { 'application/json': { schema: z.array(callViewSchema) } },
      },
      400: badRequest(Object.values(LIST_CALLS_ERRORS)),
      401: unauthorizedBasic,
      503: unavailable,
    },
  });

  registry.registerPath({
    method: 'get',
    path: `${CALLS_PATH}/{id}`,
    tags: ['Calls'],
    summary: 'Read a call',
    security: SECURITY.apiUser,
    request: { params: callPathParamsSchema },
    responses: { 200: callResponse('The call'), 401: unauthorizedBasic, 404: callNotFound, 503: unavailable },
  });
}
