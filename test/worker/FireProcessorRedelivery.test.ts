import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { OUTBOX_GRACE_MS, OutboxRelay } from '../../src/worker/OutboxRelay.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { newCall } from '../support/newCall.js';
import { testConfig } from '../support/testConfig.js';

/**
 * A fire step whose worker died after the change and before its outcome event was queued (SPEC 9.4: a crash loses
 * no event). The first run is a worker whose webhook jobs cannot be queued (it stands for one that died right
 * then: the change and its announcement are stored, the jobs are not); BullMQ then runs the job again on another
 * worker, and the outbox relay sends the event once, under the key the step announced.
 */
const prefix = uniquePrefix('fire-redelivery');
const redis = new Redis(TEST_REDIS_URL);
const queues = new CallQueues(bullConnection({ url: TEST_REDIS_URL }, 'worker'), prefix);
const webhookQueue = createWebhookQueue(bullConnection({ url: TEST_REDIS_URL }, 'fail-fast'), prefix);
const deadQueue = createWebhookQueue(bullConnection({ url: TEST_REDIS_URL }, 'fail-fast'), prefix);
const calls = new CallStore(redis, prefix);
const silent = pino({ level: 'silent' });
const endpoint = {
  url: 'http://receiver.test/hook',
  secret: `whsec_${randomBytes(24).toString('base64')}`,
  events: ['*'],
  timeoutMs: 10_000,
};
const publisher = (queue: typeof webhookQueue) => new CallEventPublisher(new OutcomeWebhooks([endpoint], queue, silent), calls, [], silent);
/** Tickets whose record is closed; every other ticket is open. */
const closed = new Set<string>();

function fireProcessor(events: CallEventPublisher): FireProcessor {
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
    events,
    metrics: new Metrics(false),
    logger: silent,
  });
}

const working = publisher(webhookQueue);
/** The worker that died before queueing its events, and the one that runs the job again. */
const diedBeforeEvents = fireProcessor(publisher(deadQueue));
const takesOver = fireProcessor(working);
const relay = new OutboxRelay(calls, working, silent);

beforeAll(async () => {
  await deadQueue.close(); // the first worker's webhook jobs cannot be queued
});

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

const afterGrace = () => Date.now() + OUTBOX_GRACE_MS + 1;

describe('FireProcessor: a job run again after its worker died', () => {
  it('the call.queued event its first run lost is sent once, under the key of the first run', async () => {
    const id = await dueCall('3001');
    await diedBeforeEvents.process(id);
    expect((await calls.get(id))!.status).toBe('queued');
    expect(await deliveriesOf(id)).toEqual([]);

    await takesOver.process(id); // the job again: the call is carried out already, nothing more happens
    await relay.runOnce(afterGrace());
    await relay.runOnce(afterGrace()); // and again: nothing more
    expect(await deliveriesOf(id)).toEqual([['call.queued', `msg_${id}-queued`, 'queued']]);
  });

  it('the call.canceled event of a SPEC 4 outcome (record closed) its first run lost is sent', async () => {
    closed.add('3002');
    const id = await dueCall('3002');
    await diedBeforeEvents.process(id);
    expect((await calls.get(id))!).toMatchObject({ status: 'canceled', fail_reason: 'record_closed' });

    await takesOver.process(id);
    await relay.runOnce(afterGrace());
    expect(await deliveriesOf(id)).toEqual([['call.canceled', `msg_${id}-canceled`, 'canceled']]);
  });

  it('nothing more when the first run queued its event', async () => {
    const id = await dueCall('3003');
    await takesOver.process(id);
    await takesOver.process(id);
    await relay.runOnce(afterGrace());
    expect(await deliveriesOf(id)).toEqual([['call.queued', `msg_${id}-queued`, 'queued']]);
  });

  it('no outcome event for a call the fire step did not end: canceled by request, or failed after the decision', async () => {
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
    await relay.runOnce(afterGrace());
    expect(await deliveriesOf(canceled)).toEqual([]);
    expect(await deliveriesOf(failed)).toEqual([]);
  });
});
