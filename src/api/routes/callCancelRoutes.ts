import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../../AppServices.js';
import { HttpError } from '../HttpError.js';
import { CALL_NOT_FOUND } from '../schemas/callSchemas.js';
import { OPERATION_NOT_FOUND, bulkCancelBodySchema, bulkCancelPathParamsSchema, cannotCancel } from '../schemas/callCancelSchemas.js';
import { parseRequestPart } from '../validation/parseRequestPart.js';
import { callIdParam, callView } from './callParams.js';

const BASE = '/apps/api/v1/calls/scheduled';

/** Cancel one scheduled call, or many in the background (SPEC 3.1). */
export function registerCallCancelRoutes(app: FastifyInstance, s: AppServices): void {
  app.patch(`${BASE}/:id/cancel`, async (request) => {
    const id = callIdParam(request.params);
    const outcome = await s.canceler.cancel(id);
    if (outcome.result === 'not_found') throw new HttpError(404, CALL_NOT_FOUND);
    if (outcome.result === 'not_scheduled') throw new HttpError(409, cannotCancel(id, outcome.status));
    s.logger.info({ callId: id, user: request.principal }, 'call canceled by request');
    return callView(s, outcome.call);
  });

  app.patch(`${BASE}/cancel`, async (request, reply) => {
    const { call_ids: ids } = parseRequestPart(bulkCancelBodySchema, request.body);
    const op = await s.bulkCancels.create(ids);
    await s.queues.addBulkCancel(op.id);
    const location = `${BASE}/cancel/${op.id}`;
    return reply.code(202).header('Location', location).send({ id: op.id, status: op.status, results: op.results });
  });

  app.get(`${BASE}/cancel/:operationId`, async (request) => {
    const { operationId } = parseRequestPart(bulkCancelPathParamsSchema, request.params, 404);
    const op = await s.bulkCancels.get(operationId);
    if (!op) throw new HttpError(404, OPERATION_NOT_FOUND);
    return { id: op.id, status: op.status, results: op.results };
  });
}
