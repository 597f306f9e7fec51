import { randomBytes } from 'node:crypto';
import type { Queue, Worker } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WEBHOOK_JOB_OPTIONS, createWebhookQueue, webhookJobId, type WebhookJobData } from '../../src/queue/WebhookQueue.js';
import { bullConnection } from '../../src/redisConnections.js';
import { OutcomeWebhooks } from '../../src/webhooks/OutcomeWebhooks.js';
import type { Clock, WebhookEndpoint } from '../../src/webhooks/WebhookEndpoint.js';
import { WEBHOOK_GIVE_UP_MS, WebhookDeliveryProcessor, createWebhookWorker } from '../../src/worker/WebhookDeliveryProcessor.js';
import { capturingLogger } from '../support/captureLogs.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { WebhookReceiver } from '../support/WebhookReceiver.js';

/**
 * Delivery end to end: OutcomeWebhooks queues, a real BullMQ worker runs WebhookDeliveryProcessor, a loopback
 * receiver verifies each POST with the standardwebhooks package. Backoff is 30 ms instead of 5 s doubling.
 */
const HOUR = 60 * 60 * 1000;
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const call = { id: 7, status: 'queued', out_ticket_id: 'T-7', fail_reason: null };

interface Rig {
  queue: Queue<WebhookJobData>;
  webhooks: OutcomeWebhooks;
  processor: WebhookDeliveryProcessor;
  logs: string[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = new WebhookReceiver(newSecret());
  await r.start();
  cleanups.push(() => r.stop());
  return r;
}

const endpointOf = (r: WebhookReceiver, events: string[] = ['*'], timeoutMs = 2000): WebhookEndpoint => ({
  url: r.url,
  secret: r.secret,
  events,
  timeoutMs,
});

/** Producer configured with `emitTo`, worker with `deliverTo` (the config as the worker last read it). */
function rig(emitTo: WebhookEndpoint[], deliverTo = emitTo, clock?: Clock): Rig {
  const prefix = uniquePrefix('webhook-delivery');
  const { logger, lines } = capturingLogger('debug');
  const queue = createWebhookQueue(bullConnection({ url: TEST_REDIS_URL }, 'fail-fast'), prefix);
  const processor = new WebhookDeliveryProcessor({ endpoints: deliverTo, logger, clock });
  const worker: Worker = createWebhookWorker(
    processor,
    { connection: bullConnection({ url: TEST_REDIS_URL }, 'worker'), prefix, concurrency: 4 },
    logger,
    () => 30,
  );
  worker.on('error', () => undefined);
  cleanups.push(async () => {
    await worker.close();
    await queue.close();
    await deletePrefix(prefix);
  });
  return { queue, webhooks: new OutcomeWebhooks(emitTo, queue, logger), processor, logs: lines };
}

async function waitFor<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every job has finished (completed or failed): nothing more will be delivered. */
const settled = (queue: Queue) =>
  waitFor(async () => {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return Object.values(counts).every((n) => n === 0);
  }, 'the queue to settle');

describe('WebhookDeliveryProcessor: signed deliveries', () => {
  it('POSTs the exact body with content-type JSON and Standard Webhooks headers that standardwebhooks verifies', async () => {
    const r = await receiver();
    const { webhooks } = rig([endpointOf(r)]);
    const emittedFrom = Date.now();
    await webhooks.emit('call.queued', call, '7-queued');
    const emittedBy = Date.now();
    const before = Math.floor(emittedFrom / 1000);
    const [delivery] = await waitFor(() => r.deliveries.length > 0 && r.deliveries, 'a delivery');
    expect(delivery!.verified).toBe(true);
    expect(delivery!.status).toBe(200);
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(delivery!.headers['webhook-id']).toBe('msg_7-queued');
    const stamp = Number(delivery!.headers['webhook-timestamp']);
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(delivery!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const body = JSON.parse(delivery!.rawBody) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['type', 'timestamp', 'data']);
    const { timestamp, ...typeAndData } = body;
    expect(typeAndData).toEqual({ type: 'call.queued', data: { call } });
    expect(timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(timestamp as string)).toBeGreaterThanOrEqual(emittedFrom);
    expect(Date.parse(timestamp as string)).toBeLessThanOrEqual(emittedBy);
  });

  it('a signature made with another secret does not verify (the receiver really checks)', async () => {
    const r = await receiver();
    const { webhooks } = rig([{ ...endpointOf(r), secret: newSecret() }]);
    await webhooks.emit('call.created', call, '7-created');
    const [delivery] = await waitFor(() => r.deliveries.length > 0 && r.deliveries, 'a delivery');
    expect([delivery!.verified, delivery!.verifyError]).toEqual([false, 'No matching signature found']);
  });

  it('signs each attempt at its own time while the webhook-id and the body stay those of the event', async () => {
    const r = await receiver();
    r.nextStatuses.push(500, 500);
    let tick = 0;
    // A fixed base: real time passing between attempts must not add a second to the steps.
    const base = Math.floor(Date.now() / 1000) * 1000;
    const attemptClock = () => new Date(base - 120_000 + 60_000 * tick++); // -120 s, -60 s, now
    const { webhooks, queue } = rig([endpointOf(r)], undefined, attemptClock);
    await webhooks.emit('call.finished', call, '7-finished');
    await waitFor(() => r.deliveries.length === 3 && r.deliveries, 'three deliveries');
    await settled(queue);
    expect(r.deliveries.map((d) => d.status)).toEqual([500, 500, 200]);
    expect(new Set(r.deliveries.map((d) => d.headers['webhook-id']))).toEqual(new Set(['msg_7-finished']));
    expect(new Set(r.deliveries.map((d) => d.rawBody)).size).toBe(1);
    expect(r.deliveries.every((d) => d.verified)).toBe(true);
    const stamps = r.deliveries.map((d) => Number(d.headers['webhook-timestamp']));
    expect(stamps[1]! - stamps[0]!).toBe(60);
    expect(stamps[2]! - stamps[1]!).toBe(60);
  });
});

describe('WebhookDeliveryProcessor: retries', () => {
  it('retries every answer that is not 2xx (5xx, 404, a redirect is not followed) until a 2xx', async () => {
    const r = await receiver();
    r.nextStatuses.push(503, 404, 307);
    r.status = 204;
    const { webhooks, queue } = rig([endpointOf(r)]);
    await webhooks.emit('call.failed', call, '7-failed');
    await waitFor(() => r.deliveries.length === 4, 'four deliveries');
    await settled(queue);
    expect(r.deliveries.map((d) => [d.path, d.status])).toEqual([
      ['/hooks', 503],
      ['/hooks', 404],
      ['/hooks', 307],
      ['/hooks', 204],
    ]);
    const job = await queue.getJob(webhookJobId('7-failed', r.url));
    expect(await job!.getState()).toBe('completed');
  });

  it('retries a receiver slower than the endpoint timeout', async () => {
    const r = await receiver();
    r.nextHoldsMs.push(1000);
    const { webhooks, queue, logs } = rig([endpointOf(r, ['*'], 150)]);
    await webhooks.emit('call.queued', call, '8-queued');
    await waitFor(() => r.deliveries.length === 2, 'the second delivery');
    await settled(queue);
    expect(logs.some((l) => l.includes('timeout of 150ms exceeded'))).toBe(true);
  });

  it('delivers once a receiver that was down is back, and the outage delayed nothing else', async () => {
    const down = await receiver();
    const up = await receiver();
    await down.stop();
    const { webhooks, queue } = rig([endpointOf(down), endpointOf(up)]);
    await webhooks.emit('call.queued', call, '9-queued');
    const jobId = webhookJobId('9-queued', down.url);
    await waitFor(async () => ((await queue.getJob(jobId))?.attemptsMade ?? 0) >= 3, 'three refused attempts');
    await waitFor(() => up.deliveries.length === 1, 'the other endpoint served during the outage');
    expect(down.deliveries).toHaveLength(0);
    await down.start();
    await waitFor(() => down.deliveries.length === 1, 'the delivery after the outage');
    expect(down.deliveries[0]!.verified).toBe(true);
    expect(down.deliveries[0]!.headers['webhook-id']).toBe('msg_9-queued');
  });
});

describe('WebhookDeliveryProcessor: which events, how often', () => {
  it('sends each endpoint the types its filter selects (exact, call.*, *)', async () => {
    const [exact, group, all, other] = await Promise.all([receiver(), receiver(), receiver(), receiver()]);
    const { webhooks, queue } = rig([
      endpointOf(exact, ['call.queued']),
      endpointOf(group, ['call.*']),
      endpointOf(all, ['*']),
      endpointOf(other, ['call.finished']),
    ]);
    await webhooks.emit('call.created', call, '10-created');
    await webhooks.emit('call.queued', call, '10-queued');
    await settled(queue);
    const types = (r: WebhookReceiver) => r.deliveries.map((d) => (JSON.parse(d.rawBody) as { type: string }).type).sort();
    expect(types(exact)).toEqual(['call.queued']);
    expect(types(group)).toEqual(['call.created', 'call.queued']);
    expect(types(all)).toEqual(['call.created', 'call.queued']);
    expect(types(other)).toEqual([]);
  });

  it('delivers an event emitted twice (a redelivered fire job) once', async () => {
    const r = await receiver();
    const { webhooks, queue } = rig([endpointOf(r)]);
    await Promise.all([webhooks.emit('call.queued', call, '11-queued'), webhooks.emit('call.queued', call, '11-queued')]);
    await settled(queue);
    await webhooks.emit('call.queued', call, '11-queued'); // after the first was delivered
    await settled(queue);
    expect(r.deliveries).toHaveLength(1);
  });

  it('drops, with a warning, an event whose endpoint is no longer configured, and delivers the others', async () => {
    const kept = await receiver();
    const removed = await receiver();
    const { webhooks, queue, logs } = rig([endpointOf(kept), endpointOf(removed)], [endpointOf(kept)]);
    await webhooks.emit('call.canceled', call, '12-canceled');
    await settled(queue);
    expect(kept.deliveries).toHaveLength(1);
    expect(removed.deliveries).toHaveLength(0);
    const warning = logs.find((l) => l.includes('webhook endpoint no longer configured; event dropped'));
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, webhookId: 'msg_12-canceled', endpoint: removed.url });
    expect(await (await queue.getJob(webhookJobId('12-canceled', removed.url)))!.getState()).toBe('completed');
  });
});

describe('WebhookDeliveryProcessor: giving up after 24 hours', () => {
  it('fails, without sending, a job first queued more than 24 hours ago', async () => {
    const r = await receiver();
    r.status = 500;
    const { queue, logs } = rig([endpointOf(r)]);
    const data = { url: r.url, webhookId: 'msg_13-queued', type: 'call.queued', body: '{"type":"call.queued"}' };
    const jobId = webhookJobId('13-queued', r.url);
    await queue.add('call.queued', data, { ...WEBHOOK_JOB_OPTIONS, jobId, timestamp: Date.now() - WEBHOOK_GIVE_UP_MS - 1000 });
    await settled(queue);
    const job = await queue.getJob(jobId);
    expect([await job!.getState(), job!.failedReason]).toEqual(['failed', 'webhook not delivered: gave up after 24 hours']);
    expect(r.deliveries).toHaveLength(0);
    expect(logs.some((l) => l.includes('"level":40') && l.includes('gave up after 24 hours'))).toBe(true);
  });

  it('still tries until 24 hours after the first enqueue, by the clock it is given', async () => {
    const r = await receiver();
    const firstQueuedAt = Date.now();
    const data = { url: r.url, webhookId: 'msg_14-queued', type: 'call.queued', body: '{}' };
    const { logger } = capturingLogger();
    const at = (ms: number) =>
      new WebhookDeliveryProcessor({ endpoints: [endpointOf(r)], logger, clock: () => new Date(firstQueuedAt + ms) });
    await expect(at(WEBHOOK_GIVE_UP_MS + 1).process(data, firstQueuedAt, 290)).rejects.toThrow('gave up after 24 hours');
    expect(r.deliveries).toHaveLength(0);
    await expect(at(0).process(data, firstQueuedAt - WEBHOOK_GIVE_UP_MS + 60_000, 290)).resolves.toBeUndefined();
    expect(r.deliveries).toHaveLength(1);
    expect(WEBHOOK_GIVE_UP_MS).toBe(24 * HOUR);
  });
});

describe('WebhookDeliveryProcessor: what the log shows', () => {
  it('logs a failed delivery with its reason and never the secret', async () => {
    const r = await receiver();
    r.nextStatuses.push(500);
    const { webhooks, queue, logs } = rig([{ ...endpointOf(r), url: `${r.url}?token=abc` }]);
    await webhooks.emit('call.queued', call, '15-queued');
    await waitFor(() => r.deliveries.length === 2, 'the retry');
    await settled(queue);
    const failure = logs.find((l) => l.includes('webhook delivery failed; will retry'));
    expect(JSON.parse(failure!)).toMatchObject({
      level: 40,
      problem: 'endpoint answered 500',
      webhookId: 'msg_15-queued',
      endpoint: r.url,
    });
    const secretKey = r.secret.slice('whsec_'.length);
    expect(logs.filter((l) => l.includes(secretKey) || l.includes('token=abc'))).toEqual([]);
  });
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
