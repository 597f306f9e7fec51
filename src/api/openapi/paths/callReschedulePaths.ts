import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  NOT_RESCHEDULABLE,
  OUTSIDE_CALLING_RULES_EXAMPLE,
  RESCHEDULE_BODY_ERRORS,
  rescheduleCallBodySchema,
} from '../../schemas/callRescheduleSchemas.js';
import { callPathParamsSchema } from '../../schemas/callSchemas.js';
import { badBody, bodyTooLarge, errorResponse, notJson, unauthorizedBasic, unavailable } from '../responses.js';
import { SECURITY } from '../securitySchemes.js';
import { CALLS_PATH, callNotFound, callResponse } from './callPaths.js';

/** Reschedule a scheduled call (SPEC 9.1). */
export function documentCallReschedulePaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'patch',
    path: `${CALLS_PATH}/scheduled/{id}`,
    tags: ['Calls'],
    summary: 'Reschedule a scheduled call',
    description:
      "Moves the call and its delayed job to `scheduled_at`, with the event `rescheduled` (detail: old → new). It fires once, at the new time, never at the old one; a reschedule and a fire never both happen. The body is checked first (400), then the call (404, 409), then the calling rules in the customer's zone (400, SPEC 9.3). A refused request changes nothing.",
    security: SECURITY.apiUser,
    request: {
      params: callPathParamsSchema,
      body: { required: true, content: { 'application/json': { schema: rescheduleCallBodySchema } } },
    },
    responses: {
      200: callResponse('The call, still `scheduled`, with the new `scheduled_at`'),
      400: badBody([...RESCHEDULE_BODY_ERRORS, OUTSIDE_CALLING_RULES_EXAMPLE]),
      401: unauthorizedBasic,
      404: callNotFound,
      409: errorResponse('The call is not `scheduled`, or its fire job has already decided', [NOT_RESCHEDULABLE]),
      413: bodyTooLarge,
      415: notJson,
      503: unavailable,
    },
  });
}
