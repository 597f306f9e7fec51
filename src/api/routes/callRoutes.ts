import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../../AppServices.js';
import { maskPhone } from '../../observability/logger.js';
import { CRM_COMMENTS } from '../../policy/crmComments.js';
import { CALL_STATUSES, type CallStatus, type NewCall } from '../../store/CallRecord.js';
import { IdempotencyStore } from '../../store/IdempotencyStore.js';
import { HttpError, badRequest } from '../HttpError.js';
import { isPlainTicketId, validateCreateCall } from '../validation/createCallRequest.js';
import { callIdParam, callView, objectBody, requireCall } from './callParams.js';

const BASE = '/apps/api/v1/calls';

/** Schedules a call (store + delayed job), or refuses it when its record already has a scheduled call. */
export async function scheduleCall(s: AppServices, call: NewCall, now: Date) {
  const created = await s.calls.create(call, now);
  if (!created.created) {
    // Written at most once per active scheduled call, however many requests are refused (no CRM: no comment).
    if (s.crm) await s.effects.requestComment(created.existingCallId, call.ticket_id!, 'active_call_exists', 'refusal');
    s.logger.info(
      { ticketId: call.ticket_id, existingCallId: created.existingCallId },
      'call refused: record already has a scheduled call',
    );
    throw new HttpError(409, CRM_COMMENTS.active_call_exists);
  }
  try {
    await s.queues.scheduleFire(created.call.id, new Date(created.call.scheduled_at), now.getTime());
  } catch (err) {
    // The client is told 503 and will retry: take the stored call back so that the retry is not refused as a
    // duplicate. Should even this fail (Redis gone), the worker's reconciler queues the stored call instead.
    await s.calls
      .transition(created.call.id, {
        from: ['scheduled'],
        to: 'canceled',
        patch: { fail_reason: 'not_scheduled', fail_details: 'the delayed job could not be stored; the request was answered 503' },
        events: [{ type: 'canceled', detail: 'not_scheduled' }],
      })
      .catch(() => undefined);
    throw err;
  }
  s.metrics.scheduled.inc({ source: call.source });
  s.logger.info(
    {
      callId: created.call.id,
      ticketId: call.ticket_id,
      number: maskPhone(call.end_user_number),
      scheduledAt: call.scheduled_at,
      source: call.source,
    },
    'call scheduled',
  );
  return created.call;
}

/** Create, read and list (SPEC 3.1). */
export function registerCallRoutes(app: FastifyInstance, s: AppServices): void {
  const isValidTicketId = s.crm ? (id: string) => s.crm!.isValidRecordId(id) : isPlainTicketId;

  const create = async (request: FastifyRequest) => {
    const body = objectBody(request.body);
    const now = new Date();
    const call = await validateCreateCall(body, {
      menus: s.config.menus,
      defaultRegion: s.config.defaultRegion,
      isValidTicketId,
      recordKey: s.recordKey,
      parentMenuId: async (id) => (await s.calls.get(id))?.menu_id ?? null,
      now,
    });
    const stored = await scheduleCall(s, call, now);
    return { status: 201, body: await callView(s, stored) };
  };

  app.post(BASE, async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (key === undefined) return send(reply, await create(request));
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) throw badRequest('Idempotency-Key must be 1 to 255 characters');

    const scope = request.principal ?? '';
    const fingerprint = IdempotencyStore.fingerprint(request.body);
    const reservation = await s.idempotency.reserve(scope, key, fingerprint);
    if (reservation.kind === 'replay') return send(reply, reservation.response);
    if (reservation.kind === 'mismatch') throw new HttpError(422, 'Idempotency-Key was already used with a different request body');
    if (reservation.kind === 'in_progress')
      throw new HttpError(409, 'A request with this Idempotency-Key is still in progress', { 'Retry-After': '1' });
    try {
      const result = await create(request);
      await s.idempotency.complete(scope, key, fingerprint, result);
      return send(reply, result);
    } catch (err) {
      if (err instanceof HttpError && err.status < 500) {
        await s.idempotency.complete(scope, key, fingerprint, { status: err.status, body: { message: err.message } });
      } else {
        await s.idempotency.release(scope, key).catch(() => undefined);
      }
      throw err;
    }
  });

  app.get(`${BASE}/:id`, async (request) => {
    const id = callIdParam((request.params as { id: string }).id);
    return callView(s, await requireCall(s, id));
  });

  app.get(BASE, async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    let status: CallStatus | undefined;
    if (q.status !== undefined && q.status !== '') {
      if (!CALL_STATUSES.includes(q.status as CallStatus)) {
        throw badRequest(`status must be one of: ${CALL_STATUSES.join(', ')}`);
      }
      status = q.status as CallStatus;
    }
    const page = positiveIntParam(q.page, 'page', 1);
    const perPage = Math.min(positiveIntParam(q.per_page, 'per_page', 25), 100);
    const ticketId = q.ticket_id ? q.ticket_id : undefined;
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

function positiveIntParam(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw badRequest(`${name} must be a positive integer`);
  return Number(raw);
}
