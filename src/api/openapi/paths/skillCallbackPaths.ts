import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { SKILL_CALLBACK_ERRORS as E, skillCallbackBodySchema } from '../../schemas/skillCallbackSchemas.js';
import { badBody, bodyTooLarge, errorResponse, notJson, unavailable } from '../responses.js';
import { SECURITY } from '../securitySchemes.js';

export const SKILL_CALLBACK_PATH = '/rest/api/v1/callback';

/** The Xima-style skill callback (SPEC 3.2). */
export function documentSkillCallbackPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: SKILL_CALLBACK_PATH,
    tags: ['Skill callback'],
    summary: 'Request a callback for a skill, due now',
    description: 'The callback runs through the same worker and policies as scheduled calls.',
    security: SECURITY.skillToken,
    request: { body: { required: true, content: { 'application/json': { schema: skillCallbackBodySchema } } } },
    responses: {
      204: { description: 'The callback is scheduled' },
      400: badBody([E.skillRequired, E.numberRequired, E.unknownSkill('Sales'), E.numberMalformed]),
      401: errorResponse('No token, or not a configured one', [E.badToken], {
        'WWW-Authenticate': { description: 'The Bearer challenge', schema: { type: 'string' } },
      }),
      403: errorResponse('The token is valid, but not for this (configured) skill', [E.skillNotAllowed('Billing')]),
      413: bodyTooLarge,
      415: notJson,
      503: unavailable,
    },
  });
}
