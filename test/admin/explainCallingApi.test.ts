import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/admin/explainRoutes.js';
import { explanationSchema } from '../../src/api/schemas/explainSchemas.js';
import { createCall, getCall } from '../api/callApi.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

/**
 * POST /admin/v1/explain's `calling` (SPEC 9.3) through the API. The windows are built around the time the test
 * starts, in zone "UTC", and the calls are created with `timezone: "UTC"`: the answer does not depend on the hour
 * the suite runs at.
 */

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;
const startedAt = Date.now();
const floorToMinute = (ms: number) => ms - (ms % MINUTE_MS);
/** "HH:MM" in UTC of an instant. */
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

// Menu 9's window opens 2 hours from now (for an hour): now is outside it, and it next opens at exactly that minute.
const nextStart = floorToMinute(startedAt + 2 * HOUR_MS);
const LATER_WINDOW = { start: hhmm(nextStart), end: hhmm(nextStart + HOUR_MS) };
// Menu 10's window runs from an hour ago to an hour from now: now is inside it.
const CURRENT_WINDOW = { start: hhmm(startedAt - HOUR_MS), end: hhmm(startedAt + HOUR_MS) };

const prefix = uniquePrefix('admin-explain-calling');
let t: TestClient;

beforeAll(async () => {
  t = await startTestApp(
    testConfig(prefix, {
      menus: [
        { id: 9, name: 'Lock Star', type: 'web', callingWindow: LATER_WINDOW },
        { id: 10, name: 'App Support', type: 'mobile', callingWindow: CURRENT_WINDOW },
        { id: 11, name: 'No Rules', type: 'web' },
      ],
    }),
    { worker: false },
  );
  await waitFor(async () => (await fetch(`${t.url}/readyz`)).ok, 5000, 'redis ready');
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

async function explain(body: unknown): Promise<Explanation> {
  const res = await t.admin('POST', '/admin/v1/explain', body);
  expect(res.status).toBe(200);
  return jsonBody<Explanation>(res);
}

describe('POST /admin/v1/explain: the calling window and business hours', () => {
  it('a call whose window excludes now: not allowed, deferred until the exact next start, and nothing changes', async () => {
    const call = await createCall(t, {
      menu_id: 9,
      timezone: 'UTC',
      ticket_id: 'CALLING-LATER',
      scheduled_at: new Date(nextStart + 30 * MINUTE_MS).toISOString(),
    });
    const before = await getCall(t, call.id);

    const answer = await explain({ call_id: call.id });
    expect(answer.calling).toEqual({
      allowed: false,
      deferred_until: new Date(nextStart).toISOString(),
      reason: 'calling_window',
      timezone: 'UTC',
    });
    // The SPEC 3.3 fields are still there, as before.
    expect(answer).toMatchObject({ decision: 'dial', reopen: false, comment: null, fail_reason: null, crm_status: null });
    expect(() => explanationSchema.strict().parse(answer)).not.toThrow();

    // The record's scheduled call is the one a ticket's dry run checks.
    expect((await explain({ ticket_id: 'CALLING-LATER' })).calling).toEqual(answer.calling);

    // The dry run moved nothing: same call, same time, same events (no `deferred`).
    expect(await getCall(t, call.id)).toEqual(before);
  });

  it('a call inside its window: allowed, nothing to defer', async () => {
    const call = await createCall(t, { menu_id: 10, timezone: 'UTC', scheduled_at: new Date(Date.now() + 30 * MINUTE_MS).toISOString() });
    expect((await explain({ call_id: call.id })).calling).toEqual({ allowed: true, deferred_until: null, reason: null, timezone: 'UTC' });
  });

  it("a menu with no rules (and none global): allowed, with the call's own zone", async () => {
    const call = await createCall(t, { menu_id: 11 });
    expect(call.timezone).toBeTruthy();
    expect((await explain({ call_id: call.id })).calling).toEqual({
      allowed: true,
      deferred_until: null,
      reason: null,
      timezone: call.timezone,
    });
  });

  it('a ticket without a scheduled call: the rules are not evaluated (calling null)', async () => {
    const answer = await explain({ ticket_id: 'CALLING-NO-CALL' });
    expect(answer.calling).toBeNull();
    expect(() => explanationSchema.strict().parse(answer)).not.toThrow();
  });

  it('is documented in the OpenAPI document with exactly the fields the answer has', async () => {
    const call = await createCall(t, { menu_id: 11 });
    const answer = await explain({ call_id: call.id });
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as OpenAPIV3_1.Document;
    const explanation = doc.components?.schemas?.Explanation as OpenAPIV3_1.SchemaObject;
    expect(Object.keys(explanation.properties ?? {})).toEqual(Object.keys(answer));
    const calling = explanation.properties?.calling as OpenAPIV3_1.SchemaObject;
    expect(calling.description).toMatch(/not evaluated/);
    expect(Object.keys(calling.properties ?? {})).toEqual(Object.keys(answer.calling!));
  });
});
