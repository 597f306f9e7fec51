import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';
import { CALLS, HOUR_MS, ISO_UTC_MS, callBody, createCall, expectError, getCall, totalCalls, type Call } from './callApi.js';

const prefix = uniquePrefix('api-create');
let t: TestClient;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix));
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** [what, body, exact message] — every create error of SPEC 3.1. */
const INVALID: Array<[string, Record<string, unknown>, string]> = [
  ['call_type missing', callBody({ call_type: undefined }), 'Invalid call type'],
  ['call_type of another kind', callBody({ call_type: 'Voice Inbound (API)' }), 'Invalid call type'],
  ['call_type in other case', callBody({ call_type: 'scheduledcall' }), 'Invalid call type'],
  ['menu_id missing', callBody({ menu_id: undefined }), 'menu_id is required'],
  ['menu_id null', callBody({ menu_id: null }), 'menu_id is required'],
  ['menu_id a word', callBody({ menu_id: 'menu_999' }), 'menu_id is not well formed'],
  ['menu_id a fraction', callBody({ menu_id: 9.5 }), 'menu_id is not well formed'],
  ['menu_id negative', callBody({ menu_id: -9 }), 'menu_id is not well formed'],
  ['menu_id an object', callBody({ menu_id: { id: 9 } }), 'menu_id is not well formed'],
  ['menu_id unknown', callBody({ menu_id: 9999 }), 'menu_id 9999 is not found'],
  ['menu_id of an IVR menu', callBody({ menu_id: 50 }), 'Only mobile and web menu IDs are permitted'],
  ['menu after hours', callBody({ menu_id: 51 }), "Menu is in 'after hours' state, can't accept incoming calls"],
  ['menu in manual redirection', callBody({ menu_id: 52 }), "Menu is in 'manual redirection' state, can't accept calls"],
  ['end_user_number missing', callBody({ end_user_number: undefined }), 'end_user_number is required'],
  ['end_user_number empty', callBody({ end_user_number: '' }), 'end_user_number is required'],
  ['end_user_number too short', callBody({ end_user_number: '+1 999-657-12' }), 'end_user_number is not well formed'],
  ['end_user_number of six digits', callBody({ end_user_number: '123123' }), 'end_user_number is not well formed'],
  ['end_user_number letters', callBody({ end_user_number: 'call me maybe' }), 'end_user_number is not well formed'],
  ['end_user_number an array', callBody({ end_user_number: ['+18596579625'] }), 'end_user_number is not well formed'],
  ['scheduled_at missing', callBody({ scheduled_at: undefined }), 'scheduled_at is required'],
  ['scheduled_at in the past', callBody({ scheduled_at: '2020-01-01T00:00:00Z' }), 'scheduled_at must be a valid future time'],
  ['scheduled_at a second ago', callBody({ scheduled_at: inMs(-1000) }), 'scheduled_at must be a valid future time'],
  ['scheduled_at unparseable', callBody({ scheduled_at: 'tomorrow at noon' }), 'scheduled_at must be a valid future time'],
  ['scheduled_at without offset', callBody({ scheduled_at: '2030-01-01T10:00:00' }), 'scheduled_at must be a valid future time'],
  ['scheduled_at a date only', callBody({ scheduled_at: '2030-01-01' }), 'scheduled_at must be a valid future time'],
  [
    'scheduled_at a day that does not exist',
    callBody({ scheduled_at: '2030-02-30T10:00:00Z' }),
    'scheduled_at must be a valid future time',
  ],
  ['scheduled_at month 13', callBody({ scheduled_at: '2030-13-01T10:00:00Z' }), 'scheduled_at must be a valid future time'],
  ['scheduled_at a number', callBody({ scheduled_at: 1893456000000 }), 'scheduled_at must be a valid future time'],
  ['lang unknown', callBody({ lang: 'xy' }), "Language 'xy' is not found"],
  ['lang not enabled on the menu', callBody({ lang: 'fr' }), "Language 'fr' is not available"],
  ['ticket_id with a space', callBody({ ticket_id: 'a b' }), 'ticket_id is not well formed'],
  ['ticket_id with query syntax', callBody({ ticket_id: 'x;DROP' }), 'ticket_id is not well formed'],
  ['ticket_id with a quote', callBody({ ticket_id: "1' OR '1'='1" }), 'ticket_id is not well formed'],
  ['ticket_id an object', callBody({ ticket_id: { id: 1 } }), 'ticket_id is not well formed'],
  ['ticket_id a fraction', callBody({ ticket_id: 1.5 }), 'ticket_id is not well formed'],
  ['call_id unknown', callBody({ call_id: 123 }), 'call_id 123 is not found'],
  ['recording_permission unknown', callBody({ recording_permission: 'granted' }), 'recording_permission is not valid'],
  ['recording_permission not a string', callBody({ recording_permission: true }), 'recording_permission is not valid'],
];

describe('POST /apps/api/v1/calls rejects bad input with the exact message and creates nothing', () => {
  it.each(INVALID)('%s', async (_what, body, message) => {
    const before = await totalCalls(t);
    await expectError(await t.api('POST', CALLS, body), 400, message);
    expect(await totalCalls(t)).toBe(before);
  });

  it('an unknown parent call_id given together with a valid menu_id is still refused', async () => {
    const before = await totalCalls(t);
    await expectError(await t.api('POST', CALLS, callBody({ call_id: 987654 })), 400, 'call_id 987654 is not found');
    expect(await totalCalls(t)).toBe(before);
  });
});

describe('POST /apps/api/v1/calls creates a scheduled call', () => {
  it('answers 201 with the call object of the seeds, in UTC with milliseconds', async () => {
    const before = Date.now();
    const res = await t.api('POST', CALLS, {
      call_type: 'Voice Scheduled (API)',
      lang: 'es',
      menu_id: 9,
      end_user_number: '+1 859-657-9625',
      scheduled_at: '2030-01-01T10:00:00+02:00',
      ticket_id: 'CASE-001',
      recording_permission: 'recording_permission_granted',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const call = await jsonBody<Call>(res);

    expect(Number.isSafeInteger(call.id) && call.id > 0).toBe(true);
    expect(call).toMatchObject({
      parent_id: null,
      lang: 'es',
      call_type: 'Voice Scheduled (API)',
      status: 'scheduled',
      scheduled_at: '2030-01-01T08:00:00.000Z',
      queued_at: null,
      assigned_at: null,
      connected_at: null,
      ends_at: null,
      wait_duration: 0,
      call_duration: 0,
      hold_duration: 0,
      out_ticket_id: 'CASE-001',
      recording_permission: 'granted',
      fail_reason: 'nothing',
      fail_details: null,
      end_user_number: '+18596579625',
      selected_menu: { id: 9, name: 'Lock Star', menu_type: 'web_menu' },
      photos: [],
      videos: [],
      transfers: [],
      participants: [],
    });
    expect(call.end_user).toMatchObject({ identifier: null, out_contact_id: null });
    expect(call.created_at).toMatch(ISO_UTC_MS);
    expect(Date.parse(call.created_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(call.created_at)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(call.events).toHaveLength(1);
    const event = call.events[0]!;
    expect(event).toMatchObject({ type: 'scheduled' });
    expect(Object.keys(event).sort()).toEqual(['at', 'detail', 'type']);
    expect(event.at).toMatch(ISO_UTC_MS);

    // The stored call reads back exactly as it was answered.
    expect(await getCall(t, call.id)).toEqual(call);
  });

  it('takes the deprecated "ScheduledCall" type and answers with "Voice Scheduled (API)"; lang defaults to en', async () => {
    const call = await createCall(t, { call_type: 'ScheduledCall' });
    expect(call.call_type).toBe('Voice Scheduled (API)');
    expect(call.status).toBe('scheduled');
    expect(call.lang).toBe('en');
    expect(call.recording_permission).toBe('not_asked');
    expect(call.out_ticket_id).toBeNull();
    expect(call.parent_id).toBeNull();
  });

  it('stores a Z time as the same instant with milliseconds', async () => {
    const call = await createCall(t, { scheduled_at: '2031-06-15T12:30:00Z' });
    expect(call.scheduled_at).toBe('2031-06-15T12:30:00.000Z');
    const precise = await createCall(t, { scheduled_at: '2031-06-15T12:30:00.123-05:30' });
    expect(precise.scheduled_at).toBe('2031-06-15T18:00:00.123Z');
  });

  it('keeps a numeric ticket_id as a string', async () => {
    const call = await createCall(t, { ticket_id: 12345 });
    expect(call.out_ticket_id).toBe('12345');
    expect((await getCall(t, call.id)).out_ticket_id).toBe('12345');
  });

  it('reads numbers without a country code in the default region (US) and stores E.164', async () => {
    expect((await createCall(t, { end_user_number: '859-657-9625' })).end_user_number).toBe('+18596579625');
    expect((await createCall(t, { end_user_number: '(385) 555-1234' })).end_user_number).toBe('+13855551234');
    expect((await createCall(t, { end_user_number: '+82-10-6861-2345' })).end_user_number).toBe('+821068612345');
  });

  it('accepts a mobile menu and every recording permission', async () => {
    const mobile = await createCall(t, { menu_id: 10, recording_permission: 'recording_permission_denied' });
    expect(mobile.selected_menu).toMatchObject({ id: 10, name: 'App Support', menu_type: 'mobile_menu' });
    expect(mobile.recording_permission).toBe('denied');
    const notAsked = await createCall(t, { recording_permission: 'recording_permission_not_asked' });
    expect(notAsked.recording_permission).toBe('not_asked');
  });

  it('a parent call_id becomes parent_id and passes its menu on when menu_id is left out', async () => {
    const parent = await createCall(t, { menu_id: 10 });
    const child = await createCall(t, { menu_id: undefined, call_id: parent.id });
    expect(child.parent_id).toBe(parent.id);
    expect(child.selected_menu?.id).toBe(10);
    expect(child.id).toBeGreaterThan(parent.id);

    // An explicit menu_id wins over the parent's.
    const explicit = await createCall(t, { menu_id: 9, call_id: parent.id });
    expect(explicit.parent_id).toBe(parent.id);
    expect(explicit.selected_menu?.id).toBe(9);
  });

  it('the inherited menu is checked like a given one (a parent language that menu lacks is refused)', async () => {
    const parent = await createCall(t, { menu_id: 10 });
    const before = await totalCalls(t);
    await expectError(
      await t.api('POST', CALLS, callBody({ menu_id: undefined, call_id: parent.id, lang: 'es' })),
      400,
      "Language 'es' is not available",
    );
    expect(await totalCalls(t)).toBe(before);
  });

  it('gives each call a new, larger id', async () => {
    const a = await createCall(t);
    const b = await createCall(t);
    expect(b.id).toBeGreaterThan(a.id);
    expect(Date.parse(a.scheduled_at)).toBeGreaterThan(Date.now() + HOUR_MS / 2);
  });
});

describe('the duplicate guard without a CRM (provider none)', () => {
  it('refuses a second scheduled call for a ticket with 409 and frees the ticket once the first is canceled', async () => {
    const first = await createCall(t, { ticket_id: 'NOCRM-1' });
    const before = await totalCalls(t);
    await expectError(
      await t.api('POST', CALLS, callBody({ ticket_id: 'NOCRM-1' })),
      409,
      'A scheduled call was not created because the record already has an active scheduled call.',
    );
    expect(await totalCalls(t)).toBe(before);
    expect((await t.api('PATCH', `${CALLS}/scheduled/${first.id}/cancel`)).status).toBe(200);
    const second = await createCall(t, { ticket_id: 'NOCRM-1' });
    expect(second.out_ticket_id).toBe('NOCRM-1');
    expect(await totalCalls(t, 'ticket_id=NOCRM-1')).toBe(2);
  });
});
