import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { basic, jsonBody, startTestApp, type TestClient } from '../support/testApp.js';
import { API_USER, OTHER_SKILL_TOKEN, SKILL_TOKEN, testConfig } from '../support/testConfig.js';
import { CALLS, expectError, totalCalls, waitForStatus, type Call } from './callApi.js';

const CALLBACK = '/rest/api/v1/callback';
const prefix = uniquePrefix('api-skill');
let t: TestClient;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix, { dialer: { kind: 'log' } }));
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** POST /rest/api/v1/callback; `auth` null sends no Authorization header; a string body is sent as is. */
function callback(body: unknown, auth: string | null = `Bearer ${SKILL_TOKEN}`): Promise<Response> {
  return fetch(t.url + CALLBACK, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth === null ? {} : { authorization: auth }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function newestCall(): Promise<Call> {
  const [call] = await jsonBody<Call[]>(await t.api('GET', `${CALLS}?per_page=1`));
  return call!;
}

describe('POST /rest/api/v1/callback', () => {
  it('204 with no body; a call due now is created and goes through the worker to the dialer', async () => {
    const before = await totalCalls(t);
    const startedAt = Date.now();
    const res = await callback({ skill: 'Online Requests', callbackNumber: '3855551234' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');

    expect(await totalCalls(t)).toBe(before + 1);
    const call = await newestCall();
    expect(call.end_user_number).toBe('+13855551234');
    expect(call.selected_menu?.id).toBe(9); // the skill's menu
    expect(call.call_type).toBe('Voice Scheduled (API)');
    expect(call.out_ticket_id).toBeNull();
    expect(Date.parse(call.scheduled_at)).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(Date.parse(call.scheduled_at)).toBeLessThanOrEqual(Date.now());

    const stored = await t.app.services.calls.get(call.id);
    expect(stored).toMatchObject({ source: 'skill', skill: 'Online Requests' });

    const queued = await waitForStatus(t, call.id, 'queued');
    expect(queued.events.map((e) => e.type)).toContain('dialed');
  });

  it('the other token works for its own skill and menu; the number may be E.164 or a JSON number', async () => {
    const res = await callback({ skill: 'Billing', callbackNumber: '+1 (385) 555-9876' }, `Bearer ${OTHER_SKILL_TOKEN}`);
    expect(res.status).toBe(204);
    const call = await newestCall();
    expect(call.end_user_number).toBe('+13855559876');
    expect(call.selected_menu?.id).toBe(10);

    expect((await callback({ skill: 'Online Requests', callbackNumber: 3855550000 })).status).toBe(204);
    expect((await newestCall()).end_user_number).toBe('+13855550000');
  });

  it.each<[string, unknown, string]>([
    ['malformed JSON', '{"skill": "Online Requests", "callbackNumber": ', `Bearer ${SKILL_TOKEN}`],
    ["the seed's trailing comma", '{"skill": "Online Requests", "callbackNumber": "3855551234", }', `Bearer ${SKILL_TOKEN}`],
    ['a JSON array', '["Online Requests"]', `Bearer ${SKILL_TOKEN}`],
    ['a missing skill', { callbackNumber: '3855551234' }, `Bearer ${SKILL_TOKEN}`],
    ['an empty skill', { skill: '', callbackNumber: '3855551234' }, `Bearer ${SKILL_TOKEN}`],
    ['a missing callbackNumber', { skill: 'Online Requests' }, `Bearer ${SKILL_TOKEN}`],
    ['an unknown skill with a valid token', { skill: 'Sales', callbackNumber: '3855551234' }, `Bearer ${SKILL_TOKEN}`],
    ['a skill that differs only in case', { skill: 'online requests', callbackNumber: '3855551234' }, `Bearer ${SKILL_TOKEN}`],
    ['a skill with extra spaces', { skill: 'Online Requests ', callbackNumber: '3855551234' }, `Bearer ${SKILL_TOKEN}`],
    ['an unknown skill with the other token', { skill: 'Sales', callbackNumber: '3855551234' }, `Bearer ${OTHER_SKILL_TOKEN}`],
    ['a number too short', { skill: 'Online Requests', callbackNumber: '123123' }, `Bearer ${SKILL_TOKEN}`],
    ['a number of letters', { skill: 'Online Requests', callbackNumber: 'call me' }, `Bearer ${SKILL_TOKEN}`],
    ['a number that is an object', { skill: 'Online Requests', callbackNumber: { n: '3855551234' } }, `Bearer ${SKILL_TOKEN}`],
  ])('400 for %s, and no call is created', async (_what, body, auth) => {
    const before = await totalCalls(t);
    await expectError(await callback(body, auth), 400);
    expect(await totalCalls(t)).toBe(before);
  });

  it.each<[string, string | null]>([
    ['no Authorization header', null],
    ['an unknown token', 'Bearer not-a-configured-token-000000'],
    ['a token with a wrong character', `Bearer ${SKILL_TOKEN.slice(0, -1)}X`],
    ['the token without the Bearer scheme', SKILL_TOKEN],
    ["the API user's Basic credentials", basic(API_USER)],
  ])('401 for %s, and no call is created', async (_what, auth) => {
    const before = await totalCalls(t);
    await expectError(await callback({ skill: 'Online Requests', callbackNumber: '3855551234' }, auth), 401);
    expect(await totalCalls(t)).toBe(before);
  });

  it('401 comes before the body is looked at (malformed JSON without a token)', async () => {
    await expectError(await callback('{not json', null), 401);
  });

  it('403 for a valid token used for another existing skill, and no call is created', async () => {
    const before = await totalCalls(t);
    await expectError(await callback({ skill: 'Billing', callbackNumber: '3855551234' }, `Bearer ${SKILL_TOKEN}`), 403);
    await expectError(await callback({ skill: 'Online Requests', callbackNumber: '3855551234' }, `Bearer ${OTHER_SKILL_TOKEN}`), 403);
    expect(await totalCalls(t)).toBe(before);
  });
});
