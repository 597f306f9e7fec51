import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../../AppServices.js';
import { CallRescheduler } from '../../lifecycle/CallRescheduler.js';
import { badRequest } from '../HttpError.js';
import { CREATE_CALL_ERRORS } from '../schemas/callSchemas.js';
import { rescheduleCallBodySchema } from '../schemas/callRescheduleSchemas.js';
import { parseRequestPart } from '../validation/parseRequestPart.js';
import { callIdParam, callView } from './callParams.js';

const isJsonObject = (body: unknown): body is object => typeof body === 'object' && body !== null && !Array.isArray(body);

/**
 * Reschedule a scheduled call (SPEC 9.1). What is wrong with the request itself is answered first, as on create:
 * the body (400), then the call it names (404 unknown, 409 not reschedulable), then the new time against the
 * calling rules in the call's zones (400 of 9.3). Nothing changes unless every check passes.
 *
 * `PATCH .../scheduled/cancel` (bulk cancel) is a static route: Fastify matches it before this `:id` route.
 */
export function registerCallRescheduleRoutes(app: FastifyInstance, s: AppServices): void {
  const rescheduler = new CallRescheduler({ calls: s.calls, queues: s.queues, calling: s.calling, events: s.events, logger: s.logger });

  app.patch('/apps/api/v1/calls/scheduled/:id', async (request) => {
    const now = new Date();
    const body = parseRequestPart(rescheduleCallBodySchema, isJsonObject(request.body) ? request.body : {});
    const scheduledAt = new Date(body.scheduled_at);
    if (scheduledAt.getTime() <= now.getTime()) throw badRequest(CREATE_CALL_ERRORS.scheduledAtInvalid);
    const id = callIdParam(request.params);
    return callView(s, await rescheduler.reschedule(id, scheduledAt, now));
  });
}
