import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { basic, startTestApp, type TestClient } from '../support/testApp.js';
import { API_USER, SKILL_TOKEN, testConfig } from '../support/testConfig.js';
import { CALLS, anonymous, callBody, createCall, expectError, getCall, totalCalls, type Call } from './callApi.js';

const prefix = uniquePrefix('api-robust');
let t: TestClient;
let call: Call;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix));
  call = await createCall(t, { ticket_id: 'ROBUST-1' });
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** Sends a raw body with the API user's credentials and the given content type. */
function raw(
  method: string,
  path: string,
  body: string | undefined,
  contentType = 'application/json',
  auth = basic(API_USER),
): Promise<Response> {
  return fetch(t.url + path, { method, headers: { authorization: auth, ...(contentType ? { 'content-type': contentType } : {}) }, body });
}

const OVER_1_MB = JSON.stringify({ ...callBody(), padding: 'x'.repeat(1024 * 1024) });

describe('robustness of the HTTP layer (SPEC 8)', () => {
  it('malformed JSON is a 400 with a JSON message and creates nothing', async () => {
    const before = await totalCalls(t);
    for (const body of ['{"call_type": "Voice Scheduled (API)",', '{call_type: 1}', 'not json at all', '{"a":1}}']) {
      await expectError(await raw('POST', CALLS, body), 400);
    }
    expect(await totalCalls(t)).toBe(before);
  });

  it('a body over 1 MB is a 413 with a JSON message, on the Call API and on the skill callback', async () => {
    const before = await totalCalls(t);
    expect(OVER_1_MB.length).toBeGreaterThan(1024 * 1024);
    await expectError(await raw('POST', CALLS, OVER_1_MB), 413);
    await expectError(
      await raw('PATCH', `${CALLS}/scheduled/cancel`, JSON.stringify({ call_ids: [call.id], pad: 'x'.repeat(1_100_000) })),
      413,
    );
    await expectError(await raw('POST', '/rest/api/v1/callback', OVER_1_MB, 'application/json', `Bearer ${SKILL_TOKEN}`), 413);
    expect(await totalCalls(t)).toBe(before);
    expect((await getCall(t, call.id)).status).toBe('scheduled');
  });

  it('a body just under 1 MB is read normally (the padding is ignored)', async () => {
    const body = JSON.stringify({ ...callBody(), padding: 'x'.repeat(1000 * 1000) });
    expect(body.length).toBeLessThan(1024 * 1024);
    expect((await raw('POST', CALLS, body)).status).toBe(201);
  });

  it.each(['[]', '[{"call_type":"Voice Scheduled (API)"}]', '"a string"', '42', 'null', 'true'])(
    'a JSON %s body instead of an object is a 400',
    async (body) => {
      const before = await totalCalls(t);
      await expectError(await raw('POST', CALLS, body), 400);
      expect(await totalCalls(t)).toBe(before);
    },
  );

  it('a POST without a body is a 400', async () => {
    await expectError(await raw('POST', CALLS, undefined, ''), 400);
    await expectError(await raw('POST', CALLS, '', 'application/json'), 400);
  });

  it('a body that is not JSON at all is a 4xx with a message, never parsed as a call', async () => {
    const before = await totalCalls(t);
    await expectError(await raw('POST', CALLS, 'call_type=ScheduledCall&menu_id=9', 'application/x-www-form-urlencoded'), 415);
    const text = await raw('POST', CALLS, JSON.stringify(callBody()), 'text/plain');
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
    await expectError(text, text.status);
    expect(await totalCalls(t)).toBe(before);
  });

  it('prototype-poisoning JSON is refused', async () => {
    const before = await totalCalls(t);
    await expectError(await raw('POST', CALLS, JSON.stringify(callBody()).replace('{', '{"__proto__": {"admin": true},')), 400);
    await expectError(await raw('POST', CALLS, JSON.stringify(callBody()).replace('{', '{"constructor": {"prototype": {"x": 1}},')), 400);
    expect(await totalCalls(t)).toBe(before);
  });

  it('an unknown route is a JSON 404, with or without credentials', async () => {
    await expectError(await t.api('GET', '/no/such/route'), 404);
    await expectError(await anonymous(t, 'GET', '/apps/api/v1/nothing-here'), 404);
    await expectError(await t.api('DELETE', `${CALLS}/${call.id}`), 404);
    await expectError(await t.api('POST', `${CALLS}/${call.id}`, {}), 404);
  });

  it('wrongly typed fields are 400s, never 5xx, and create nothing', async () => {
    const before = await totalCalls(t);
    const weird: Array<Record<string, unknown>> = [
      { call_type: null },
      { call_type: ['Voice Scheduled (API)'] },
      { menu_id: [9] },
      { menu_id: 1e308 },
      { menu_id: '9'.repeat(400) },
      { end_user_number: { n: 1 } },
      { end_user_number: '+1 '.repeat(5000) },
      { scheduled_at: { at: 'tomorrow' } },
      { scheduled_at: '9'.repeat(5000) },
      { lang: 5 },
      { lang: 'english' },
      { ticket_id: true },
      { ticket_id: 'x'.repeat(5000) },
      { call_id: 'abc' },
      { call_id: -1 },
      { recording_permission: ['recording_permission_granted'] },
    ];
    for (const overrides of weird) {
      const res = await t.api('POST', CALLS, callBody(overrides));
      expect(res.status, JSON.stringify(overrides).slice(0, 80)).toBe(400);
      await expectError(res, 400);
    }
    expect(await totalCalls(t)).toBe(before);
  });

  it('every 4xx across the API is JSON with a non-empty message', async () => {
    const cases: Array<() => Promise<Response>> = [
      () => t.api('GET', `${CALLS}/999999`),
      () => t.api('GET', `${CALLS}?status=nope`),
      () => t.api('GET', `${CALLS}?per_page=-1`),
      () => t.api('PATCH', `${CALLS}/scheduled/999999/cancel`),
      () => t.api('PATCH', `${CALLS}/scheduled/cancel`, { call_ids: 'all' }),
      () => t.api('GET', `${CALLS}/scheduled/cancel/00000000-0000-4000-8000-000000000000`),
      () => t.api('PATCH', `${CALLS}/${call.id}`, { status: 'nope' }),
      () => t.api('PATCH', `${CALLS}/${call.id}`, { status: 'finished' }),
      () => t.api('PATCH', `${CALLS}/${call.id}/customer_flag`, { bad_actor: 'maybe' }),
      () => t.api('GET', `${CALLS}/999999/customer_flag`),
      () => t.api('POST', CALLS, callBody({ ticket_id: 'ROBUST-1' })),
      () => anonymous(t, 'GET', CALLS),
      () => anonymous(t, 'POST', '/rest/api/v1/callback', { skill: 'Online Requests', callbackNumber: '3855551234' }),
      () => raw('POST', '/rest/api/v1/callback', '{"skill":', 'application/json', `Bearer ${SKILL_TOKEN}`),
      () => t.api('POST', CALLS, callBody(), { 'Idempotency-Key': 'k'.repeat(300) }),
    ];
    for (const send of cases) {
      const res = await send();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      await expectError(res, res.status);
    }
    // None of it changed the call.
    const after = await getCall(t, call.id);
    expect(after.status).toBe('scheduled');
    expect(after.customer_flag).toEqual({ verified_customer: false, bad_actor: false, repeat_customer: false });
  });

  it('health endpoints need no credentials', async () => {
    expect((await anonymous(t, 'GET', '/healthz')).status).toBe(200);
    expect((await anonymous(t, 'GET', '/readyz')).status).toBe(200);
  });
});
