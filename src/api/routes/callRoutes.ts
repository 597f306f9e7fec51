import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../../AppServices.js';
import { toCallView } from '../../calls/callView.js';
import { CallRefusedError } from '../../lifecycle/errors.js';
import { callEvents } from '../../store/CallStore.js';
import { IdempotencyStore } from '../../store/IdempotencyStore.js';
import { HttpError } from '../HttpError.js';
import { IDEMPOTENCY_ERRORS, createCallHeadersSchema, listCallsQuerySchema } from '../schemas/callSchemas.js';
import { validateCreateCall } from '../validation/createCallRequest.js';
import { parseRequestPart } from '../validation/parseRequestPart.js';
import { callIdParam, callView, requireCall } from './callParams.js';

const BASE = '/apps/api/v1/calls';

/** Create, read and list (SPEC 3.1). */
export function registerCallRoutes(app: FastifyInstance, s: AppServices): void {
  const isValidTicketId = (id: string) => s.crm.isValidRecordId(id);

  const create = async (request: FastifyRequest) => {
    const now = new Date();
    const call = await validateCreateCall(request.body, {
      menus: s.config.menus,
      defaultRegion: s.config.defaultRegion,
      isValidTicketId,
      recordKey: s.recordKey,
      parentMenuId: async (id) => (await s.calls.get(id))?.menu_id ?? null,
      now,
    });
    const stored = await s.scheduler.schedule(call, now, 'refuse');
    // A call just created (and never deferred: refused instead) has only its implicit `scheduled` event: no read.
    return { status: 201, body: toCallView(stored, callEvents(stored, []), s.config.menus) };
  };

  app.post(BASE, async (request, reply) => {
    const key = parseRequestPart(createCallHeadersSchema, request.headers)['idempotency-key'];
    if (key === undefined) return send(reply, await create(request));

    const scope = request.principal ?? '';
    const fingerprint = IdempotencyStore.fingerprint(request.body);
    const reservation = await s.idempotency.reserve(scope, key, fingerprint);
    if (reservation.kind === 'replay') return send(reply, reservation.response);
    if (reservation.kind === 'mismatch') throw new HttpError(422, IDEMPOTENCY_ERRORS.mismatch);
    if (reservation.kind === 'in_progress') throw new HttpError(409, IDEMPOTENCY_ERRORS.inProgress, { 'Retry-After': '1' });
    try {
      const result = await create(request);
      await s.idempotency.complete(scope, key, fingerprint, result);
      return send(reply, result);
    } catch (err) {
      // A refusal (bad input, the duplicate guard, outside the calling rules) is the answer to replay; a 5xx is not.
      const status = err instanceof HttpError ? err.status : err instanceof CallRefusedError ? err.statusCode : 500;
      if (status < 500) {
        await s.idempotency.complete(scope, key, fingerprint, { status, body: { message: (err as Error).message } });
      } else {
        await s.idempotency.release(scope, key).catch(() => undefined);
      }
      throw err;
    }
  });

  app.get(`${BASE}/:id`, async (request) => {
    return callView(s, await requireCall(s, callIdParam(request.params)));
  });

  app.get(BASE, async (request, reply) => {
    const { status, page, per_page: perPage, ticket_id: ticketId } = parseRequestPart(listCallsQuerySchema, request.query);
    const recordKey = ticketId === undefined ? undefined : s.recordKey(ticketId);
    const { calls, total } = await s.calls.list({ status, recordKey, offset: (page - 1) * perPage, limit: perPage });

    reply.header('X-Total-Count', String(total));
    const links: string[] = [];
    const link = (p: number, rel: string) => {
      const params = new URLSearchParams();
      if (status) params.set('status', status);
      if (ticketId) params.set('ticket_id', ticketId);
      params.set('page', String(p));
      params.set('per_page', String(perPage));
      links.push(`<${BASE}?${params}>; rel="${rel}"`);
    };
    if (page * perPage < total) link(page + 1, 'next');
    if (page > 1) link(page - 1, 'prev');
    if (links.length) reply.header('Link', links.join(', '));
    return Promise.all(calls.map((c) => callView(s, c)));
  });
}

function send(reply: FastifyReply, result: { status: number; body: unknown }) {
  return reply.code(result.status).send(result.body);
}
