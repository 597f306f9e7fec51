import type { NewCall } from '../../src/store/CallRecord.js';

/** A call as the API would store it, for tests that use the store directly; due in an hour unless overridden. */
export function newCall(ticket: string, overrides: Partial<NewCall> = {}): NewCall {
  return {
    parent_id: null,
    lang: 'en',
    call_type: 'Voice Scheduled (API)',
    created_at: new Date().toISOString(),
    scheduled_at: new Date(Date.now() + 3_600_000).toISOString(),
    menu_id: 9,
    end_user_number: '+18596579625',
    ticket_id: ticket,
    record_key: ticket,
    recording_permission: 'not_asked',
    source: 'api',
    skill: null,
    attempt: 1,
    timezone: null,
    customer_zones: null,
    first_scheduled_at: null,
    ...overrides,
  };
}
