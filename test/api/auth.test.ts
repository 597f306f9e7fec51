import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { basic, jsonBody, startTestApp, type TestClient } from '../support/testApp.js';
import { ADMIN_USER, API_USER, SKILL_TOKEN, testConfig } from '../support/testConfig.js';
import { CALLS, anonymous, callBody, createCall, expectError, getCall, totalCalls, type CustomerFlag } from './callApi.js';

const prefix = uniquePrefix('api-auth');
let t: TestClient;
let callId: number;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix));
  callId = (await createCall(t)).id;
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** Every Call API endpoint, with a body that would succeed with the right credentials. */
const endpoints = (): Array<[string, string, unknown?]> => [
  ['POST', CALLS, callBody()],
  ['GET', CALLS],
  ['GET', `${CALLS}/${callId}`],
  ['PATCH', `${CALLS}/${callId}`, { status: 'assigned' }],
  ['GET', `${CALLS}/${callId}/customer_flag`],
  ['PATCH', `${CALLS}/${callId}/customer_flag`, { bad_actor: true }],
  ['PATCH', `${CALLS}/scheduled/${callId}/cancel`],
  ['PATCH', `${CALLS}/scheduled/cancel`, { call_ids: [callId] }],
  ['GET', `${CALLS}/scheduled/cancel/00000000-0000-4000-8000-000000000000`],
];

/** null = no Authorization header at all. */
const WRONG: Array<[string, Record<string, string> | null]> = [
  ['no Authorization header', null],
  ['an empty Authorization header', { authorization: '' }],
  ['a wrong password', { authorization: basic({ username: API_USER.username, password: 'not-the-password' }) }],
  ['an unknown user', { authorization: basic({ username: 'mallory', password: API_USER.password }) }],
  ['the admin credentials', { authorization: basic(ADMIN_USER) }],
  ['a valid skill bearer token', { authorization: `Bearer ${SKILL_TOKEN}` }],
  ['a Basic header that is not base64', { authorization: 'Basic !!!not-base64!!!' }],
  ['Basic without a colon', { authorization: `Basic ${Buffer.from('keyapi-secret-123').toString('base64')}` }],
];

async function expectChallenge(res: Response): Promise<void> {
  expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="[^"]+"$/);
  await expectError(res, 401);
}

describe("the Call API needs the API users' HTTP Basic credentials", () => {
  it.each(WRONG)('%s: 401 with a Basic challenge on every endpoint', async (_what, headers) => {
    for (const [method, path, body] of endpoints()) {
      const res = headers ? await t.api(method, path, body, headers) : await anonymous(t, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(401);
      await expectChallenge(res);
    }
  });

  it('refused requests change nothing', async () => {
    const before = await totalCalls(t);
    const flagsBefore = await jsonBody<CustomerFlag>(await t.api('GET', `${CALLS}/${callId}/customer_flag`));
    for (const [, headers] of WRONG) {
      for (const [method, path, body] of endpoints()) {
        expect((headers ? await t.api(method, path, body, headers) : await anonymous(t, method, path, body)).status).toBe(401);
      }
    }
    expect(await totalCalls(t)).toBe(before);
    const call = await getCall(t, callId);
    expect(call.status).toBe('scheduled');
    expect(await (await t.api('GET', `${CALLS}/${callId}/customer_flag`)).json()).toEqual(flagsBefore);
  });

  it('the API user gets in', async () => {
    const list = await t.api('GET', CALLS);
    expect(list.status).toBe(200);
    expect(Array.isArray(await list.json())).toBe(true);
    const created = await t.api('POST', CALLS, callBody());
    expect(created.status).toBe(201);
  });

  it('the user name is case-sensitive', async () => {
    await expectChallenge(await t.api('GET', CALLS, undefined, { authorization: basic({ username: 'KEY', password: API_USER.password }) }));
  });
});
