import type { CallRecord } from './CallRecord.js';

/**
 * A call is stored as the JSON of only the fields that differ from their defaults (most are null, false or a
 * constant for a scheduled call), without its id (the key has it): about a third of the full document. The
 * transition script keeps it that way (a null or false in a patch removes the field).
 */
/** What a new call starts with besides what the request gives. */
export const NEW_CALL_DEFAULTS = {
  status: 'scheduled',
  queued_at: null,
  assigned_at: null,
  connected_at: null,
  ends_at: null,
  fail_reason: 'nothing',
  fail_details: null,
  verified_customer: false,
  bad_actor: false,
  repeat_customer: false,
  firing: false,
  decision: null,
} as const satisfies Partial<CallRecord>;

/** Every field's usual value: none of these is stored. */
const DEFAULTS = {
  ...NEW_CALL_DEFAULTS,
  parent_id: null,
  lang: 'en',
  call_type: 'Voice Scheduled (API)',
  ticket_id: null,
  record_key: null,
  recording_permission: 'not_asked',
  source: 'api',
  skill: null,
  attempt: 1,
  timezone: null,
  customer_zones: null,
  first_scheduled_at: null,
} as const satisfies Partial<CallRecord>;

export function toStoredCall(call: Omit<CallRecord, 'id'>): string {
  const stored: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(call)) {
    if (field === 'id' || value === null || value === false) continue;
    if (value === (DEFAULTS as Record<string, unknown>)[field]) continue;
    if (field === 'record_key' && value === call.ticket_id) continue; // the usual case: the id as given
    stored[field] = value;
  }
  return JSON.stringify(stored);
}

export function fromStoredCall(id: number, raw: string): CallRecord {
  const stored = JSON.parse(raw) as Partial<CallRecord>;
  // Object.assign, not `{ ...DEFAULTS, ...stored }`: V8 takes a slow path for a second spread (about 15 µs here).
  const call = Object.assign({}, DEFAULTS, stored) as CallRecord;
  call.id = id;
  if (stored.record_key === undefined) call.record_key = call.ticket_id;
  return call;
}
