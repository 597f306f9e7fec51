import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecordLookup } from '../../src/crm/CrmAdapter.js';
import { Metrics } from '../../src/observability/Metrics.js';
import { FireEvaluator } from '../../src/policy/FireEvaluator.js';
import { CallQueues } from '../../src/queue/CallQueues.js';
import { CrmEffects } from '../../src/queue/CrmEffects.js';
import { createWebhookQueue } from '../../src/queue/WebhookQueue.js';
import { bullConnection } from '../../src/redisConnections.js';
import { CallingPolicy } from '../../src/schedule/CallingPolicy.js';
import { CallStore } from '../../src/store/CallStore.js';
import { SettingsStore } from '../../src/store/SettingsStore.js';
import { SideEffectLedger } from '../../src/store/SideEffectLedger.js';
import { CallEventPublisher } from '../../src/webhooks/CallEventPublisher.js';
import { OutcomeWebhooks } from '../../src/webhooks/OutcomeWebhooks.js';
import { FireProcessor } from '../../src/worker/FireProcessor.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { newCall } from '../support/newCall.js';
import { testConfig } from '../support/testConfig.js';

/**
 * A fire job that runs again after its worker died (BullMQ's stalled-job recovery) while the call had already
 * been carried out: died after the change, before its outcome event was queued. SPEC 9.4: a crash loses no event.
 * The first delivery is a worker whose events go nowhere (it died before queueing them); the redelivery is a
 * worker with the endpoint configured.
 */
const prefix = uniquePrefix('fire-redelivery');
const redis = new Redis(TEST_REDIS_URL);
const queues = new CallQueues(bullConnection({ url: TEST_REDIS_URL }, 'worker'), prefix);
const webhookQueue = createWebhookQueue(bullConnection({ url: TEST_REDIS_URL }, 'fail-fast'), prefix);
const calls = new CallStore(redis, prefix);
const silent = pino({ level: 'silent' });
const endpoint = {
  url: 'http://receiver.test/hook',
  secret: `whsec_${randomBytes(24).toString('base64')}`,
  events: ['*'],
  timeoutMs: 10_000,
};
/** Ticket → the record's state; every other ticket is open. */
const closed = new Set<string>();

function fireProcessor(webhooks: OutcomeWebhooks | null): FireProcessor {
  const evaluator = new FireEvaluator({
    provider: 'zendesk',
    readRecord: (id): Promise<RecordLookup> => Promise.resolve({ id, state: closed.has(id) ? 'closed' : 'open', rawStatus: 'x' }),
    recordKey: (id) => id,
    activeCalls: calls,
    policy: new SettingsStore(redis, prefix, 'reopen'),
    logger: silent,
  });
  return new FireProcessor({
    calls,
    evaluator,
    effects: new CrmEffects(queues, new SideEffectLedger(redis, prefix)),
    dialer: { offer: () => Promise.resolve() },
    menus: testConfig(prefix).menus,
    calling: new CallingPolicy(testConfig(prefix)),
    events: new CallEventPublisher(webhooks, calls, [], silent),
    metrics: new Metrics(false),
    logger: silent,
  });
}

/** The worker that died before queueing its events, and the one that takes the job over. */
const diedBeforeEvents = fireProcessor(null);
const takesOver = fireProcessor(new OutcomeWebhooks([endpoint], webhookQueue, silent));

afterAll(async () => {
  await Promise.all([queues.close(), webhookQueue.close()]);
  redis.disconnect();
  await deletePrefix(prefix);
});

async function dueCall(ticket: string): Promise<number> {
  const created = await calls.create(newCall(ticket, { scheduled_at: new Date().toISOString() }), new Date());
  if (!created.created) throw new Error('setup: the ticket already has a scheduled call');
  return created.call.id;
}

/** The webhook deliveries queued for a call: [type, webhook-id, the call's status in the body]. */
async function deliveriesOf(callId: number): Promise<Array<[string, string, string]>> {
  const jobs = await webhookQueue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return jobs
    .map((j) => j.data)
    .filter((d) => (JSON.parse(d.body) as { data: { call: { id: number } } }).data.call.id === callId)
    .map((d) => [d.type, d.webhookId, (JSON.parse(d.body) as { data: { call: { status: string } } }).data.call.status]);
}

describe('FireProcessor: a job run again after its worker died', () => {
  it('queues the call.queued event its first run lost, once, under the key of the first run', async () => {
    const id = await dueCall('3001');
    await diedBeforeEvents.process(id);
    expect((await calls.get(id))!.status).toBe('queued');
    expect(await deliveriesOf(id)).toEqual([]);

    await takesOver.process(id);
    await takesOver.process(id); // and again: nothing more
    expect(await deliveriesOf(id)).toEqual([['call.queued', `msg_${id}-queued`, 'queued']]);
  });

  it('queues the call.canceled event of a SPEC 4 outcome (record closed) its first run lost', async () => {
    closed.add('3002');
    const id = await dueCall('3002');
    await diedBeforeEvents.process(id);
    expect((await calls.get(id))!).toMatchObject({ status: 'canceled', fail_reason: 'record_closed' });

    await takesOver.process(id);
    expect(await deliveriesOf(id)).toEqual([['call.canceled', `msg_${id}-canceled`, 'canceled']]);
  });

  it('adds nothing when the first run queued its event', async () => {
    const id = await dueCall('3003');
    await takesOver.process(id);
    await takesOver.process(id);
    expect(await deliveriesOf(id)).toEqual([['call.queued', `msg_${id}-queued`, 'queued']]);
  });

  it('announces nothing for a call the fire step did not end: canceled by request, or failed after the decision', async () => {
    const canceled = await dueCall('3004');
    await calls.transition(canceled, { from: ['scheduled'], to: 'canceled', patch: { fail_reason: 'canceled_by_request' } });
    // Decided to dial, then the dialer never took it (BullMQ gave up): failed, never queued.
    const failed = await dueCall('3005');
    await calls.update(failed, {
      from: ['scheduled'],
      patch: { decision: { action: 'dial', reopen: false, comment: null, failReason: null, crmStatus: 'open' }, firing: true },
    });
    await calls.transition(failed, { from: ['scheduled'], to: 'failed', patch: { fail_reason: 'dialer_unreachable', firing: false } });

    await takesOver.process(canceled);
    await takesOver.process(failed);
    expect(await deliveriesOf(canceled)).toEqual([]);
    expect(await deliveriesOf(failed)).toEqual([]);
  });
});
