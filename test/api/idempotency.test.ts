import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { jsonBody, startTestApp, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';
import { CALLS, callBody, expectError, getCall, totalCalls, type Call } from './callApi.js';

const prefix = uniquePrefix('api-idem');
let t: TestClient;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix));
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

const post = (body: unknown, key?: string) => t.api('POST', CALLS, body, key === undefined ? {} : { 'Idempotency-Key': key });

describe('Idempotency-Key on POST /apps/api/v1/calls', () => {
  it('a retry with the same key and body returns the first 201 and body, and creates no second call', async () => {
    const key = randomUUID();
    const body = callBody({ ticket_id: 'IDEM-1' });
    const before = await totalCalls(t);

    const first = await post(body, key);
    expect(first.status).toBe(201);
    const firstText = await first.text();

    const retry = await post(body, key);
    expect(retry.status).toBe(201);
    expect(await retry.text()).toBe(firstText);

    const call = JSON.parse(firstText) as Call;
    expect(await totalCalls(t)).toBe(before + 1);
    expect(await totalCalls(t, 'ticket_id=IDEM-1')).toBe(1);
    expect((await getCall(t, call.id)).status).toBe('scheduled');
  });

  it('the same key with a different body is a 422 and creates nothing', async () => {
    const key = randomUUID();
    const original = callBody({ end_user_number: '+1 859-657-1111' });
    const first = await post(original, key);
    expect(first.status).toBe(201);
    const firstText = await first.text();
    const before = await totalCalls(t);

    await expectError(await post({ ...original, end_user_number: '+1 859-657-2222' }, key), 422);
    await expectError(await post({ ...original, lang: 'es' }, key), 422);
    expect(await totalCalls(t)).toBe(before);

    // The refused mismatch did not replace what the key answers.
    const replay = await post(original, key);
    expect(replay.status).toBe(201);
    expect(await replay.text()).toBe(firstText);
  });

  it('replays a duplicate-guard 409 under its key, even once the record is free again', async () => {
    const ticket = 'IDEM-DUP-1';
    const existing = await post(callBody({ ticket_id: ticket }));
    expect(existing.status).toBe(201);
    const key = randomUUID();
    const body = callBody({ ticket_id: ticket });
    const refused = await post(body, key);
    expect(refused.status).toBe(409);
    const refusedText = await refused.text();

    // The record's scheduled call goes away: a new request would now be created, but the key still answers 409.
    const { id } = await jsonBody<Call>(existing);
    expect((await t.api('PATCH', `${CALLS}/scheduled/${id}/cancel`)).status).toBe(200);
    const before = await totalCalls(t, `ticket_id=${ticket}`);
    const replay = await post(body, key);
    expect(replay.status).toBe(409);
    expect(await replay.text()).toBe(refusedText);
    expect(await totalCalls(t, `ticket_id=${ticket}`)).toBe(before);
  });

  it('a retry that lists the same fields in another order is the same request', async () => {
    const key = randomUUID();
    const body = callBody({ ticket_id: 'IDEM-ORDER' });
    const first = await post(body, key);
    expect(first.status).toBe(201);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const retry = await post(reordered, key);
    expect(retry.status).toBe(201);
    expect(await retry.text()).toBe(await first.text());
    expect(await totalCalls(t, 'ticket_id=IDEM-ORDER')).toBe(1);
  });

  it('different keys make different calls', async () => {
    const body = callBody();
    const before = await totalCalls(t);
    const a = await post(body, randomUUID());
    const b = await post(body, randomUUID());
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect((await jsonBody<Call>(a)).id).not.toBe((await jsonBody<Call>(b)).id);
    expect(await totalCalls(t)).toBe(before + 2);
  });

  it('without a key, two identical requests make two calls', async () => {
    const body = callBody();
    const before = await totalCalls(t);
    expect((await post(body)).status).toBe(201);
    expect((await post(body)).status).toBe(201);
    expect(await totalCalls(t)).toBe(before + 2);
  });

  it('concurrent retries with one key create one call and all get its body', async () => {
    const key = randomUUID();
    const body = callBody({ ticket_id: 'IDEM-CONCURRENT' });
    const before = await totalCalls(t);
    const responses = await Promise.all(Array.from({ length: 8 }, () => post(body, key)));
    const texts = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(texts).size).toBe(1);
    expect(await totalCalls(t)).toBe(before + 1);
  });

  it('a refused first request is replayed as refused (same status and message)', async () => {
    const key = randomUUID();
    const body = callBody({ menu_id: 9999 });
    await expectError(await post(body, key), 400, 'menu_id 9999 is not found');
    await expectError(await post(body, key), 400, 'menu_id 9999 is not found');
  });

  it('keys are independent of each other after a replay', async () => {
    const key = randomUUID();
    const body = callBody();
    const first = await jsonBody<Call>(await post(body, key));
    const other = await post(body, `${key}-other`);
    expect(other.status).toBe(201);
    expect((await jsonBody<Call>(other)).id).not.toBe(first.id);
  });
});
