import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../AppServices.js';
import { HttpError, badRequest } from '../api/HttpError.js';
import { EXPLAIN_ERRORS, explainBodySchema, type Explanation } from '../api/schemas/explainSchemas.js';
import { parseRequestPart } from '../api/validation/parseRequestPart.js';
import { CRM_COMMENTS } from '../policy/crmComments.js';
import type { CallRecord } from '../store/CallRecord.js';
import { explainCalling } from './explainCalling.js';

export const EXPLAIN_PATH = '/admin/v1/explain';

export type { Explanation };

type Target = { kind: 'ticket'; ticketId: string } | { kind: 'call'; callId: number };

/** `{"ticket_id": "..."}` or `{"call_id": 123}`, exactly one of them; a ticket id in the configured CRM's format. */
export function parseExplainBody(body: unknown, isValidTicketId: (id: string) => boolean): Target {
  const { ticket_id: ticketId, call_id: callId } = parseRequestPart(explainBodySchema, body);
  if (ticketId === undefined || ticketId === null) return { kind: 'call', callId: callId! };
  if (!isValidTicketId(ticketId)) throw badRequest(EXPLAIN_ERRORS.ticketMalformed);
  return { kind: 'ticket', ticketId };
}

/** What a dry run reads: the ticket and call the decision is evaluated for, and the call whose calling rules are checked. */
interface Subject {
  ticketId: string | null;
  callId: number | null;
  call: CallRecord | null;
}

/**
 * A call id: that call and its ticket. A ticket: evaluated as a ticket (its scheduled call, if any, counts as an
 * active call, as before), and the record's call that is `scheduled` now (the one that would fire) for the rules.
 */
async function subjectOf(s: AppServices, target: Target): Promise<Subject> {
  if (target.kind === 'call') {
    const call = await s.calls.get(target.callId);
    if (!call) throw new HttpError(404, EXPLAIN_ERRORS.callNotFound(target.callId));
    return { ticketId: call.ticket_id, callId: call.id, call };
  }
  const scheduledId = await s.calls.scheduledCallFor(s.recordKey(target.ticketId));
  return { ticketId: target.ticketId, callId: null, call: scheduledId === null ? null : await s.calls.get(scheduledId) };
}

/**
 * The dry run (SPEC 3.3): what would happen if the callback fired now. It goes through the worker's own
 * FireEvaluator (live policy, a CRM read, the active-call check) and stops there: no comment, no reopen, no
 * change to any call. `calling` adds the fire step's calling-rules check (SPEC 9.3) for the call, when there is one.
 */
export function registerExplainRoutes(app: FastifyInstance, s: AppServices, clock: () => Date = () => new Date()): void {
  const isValidTicketId = (id: string) => s.crm.isValidRecordId(id);

  app.post(EXPLAIN_PATH, async (request): Promise<Explanation> => {
    const target = parseExplainBody(request.body, isValidTicketId);
    const now = clock();
    const { ticketId, callId, call } = await subjectOf(s, target);
    const evaluation = await s.evaluator.evaluate(ticketId, callId);
    const d = evaluation.decision;
    const answer: Explanation = {
      decision: d.action,
      reopen: d.reopen,
      comment: d.comment ? CRM_COMMENTS[d.comment] : null,
      fail_reason: d.failReason,
      crm_status: evaluation.crmStatus,
      calling: call ? explainCalling(s.calling, call, now) : null,
    };
    s.logger.info(
      {
        component: 'admin',
        user: request.principal,
        ticketId,
        callId,
        decision: answer.decision,
        failReason: answer.fail_reason,
        deferredUntil: answer.calling?.deferred_until ?? null,
      },
      'dry run (explain)',
    );
    return answer;
  });
}
