import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../AppServices.js';
import { HttpError, badRequest } from '../api/HttpError.js';
import { isPlainTicketId } from '../api/validation/createCallRequest.js';
import type { FailReason } from '../policy/decideOnFire.js';
import { CRM_COMMENTS } from '../policy/crmComments.js';

export const EXPLAIN_PATH = '/admin/v1/explain';

export interface Explanation {
  decision: 'dial' | 'skip' | 'cancel';
  reopen: boolean;
  /** The exact comment that would be written to the record (SPEC section 2), or null. */
  comment: string | null;
  fail_reason: FailReason | null;
  /** The raw CRM status seen now, or null when there was no lookup or no record. */
  crm_status: string | null;
}

type Target = { kind: 'ticket'; ticketId: string } | { kind: 'call'; callId: number };

const present = (v: unknown) => v !== undefined && v !== null;

/** `{"ticket_id": "..."}` or `{"call_id": 123}`, exactly one of them. */
export function parseExplainBody(body: unknown, isValidTicketId: (id: string) => boolean): Target {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'ticket_id' && k !== 'call_id');
  if (unknown.length) throw badRequest(`Unknown field "${unknown[0]}": give ticket_id or call_id`);
  if (present(b.ticket_id) && present(b.call_id)) throw badRequest('Give either ticket_id or call_id, not both');
  if (present(b.ticket_id)) {
    const raw = b.ticket_id;
    const id = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : null;
    if (id === null || id === '' || !isValidTicketId(id)) throw badRequest('ticket_id is not well formed');
    return { kind: 'ticket', ticketId: id };
  }
  if (present(b.call_id)) {
    const raw = b.call_id;
    const id =
      typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0
        ? raw
        : typeof raw === 'string' && /^[1-9]\d{0,15}$/.test(raw.trim())
          ? Number(raw.trim())
          : null;
    if (id === null) throw badRequest('call_id is not well formed');
    return { kind: 'call', callId: id };
  }
  throw badRequest('ticket_id or call_id is required');
}

/**
 * The dry run (SPEC 3.3): what would happen if the callback fired now. It goes through the worker's own
 * FireEvaluator (live policy, a CRM read, the active-call check) and stops there: no comment, no reopen, no
 * change to any call.
 */
export function registerExplainRoutes(app: FastifyInstance, s: AppServices): void {
  const isValidTicketId = s.crm ? (id: string) => s.crm!.isValidRecordId(id) : isPlainTicketId;

  app.post(EXPLAIN_PATH, async (request): Promise<Explanation> => {
    const target = parseExplainBody(request.body, isValidTicketId);
    let ticketId: string | null;
    let callId: number | null = null;
    if (target.kind === 'call') {
      const call = await s.calls.get(target.callId);
      if (!call) throw new HttpError(404, `call_id ${target.callId} is not found`);
      ticketId = call.ticket_id;
      callId = call.id;
    } else {
      ticketId = target.ticketId;
    }
    const evaluation = await s.evaluator.evaluate(ticketId, callId);
    const d = evaluation.decision;
    const answer: Explanation = {
      decision: d.action,
      reopen: d.reopen,
      comment: d.comment ? CRM_COMMENTS[d.comment] : null,
      fail_reason: d.failReason,
      crm_status: evaluation.crmStatus,
    };
    s.logger.info(
      { component: 'admin', user: request.principal, ticketId, callId, decision: answer.decision, failReason: answer.fail_reason },
      'dry run (explain)',
    );
    return answer;
  });
}
