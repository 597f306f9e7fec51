import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_TOO_DEEP_MESSAGE } from '../../src/api/jsonBodyParser.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { basic, startTestApp, type TestClient } from '../support/testApp.js';
import { ADMIN_USER, API_USER, SKILL_TOKEN, testConfig } from '../support/testConfig.js';
import { CALLS, callBody, createCall, expectError, getCall, totalCalls, type Call } from './callApi.js';

const prefix = uniquePrefix('api-deep-json');
let t: TestClient;
let call: Call;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix));
  call = await createCall(t, { ticket_id: 'DEEP-1' });
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** `levels` nested arrays around `inner`: deepArray(2) is `[[1]]`. */
const deepArray = (levels: number, inner = '1') => '['.repeat(levels) + inner + ']'.repeat(levels);
/** `levels` nested objects: deepObject(2) is `{"a":{"a":1}}`. */
const deepObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
/** An object whose `field` holds `value` (raw JSON): the nesting counts one more level. */
const inField = (field: string, value: string) => `{${JSON.stringify(field)}:${value}}`;

interface Endpoint {
  name: string;
  method: string;
  /** The path, for a request about the call `id`. */
  path: (id: number) => string;
  auth: () => string;
  /** The field a handler reads, so that the deep value sits where it would be walked. */
  field: string;
}

const apiUser = () => basic(API_USER);
const adminUser = () => basic(ADMIN_USER);
const ENDPOINTS: Endpoint[] = [
  { name: 'create a call', method: 'POST', path: () => CALLS, auth: apiUser, field: 'end_user_number' },
  { name: 'update a call', method: 'PATCH', path: (id) => `${CALLS}/${id}`, auth: apiUser, field: 'status' },
  { name: 'customer flag', method: 'PATCH', path: (id) => `${CALLS}/${id}/customer_flag`, auth: apiUser, field: 'bad_actor' },
  { name: 'cancel one', method: 'PATCH', path: (id) => `${CALLS}/scheduled/${id}/cancel`, auth: apiUser, field: 'reason' },
  { name: 'bulk cancel', method: 'PATCH', path: () => `${CALLS}/scheduled/cancel`, auth: apiUser, field: 'call_ids' },
  {
    name: 'skill callback',
    method: 'POST',
    path: () => '/rest/api/v1/callback',
    auth: () => `Bearer ${SKILL_TOKEN}`,
    field: 'callbackNumber',
  },
  { name: 'admin settings', method: 'PUT', path: () => '/admin/v1/settings/crm', auth: adminUser, field: 'salesforce' },
  { name: 'admin dry run', method: 'POST', path: () => '/admin/v1/explain', auth: adminUser, field: 'ticket_id' },
];
const CASES = ENDPOINTS.map((e) => [`${e.name} (${e.method} ${e.path(1)})`, e] as const);

function send(e: Endpoint, id: number, body: string): Promise<Response> {
  return fetch(t.url + e.path(id), { method: e.method, headers: { authorization: e.auth(), 'content-type': 'application/json' }, body });
}

/** Everything the endpoints above could change. */
async function observableState() {
  const settings: unknown = await (await t.admin('GET', '/admin/v1/settings/crm')).json();
  const history: unknown = await (await t.admin('GET', '/admin/v1/settings/crm/history')).json();
  return { calls: await totalCalls(t), call: await getCall(t, call.id), settings, history };
}

describe('JSON nesting depth (SPEC 8: deeper than 64 levels is a 400, on every endpoint)', () => {
  it.each(CASES)(
    '%s: deep arrays and objects, whole body or in a field, are a 400 with a JSON message and change nothing',
    async (_name, e) => {
      const before = await observableState();
      const bodies = [
        deepArray(10_000),
        deepObject(10_000),
        inField(e.field, deepArray(10_000)),
        inField(e.field, deepObject(10_000)),
        deepArray(65),
        inField(e.field, deepArray(64)),
      ];
      for (const body of bodies) {
        await expectError(await send(e, call.id, body), 400, JSON_TOO_DEEP_MESSAGE);
      }
      expect(await observableState()).toEqual(before);
    },
  );

  it.each(CASES)('%s: 64 levels get past the parser (any refusal is the handler’s own, never a 5xx)', async (_name, e) => {
    // A call of its own: the single cancel ignores the body and cancels it.
    const spare = await createCall(t);
    for (const body of [deepArray(64), deepObject(64), inField(e.field, deepArray(63)), inField(e.field, deepObject(63))]) {
      const res = await send(e, spare.id, body);
      expect(res.status, body.slice(0, 40)).toBeLessThan(500);
      if (res.status >= 400) expect(await expectError(res, res.status)).not.toBe(JSON_TOO_DEEP_MESSAGE);
    }
  });

  it('a valid call nested exactly 64 levels deep (in an ignored field) is created; one level more is refused', async () => {
    const before = await totalCalls(t);
    const body = (levels: number) => JSON.stringify(callBody()).replace('{', `{"extra":${deepObject(levels - 1)},`);
    await expectError(await t.api('POST', CALLS, body(65)), 400, JSON_TOO_DEEP_MESSAGE);
    expect(await totalCalls(t)).toBe(before);
    const res = await t.api('POST', CALLS, body(64));
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await totalCalls(t)).toBe(before + 1);
  });

  it('brackets inside strings, escaped quotes included, are not nesting', async () => {
    const res = await t.api('POST', CALLS, callBody({ note: '[{'.repeat(5000), quoted: '\\"[[[' + '"'.repeat(100) + '['.repeat(100) }));
    expect(res.status, await res.clone().text()).toBe(201);
  });

  it('the cancel endpoint from the issue: 10,000 nested call_ids is a 400, not a 500', async () => {
    const res = await t.api('PATCH', `${CALLS}/scheduled/cancel`, inField('call_ids', deepArray(10_000, String(call.id))));
    await expectError(res, 400, JSON_TOO_DEEP_MESSAGE);
    expect((await getCall(t, call.id)).status).toBe('scheduled');
  });
});
