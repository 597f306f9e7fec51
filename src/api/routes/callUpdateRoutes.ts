import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../../AppServices.js';
import { type CallRecord, type CallStatus, type CustomerFlags } from '../../store/CallRecord.js';
import { RetryPlanner } from '../../lifecycle/RetryPlanner.js';
import { HttpError } from '../HttpError.js';
import { CALL_NOT_FOUND } from '../schemas/callSchemas.js';
import { FLAG_NAMES, STATUS_UPDATE_ERRORS, customerFlagsPatchSchema, statusUpdateBodySchema } from '../schemas/callUpdateSchemas.js';
import { parseRequestPart } from '../validation/parseRequestPart.js';
import { callIdParam, callView, requireCall } from './callParams.js';
import { outcomeEventKeys } from '../../webhooks/outcomeEventKeys.js';

const BASE = '/apps/api/v1/calls';

/** What a `failed` report without a fail_reason records. */
const DEFAULT_FAIL_REASON = 'dialer_reported_failure';

/** The dialer's progress path; a call can only move forward along it. */
const PROGRESS: readonly CallStatus[] = ['queued', 'assigned', 'connecting', 'connected', 'finished'];
const TIMESTAMP_FIELD: Partial<Record<CallStatus, keyof CallRecord>> = {
  queued: 'queued_at',
  assigned: 'assigned_at',
  connected: 'connected_at',
  finished: 'ends_at',
  failed: 'ends_at',
};

/** Dialer status reports and customer flags (SPEC 3.1). */
export function registerCallUpdateRoutes(app: FastifyInstance, s: AppServices): void {
  const retries = new RetryPlanner({
    calls: s.calls,
    scheduler: s.scheduler,
    events: s.events,
    redis: s.redis,
    config: s.config,
    logger: s.logger,
  });

  /**
   * What follows a final report (SPEC 9.2, 9.4): the outcome event, then for `failed` the retry step. Both are
   * safe to repeat, so a repeated report finishes what a process that died after the status change left undone.
   * Should the retry step fail (Redis away), the report is answered 5xx and the dialer's repeat finishes it.
   */
  const afterFinalReport = async (call: CallRecord, now: Date) => {
    if (call.status === 'finished') await s.events.publish('call.finished', call, outcomeEventKeys.finished(call.id));
    if (call.status !== 'failed') return;
    await s.events.publish('call.failed', call, outcomeEventKeys.failed(call.id));
    await retries.afterFailure(call, now);
  };

  app.patch(`${BASE}/:id`, async (request) => {
    const id = callIdParam(request.params);
    const { status: to, fail_reason: failReason } = parseRequestPart(statusUpdateBodySchema, request.body);
    const now = new Date();
    // Legal predecessors: every earlier step on the path (skipping is fine); `failed` from any step before finished.
    // Anything else — a status the dialer may not report (scheduled, canceled), an unknown one, a step back — is
    // an illegal move: 409 (SPEC 3.1). An empty list would mean "from any status" to the store, so it is refused here.
    const legal = to === 'failed' || PROGRESS.includes(to as CallStatus);
    const from = !legal ? [] : to === 'failed' ? PROGRESS.slice(0, -1) : PROGRESS.slice(0, PROGRESS.indexOf(to as CallStatus));
    if (from.length === 0) {
      const call = await requireCall(s, id);
      throw new HttpError(409, STATUS_UPDATE_ERRORS.illegalMove(call.status, to));
    }
    const patch: Partial<CallRecord> = {};
    const field = TIMESTAMP_FIELD[to as CallStatus];
    if (field) (patch as Record<string, unknown>)[field] = now.toISOString();
    if (to === 'failed') patch.fail_reason = failReason ?? DEFAULT_FAIL_REASON;
    const final = to === 'finished' || to === 'failed' ? s.events.announcing(`call.${to}`, outcomeEventKeys[to](id)) : [];
    const move = { to: to as CallStatus, patch, events: [{ type: 'status', detail: to }], announce: final };
    let result = await s.calls.transition(id, { ...move, from }, now);
    if (result.result === 'conflict' && result.status === 'scheduled') {
      // The dialer may report progress before its answer to our webhook has reached us: a call being handed
      // to the dialer (fire step running, decision dial) counts as queued.
      const call = await requireCall(s, id);
      if (call.firing && call.decision?.action === 'dial') {
        result = await s.calls.transition(
          id,
          { ...move, from: ['scheduled', ...from], patch: { queued_at: call.queued_at ?? now.toISOString(), ...patch } },
          now,
        );
      }
    }
    if (result.result === 'missing') throw new HttpError(404, CALL_NOT_FOUND);
    if (result.result === 'conflict') {
      // The same final report again (the dialer retrying, or two deliveries of one report): still a 409 (a final
      // status is final, SPEC 3.1), but whatever the first report left undone (its event, its retry) is finished
      // first, so a dialer that repeats a report it got no answer to loses nothing and makes no second retry.
      const repeated = result.status === to ? await repeatedFinalReport(s, id, to, patch.fail_reason) : null;
      if (repeated) await afterFinalReport(repeated, now);
      throw new HttpError(409, STATUS_UPDATE_ERRORS.illegalMove(result.status, to));
    }
    await afterFinalReport(result.call, now);
    return callView(s, result.call);
  });

  app.get(`${BASE}/:id/customer_flag`, async (request) => {
    const call = await requireCall(s, callIdParam(request.params));
    return flagsOf(call);
  });

  app.patch(`${BASE}/:id/customer_flag`, async (request) => {
    const id = callIdParam(request.params);
    const flags = parseRequestPart(customerFlagsPatchSchema, request.body);
    const patch: Partial<CustomerFlags> = {};
    for (const name of FLAG_NAMES) if (flags[name] !== undefined) patch[name] = flags[name];
    const result = await s.calls.transition(id, { patch });
    if (result.result !== 'ok') throw new HttpError(404, CALL_NOT_FOUND);
    return flagsOf(result.call);
  });
}

/**
 * The call, when it is already in the final status `to` because the dialer reported exactly that (a `status`
 * event says so; with the same fail_reason for `failed`); else null. A call the fire step canceled or failed is
 * not the dialer's to report again.
 */
async function repeatedFinalReport(s: AppServices, id: number, to: string, failReason: string | undefined): Promise<CallRecord | null> {
  if (to !== 'failed' && to !== 'finished') return null;
  const call = await s.calls.get(id);
  if (call?.status !== to || (to === 'failed' && call.fail_reason !== failReason)) return null;
  const events = await s.calls.events(id, call);
  return events.some((event) => event.type === 'status' && event.detail === to) ? call : null;
}

function flagsOf(call: CallRecord): CustomerFlags {
  return { verified_customer: call.verified_customer, bad_actor: call.bad_actor, repeat_customer: call.repeat_customer };
}
