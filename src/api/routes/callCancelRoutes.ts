import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../../AppServices.js';
import { HttpError, badRequest } from '../HttpError.js';
import { callIdParam, callView, objectBody } from './callParams.js';

const BASE = '/apps/api/v1/calls/scheduled';
export const MAX_BULK_CANCEL = 1000;

/** Cancel one scheduled call, or many in the background (SPEC 3.1). */
export function registerCallCancelRoutes(app: FastifyInstance, s: AppServices): void {
  app.patch(`${BASE}/:id/cancel`, async (request) => {
    const id = callIdParam((request.params as { id: string }).id);
    const outcome = await s.canceler.cancel(id);
    if (outcome.result === 'not_found') throw new HttpError(404, 'Call not found');
    if (outcome.result === 'not_scheduled') {
      const why = outcome.status === 'firing' ? 'it is already being processed' : `its status is '${outcome.status}'`;
      throw new HttpError(409, `Call ${id} cannot be canceled: ${why}`);
    }
    s.logger.info({ callId: id, user: request.principal }, 'call canceled by request');
    return callView(s, outcome.call);
  });

  app.patch(`${BASE}/cancel`, async (request, reply) => {
    const ids = parseCallIds(objectBody(request.body).call_ids);
    const op = await s.bulkCancels.create(ids);
    await s.queues.addBulkCancel(op.id);
    const location = `${BASE}/cancel/${op.id}`;
    return reply.code(202).header('Location', location).send({ id: op.id, status: op.status, results: op.results });
  });

  app.get(`${BASE}/cancel/:operationId`, async (request) => {
    const opId = (request.params as { operationId: string }).operationId;
    const op = /^[0-9a-f-]{36}$/.test(opId) ? await s.bulkCancels.get(opId) : null;
    if (!op) throw new HttpError(404, 'Operation not found');
    return { id: op.id, status: op.status, results: op.results };
  });
}

function parseCallIds(raw: unknown): number[] {
  if (!Array.isArray(raw) || raw.length === 0) throw badRequest('call_ids must be a non-empty array of call ids');
  if (raw.length > MAX_BULK_CANCEL) throw badRequest(`call_ids must not contain more than ${MAX_BULK_CANCEL} ids`);
  const ids = raw.map((v) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : typeof v === 'string' && /^[1-9]\d{0,15}$/.test(v) ? Number(v) : NaN,
  );
  const bad = raw.find((_, i) => Number.isNaN(ids[i]));
  if (bad !== undefined) throw badRequest(`call_ids must contain only positive integers (got ${JSON.stringify(bad)})`);
  return [...new Set(ids)];
}
