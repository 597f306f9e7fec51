import type { AppServices } from '../../AppServices.js';
import type { CallRecord } from '../../store/CallRecord.js';
import { toCallView } from '../../calls/callView.js';
import { HttpError, badRequest } from '../HttpError.js';

/** A call id from the path; anything that is not a positive integer cannot name a call. */
export function callIdParam(raw: unknown): number {
  const text = String(raw ?? '');
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new HttpError(404, 'Call not found');
  return Number(text);
}

export async function requireCall(s: AppServices, id: number): Promise<CallRecord> {
  const call = await s.calls.get(id);
  if (!call) throw new HttpError(404, 'Call not found');
  return call;
}

export async function callView(s: AppServices, call: CallRecord) {
  return toCallView(call, await s.calls.events(call.id), s.config.menus);
}

/** The body as an object; JSON arrays, strings and null are rejected with a clear message. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
