import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';
import { CALLS, createCall, totalCalls } from '../api/callApi.js';

/** SPEC 10: a final call disappears with everything it owns `retention.finalCallSeconds` after it ended. */
const prefix = uniquePrefix('retention-e2e');
let t: TestClient;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix, { redis: { url: TEST_REDIS_URL, prefix }, retention: { finalCallSeconds: 2 } }));
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

describe('retention', () => {
  it('deletes a canceled call about retention.finalCallSeconds after it ended (within 15 s), never a scheduled one', async () => {
    const doomed = await createCall(t, { ticket_id: '7001', scheduled_at: inMs(3_600_000) });
    const kept = await createCall(t, { ticket_id: '7002', scheduled_at: inMs(3_600_000) });
    expect((await t.api('PATCH', `${CALLS}/scheduled/${doomed.id}/cancel`)).status).toBe(200);
    const canceledAt = Date.now();
    expect(await totalCalls(t)).toBe(2);

    await waitFor(async () => (await t.api('GET', `${CALLS}/${doomed.id}`)).status === 404, 20_000, 'the canceled call to be deleted');
    const after = Date.now() - canceledAt;
    expect(after).toBeGreaterThanOrEqual(1_900);
    expect(after).toBeLessThan(2_000 + 15_000);
    expect(await totalCalls(t)).toBe(1);
    expect(await totalCalls(t, 'status=canceled')).toBe(0);
    expect(await totalCalls(t, 'ticket_id=7001')).toBe(0);
    expect((await t.api('GET', `${CALLS}/${kept.id}`)).status).toBe(200);

    // Nothing of the deleted call is left in Redis.
    const leftovers = await t.app.services.redis.keys(`${prefix}:*:e:${doomed.id}`);
    expect(leftovers).toEqual([]);
    expect(await t.app.services.redis.keys(`${prefix}:*:c:${doomed.id}`)).toEqual([]);
    expect(await t.app.services.redis.keys(`${prefix}:*:r:7001`)).toEqual([]);
  });
});
