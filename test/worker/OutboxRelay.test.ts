import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebhookQueue } from '../../src/queue/WebhookQueue.js';
import { bullConnection } from '../../src/redisConnections.js';
import { CallStore } from '../../src/store/CallStore.js';
import { StoreShards } from '../../src/store/storeKeys.js';
import { CallEventPublisher } from '../../src/webhooks/CallEventPublisher.js';
import { OutcomeWebhooks } from '../../src/webhooks/OutcomeWebhooks.js';
import { OUTBOX_GRACE_MS, OutboxRelay } from '../../src/worker/OutboxRelay.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { newCall } from '../support/newCall.js';

/**
 * SPEC 9.4, a crash loses no event: a change stored with its announcement, whose process died before queueing the
 * webhook jobs (the test simply does not publish), is published by the relay once the grace time has passed.
 */
const prefix = uniquePrefix('outbox-relay');
const redis = new Redis(TEST_REDIS_URL);
const queue = createWebhookQueue(bullConnection({ url: TEST_REDIS_URL }, 'fail-fast'), prefix);
const calls = new CallStore(redis, prefix, new StoreShards(prefix, 2));
const silent = pino({ level: 'silent' });
const endpoint = {
  url: 'http://receiver.test/hook',
  secret: `whsec_${randomBytes(24).toString('base64')}`,
  events: ['call.canceled', 'call.rescheduled'],
  timeoutMs: 10_000,
};
const events = new CallEventPublisher(new OutcomeWebhooks([endpoint], queue, silent), calls, [], silent);
const relay = new OutboxRelay(calls, events, silent);

afterAll(async () => {
  await queue.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

async function scheduled(ticket: string): Promise<number> {
  const result = await calls.create(newCall(ticket), new Date());
  if (!result.created) throw new Error('setup: duplicate');
  return result.call.id;
}

/** Cancels the call as CallCanceler does, announcing call.canceled, and (like a crash) queues nothing. */
async function canceledThenCrashed(id: number, at: Date): Promise<void> {
  const announce = events.announcing('call.canceled', `${id}-canceled`);
  const result = await calls.transition(
    id,
    { from: ['scheduled'], to: 'canceled', patch: { fail_reason: 'canceled_by_request' }, announce },
    at,
  );
  expect(result.result).toBe('ok');
}

/** [webhook-id, the call's status and fail_reason in the body] of the deliveries queued for a call. */
async function deliveriesOf(id: number): Promise<Array<[string, string, string | null]>> {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return jobs
    .map(
      (j) =>
        [
          j.data.webhookId,
          (JSON.parse(j.data.body) as { data: { call: { id: number; status: string; fail_reason: string | null } } }).data.call,
        ] as const,
    )
    .filter(([, call]) => call.id === id)
    .map(([webhookId, call]) => [webhookId, call.status, call.fail_reason]);
}

const inOutbox = async () =>
  (await Promise.all(calls.shards.all().map((s) => calls.announcementsDue(s, Date.now() + 3_600_000, 100)))).flat();

describe('OutboxRelay', () => {
  it('publishes an event whose step died after the change, once the grace time has passed, under the announced key', async () => {
    const id = await scheduled('R-1');
    const changedAt = new Date();
    await canceledThenCrashed(id, changedAt);

    expect(await relay.runOnce(changedAt.getTime() + OUTBOX_GRACE_MS - 1_000)).toBe(0); // its step may still be at it
    expect(await deliveriesOf(id)).toEqual([]);

    expect(await relay.runOnce(changedAt.getTime() + OUTBOX_GRACE_MS + 1)).toBe(1);
    expect(await deliveriesOf(id)).toEqual([[`msg_${id}-canceled`, 'canceled', 'canceled_by_request']]);
    expect(await inOutbox()).toEqual([]);
    expect(await relay.runOnce(changedAt.getTime() + OUTBOX_GRACE_MS + 1)).toBe(0);
  });

  it('leaves nothing to relay when the step published its event itself', async () => {
    const id = await scheduled('R-2');
    await canceledThenCrashed(id, new Date());
    const call = (await calls.get(id))!;
    expect(await events.publish('call.canceled', call, `${id}-canceled`)).toBe(true);
    expect(await inOutbox()).toEqual([]);
    expect(await relay.runOnce(Date.now() + OUTBOX_GRACE_MS + 1)).toBe(0);
    expect(await deliveriesOf(id)).toHaveLength(1);
  });

  it('drops announcements of calls deleted since, and of events no endpoint asks for any more', async () => {
    const gone = await scheduled('R-3');
    await canceledThenCrashed(gone, new Date());
    await calls.purge(gone);
    const unwanted = await scheduled('R-4');
    await calls.transition(unwanted, { patch: {}, announce: [{ type: 'call.finished', eventKey: `${unwanted}-finished` }] });

    expect(await relay.runOnce(Date.now() + OUTBOX_GRACE_MS + 1)).toBe(0);
    expect(await inOutbox()).toEqual([]);
    expect([...(await deliveriesOf(gone)), ...(await deliveriesOf(unwanted))]).toEqual([]);
  });

  it('keeps an event it could not publish and tries it again a grace time later, not in the same pass', async () => {
    const broken = createWebhookQueue(bullConnection({ url: TEST_REDIS_URL }, 'fail-fast'), prefix);
    await broken.close();
    const failing = new CallEventPublisher(new OutcomeWebhooks([endpoint], broken, silent), calls, [], silent);
    const id = await scheduled('R-6');
    const changedAt = Date.now();
    await canceledThenCrashed(id, new Date(changedAt));

    const firstTry = changedAt + OUTBOX_GRACE_MS + 1;
    expect(await new OutboxRelay(calls, failing, silent).runOnce(firstTry)).toBe(0);
    expect(await inOutbox()).toEqual([{ callId: id, type: 'call.canceled', eventKey: `${id}-canceled` }]);
    expect(await relay.runOnce(firstTry)).toBe(0); // postponed: not due again yet
    expect(await relay.runOnce(firstTry + OUTBOX_GRACE_MS + 1)).toBe(1);
    expect(await deliveriesOf(id)).toEqual([[`msg_${id}-canceled`, 'canceled', 'canceled_by_request']]);
  });

  it('publishes a backlog larger than a page in one pass', async () => {
    const ids = await Promise.all(Array.from({ length: 150 }, (_, i) => scheduled(`R-page-${i}`)));
    const changedAt = new Date();
    await Promise.all(ids.map((id) => canceledThenCrashed(id, changedAt)));
    expect(await relay.runOnce(changedAt.getTime() + OUTBOX_GRACE_MS + 1)).toBe(150);
    expect(await inOutbox()).toEqual([]);
  });

  it('announces nothing for an event no endpoint asks for (no outbox write on the hot path)', () => {
    expect(events.announcing('call.queued', '1-queued')).toEqual([]);
    expect(events.announcing('call.canceled', '1-canceled')).toEqual([{ type: 'call.canceled', eventKey: '1-canceled' }]);
  });
});
