import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';
import { CALLS, callBody, createCall, totalCalls, waitForStatus, type BulkCancelView, type Call } from '../api/callApi.js';
import { TEST_REDIS_URL, deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type ErrorBody, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

/** SPEC 10: with `redis.shards` above 1 on a single Redis, everything behaves as with one shard. */
const prefix = uniquePrefix('shards-e2e');
let t: TestClient;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix, { redis: { url: TEST_REDIS_URL, prefix, shards: 3 } }));
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

describe('a store in 3 shards', () => {
  it('schedules, guards, fires, lists, cancels and bulk-cancels across shards', async () => {
    const due: Call[] = [];
    for (let i = 0; i < 6; i += 1) due.push(await createCall(t, { ticket_id: `${8100 + i}`, scheduled_at: inMs(1200) }));
    due.push(await createCall(t, { scheduled_at: inMs(1200) }), await createCall(t, { scheduled_at: inMs(1200) }));
    const later: Call[] = [];
    for (let i = 0; i < 6; i += 1) later.push(await createCall(t, { ticket_id: `${8200 + i}` }));

    const shards = new Set([...due, ...later].map((c) => t.app.services.calls.shards.ofId(c.id)));
    expect(shards.size).toBe(3);

    const duplicate = await t.api('POST', CALLS, callBody({ ticket_id: '8203' }));
    expect(duplicate.status).toBe(409);
    expect((await jsonBody<ErrorBody>(duplicate)).message).toBe(CRM_COMMENTS.active_call_exists);

    for (const call of due) await waitForStatus(t, call.id, 'queued', 15_000);

    const all = [...due, ...later].map((c) => c.id).sort((a, b) => b - a);
    const page = await t.api('GET', `${CALLS}?per_page=5&page=2`);
    expect(page.headers.get('x-total-count')).toBe(String(all.length));
    expect((await jsonBody<Call[]>(page)).map((c) => c.id)).toEqual(all.slice(5, 10));
    expect(await totalCalls(t, 'status=queued')).toBe(due.length);
    expect(await totalCalls(t, 'ticket_id=8104')).toBe(1);

    expect((await t.api('PATCH', `${CALLS}/scheduled/${later[0]!.id}/cancel`)).status).toBe(200);
    const bulk = await t.api('PATCH', `${CALLS}/scheduled/cancel`, { call_ids: later.slice(1).map((c) => c.id) });
    expect(bulk.status).toBe(202);
    const location = bulk.headers.get('location')!;
    const op = await waitFor(async () => {
      const body = await jsonBody<BulkCancelView>(await t.api('GET', location));
      return body.status === 'completed' ? body : null;
    });
    expect(op.results.map((r) => r.result)).toEqual(later.slice(1).map(() => 'canceled'));
    expect(await totalCalls(t, 'status=scheduled')).toBe(0);
    expect(await totalCalls(t, 'status=canceled')).toBe(later.length);
  });
});
