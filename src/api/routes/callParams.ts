import type { AppServices } from '../../AppServices.js';
import type { CallRecord } from '../../store/CallRecord.js';
import { toCallView } from '../../calls/callView.js';
import { HttpError } from '../HttpError.js';
import { CALL_NOT_FOUND, callPathParamsSchema } from '../schemas/callSchemas.js';
import { parseRequestPart } from '../validation/parseRequestPart.js';

/** The call id of a /calls/{id}... path; anything that is not a positive integer cannot name a call (404). */
export function callIdParam(params: unknown): number {
  return parseRequestPart(callPathParamsSchema, params, 404).id;
}

export async function requireCall(s: AppServices, id: number): Promise<CallRecord> {
  const call = await s.calls.get(id);
  if (!call) throw new HttpError(404, CALL_NOT_FOUND);
  return call;
}

export async function callView(s: AppServices, call: CallRecord) {
  return toCallView(call, await s.calls.events(call.id, call), s.config.menus);
}
