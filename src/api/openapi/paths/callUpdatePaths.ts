import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { customerFlagsSchema } from '../../../calls/callView.js';
import { callPathParamsSchema } from '../../schemas/callSchemas.js';
import {
  FLAG_NAMES,
  STATUS_UPDATE_ERRORS as E,
  customerFlagsPatchSchema,
  flagNotBoolean,
  statusUpdateBodySchema,
} from '../../schemas/callUpdateSchemas.js';
import { badBody, bodyTooLarge, errorResponse, notJson, unauthorizedBasic, unavailable } from '../responses.js';
import { SECURITY } from '../securitySchemes.js';
import { CALLS_PATH, callNotFound, callResponse } from './callPaths.js';

const flagsResponse = (description: string) => ({ description, content: { 'application/json': { schema: customerFlagsSchema } } });

/** The dialer's status reports and the customer flags (SPEC 3.1). */
export function documentCallUpdatePaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'patch',
    path: `${CALLS_PATH}/{id}`,
    tags: ['Calls'],
    summary: "Report the dialer's progress on a call",
    security: SECURITY.apiUser,
    request: {
      params: callPathParamsSchema,
      body: { required: true, content: { 'application/json': { schema: statusUpdateBodySchema } } },
    },
    responses: {
      200: callResponse('The call in its new status'),
      400: badBody([E.statusRequired, E.failReason]),
      401: unauthorizedBasic,
      404: callNotFound,
      409: errorResponse('Not a legal move: backwards, in place, from a final status, or a status the dialer may not report', [
        E.illegalMove('finished', 'connected'),
        E.illegalMove('queued', 'canceled'),
      ]),
      413: bodyTooLarge,
      415: notJson,
      503: unavailable,
    },
  });

  registry.registerPath({
    method: 'get',
    path: `${CALLS_PATH}/{id}/customer_flag`,
    tags: ['Calls'],
    summary: "Read a call's customer flags",
    security: SECURITY.apiUser,
    request: { params: callPathParamsSchema },
    responses: { 200: flagsResponse('The three flags'), 401: unauthorizedBasic, 404: callNotFound, 503: unavailable },
  });

  registry.registerPath({
    method: 'patch',
    path: `${CALLS_PATH}/{id}/customer_flag`,
    tags: ['Calls'],
    summary: "Set some of a call's customer flags",
    description: 'Flags left out keep their value.',
    security: SECURITY.apiUser,
    request: {
      params: callPathParamsSchema,
      body: { required: true, content: { 'application/json': { schema: customerFlagsPatchSchema } } },
    },
    responses: {
      200: flagsResponse('The three flags after the change'),
      400: badBody(FLAG_NAMES.map(flagNotBoolean)),
      401: unauthorizedBasic,
      404: callNotFound,
      413: bodyTooLarge,
      415: notJson,
      503: unavailable,
    },
  });
}
