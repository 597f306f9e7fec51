import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { ZodObject } from 'zod';
import { JSON_TOO_DEEP_MESSAGE } from '../jsonBodyParser.js';
import { BODY_NOT_AN_OBJECT, errorSchema } from '../schemas/common.js';
import { SERVER_MESSAGES } from '../serverMessages.js';

/**
 * Error responses for the API reference: `{"message"}` with, as examples, the exact messages the endpoint gives
 * for that status. Endpoint-specific messages come from the schema modules that the routes use; the ones below
 * are answered by the server as a whole (serverMessages.ts).
 */

/** Response headers as OpenAPI writes them. */
export type HeadersObject = Exclude<NonNullable<ResponseConfig['headers']>, ZodObject>;

export function errorResponse(description: string, messages: readonly string[], headers?: HeadersObject): ResponseConfig {
  const keys = new Set<string>();
  const examples = Object.fromEntries(
    messages.map((message) => {
      let key =
        message
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '_')
          .replace(/^_|_$/g, '')
          .slice(0, 60) || 'message';
      while (keys.has(key)) key += '_';
      keys.add(key);
      return [key, { summary: message, value: { message } }];
    }),
  );
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema: errorSchema, examples } } };
}

export const retryAfter: HeadersObject = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string' } } };
const basicChallenge: HeadersObject = {
  'WWW-Authenticate': { description: 'The Basic challenge, e.g. `Basic realm="callback-orchestrator API"`', schema: { type: 'string' } },
};

/** The 400s any endpoint with a JSON body gives before its own checks. */
export const BODY_MESSAGES = [SERVER_MESSAGES.malformedJson, BODY_NOT_AN_OBJECT, JSON_TOO_DEEP_MESSAGE] as const;

export const unauthorizedBasic = errorResponse(
  'No credentials, or wrong ones',
  [SERVER_MESSAGES.authMissing, SERVER_MESSAGES.authInvalid],
  basicChallenge,
);

export const forbiddenForApiUsers = errorResponse('The credentials of an API user, not of an admin', [SERVER_MESSAGES.authWrongKind]);

export const unavailable = errorResponse(
  'Redis is not reachable, or the server sheds load; retry after Retry-After seconds',
  [SERVER_MESSAGES.storageDown, SERVER_MESSAGES.overloaded, SERVER_MESSAGES.tooManyInFlight],
  retryAfter,
);

export const bodyTooLarge = errorResponse('The body is over 1 MB', [SERVER_MESSAGES.bodyTooLarge]);

export const notJson = errorResponse('The body is not sent as application/json', [SERVER_MESSAGES.notJson]);

/** 400 for a JSON body: the generic body problems, then the endpoint's own messages. */
export const badBody = (messages: readonly string[]) =>
  errorResponse('The request is not valid: the message says what to fix', [...BODY_MESSAGES, ...messages]);

export const badRequest = (messages: readonly string[]) =>
  errorResponse('The request is not valid: the message says what to fix', messages);
