import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, startTestApp, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

/** A call stored whose delayed job cannot be added is answered 503 and taken back, so a retry is not a duplicate. */
const prefix = uniquePrefix('api-schedfail');
let t: TestClient;

beforeAll(async () => {
  // A webhook endpoint, so that the create announces its call.created (nothing delivers it: no worker here).
  const webhooks = [
    { url: 'http://127.0.0.1:1/hook', secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=', events: ['*' as const], timeoutMs: 2000 },
  ];
  t = await startTestApp(testConfig(prefix, { webhooks }), { worker: false });
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

describe('when the delayed job cannot be stored', () => {
  it('answers 503, leaves no scheduled call behind and frees the record for the retry', async () => {
    await Promise.all(t.app.services.queues.fireQueues.map((q) => q.close())); // the queue connection is gone; the store still works
    const res = await t.api('POST', '/apps/api/v1/calls', {
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: '+18596579625',
      scheduled_at: inMs(60_000),
      ticket_id: 'SF-1',
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).not.toBeNull();
    expect(await t.app.services.calls.scheduledCallFor('SF-1')).toBeNull();
    const { calls } = await t.app.services.calls.list({ recordKey: 'SF-1', offset: 0, limit: 10 });
    expect(calls.map((c) => [c.status, c.fail_reason])).toEqual([['canceled', 'not_scheduled']]);
    // Its call.created was taken back with it: never to be sent, not even by the outbox relay.
    expect(await t.app.services.calls.announcementsDue(0, Date.now() + 3_600_000, 10)).toEqual([]);
  });
});
