import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebhookQueue, type WebhookJobData } from '../../src/queue/WebhookQueue.js';
import { bullConnection } from '../../src/redisConnections.js';
import { OutcomeWebhooks } from '../../src/webhooks/OutcomeWebhooks.js';
import type { WebhookEndpoint } from '../../src/webhooks/WebhookEndpoint.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

/** The producer side alone (no worker): which jobs an event becomes. Delivery is under test/worker. */
const prefix = uniquePrefix('outcome-webhooks');
const queue = createWebhookQueue(bullConnection({ url: TEST_REDIS_URL }, 'fail-fast'), prefix);
const silent = pino({ level: 'silent' });
const eventTime = new Date('2031-05-06T07:08:09.123Z');
const clock = () => eventTime;
const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
const endpoint = (url: string, events: string[]): WebhookEndpoint => ({ url, secret: secret(), events, timeoutMs: 10_000 });
const call = { id: 42, status: 'queued', out_ticket_id: 'T-1', fail_reason: null };

afterAll(async () => {
  await queue.close();
  await deletePrefix(prefix);
});

async function jobsOf(webhookId: string): Promise<WebhookJobData[]> {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return jobs.filter((j) => j.data.webhookId === webhookId).map((j) => j.data);
}

describe('OutcomeWebhooks.emit', () => {
  it('queues the event once for each endpoint whose filter selects it, with webhook-id msg_<eventKey>', async () => {
    const webhooks = new OutcomeWebhooks(
      [
        endpoint('http://exact.test/h', ['call.queued']),
        endpoint('http://group.test/h', ['call.*']),
        endpoint('http://all.test/h', ['*']),
        endpoint('http://other.test/h', ['call.finished', 'call.failed']),
      ],
      queue,
      silent,
      clock,
    );
    await webhooks.emit('call.queued', call, 'f1-queued');
    const jobs = await jobsOf('msg_f1-queued');
    expect(jobs.map((j) => j.url).sort()).toEqual(['http://all.test/h', 'http://exact.test/h', 'http://group.test/h']);
    expect(new Set(jobs.map((j) => j.type))).toEqual(new Set(['call.queued']));
  });

  it('fixes the body at emit time: exactly {"type","timestamp","data":{"call"}} with the event time in ISO UTC ms', async () => {
    const webhooks = new OutcomeWebhooks([endpoint('http://body.test/h', ['*'])], queue, silent, clock);
    await webhooks.emit('call.canceled', { ...call, status: 'canceled', fail_reason: 'record_closed' }, 'b1-canceled');
    const [job] = await jobsOf('msg_b1-canceled');
    expect(job!.body).toBe(
      '{"type":"call.canceled","timestamp":"2031-05-06T07:08:09.123Z","data":{"call":{"id":42,"status":"canceled","out_ticket_id":"T-1","fail_reason":"record_closed"}}}',
    );
  });

  it('queues nothing more when the same event is emitted again (a redelivered job), even with a later time', async () => {
    let now = eventTime;
    const webhooks = new OutcomeWebhooks(
      [endpoint('http://a.test/h', ['*']), endpoint('http://b.test/h', ['*'])],
      queue,
      silent,
      () => now,
    );
    await webhooks.emit('call.queued', call, 'd1-queued');
    now = new Date(eventTime.getTime() + 60_000);
    await Promise.all([webhooks.emit('call.queued', call, 'd1-queued'), webhooks.emit('call.queued', call, 'd1-queued')]);
    const jobs = await jobsOf('msg_d1-queued');
    expect(jobs.map((j) => j.url).sort()).toEqual(['http://a.test/h', 'http://b.test/h']);
    expect(jobs.every((j) => j.body.includes(eventTime.toISOString()))).toBe(true);
  });

  it('accepts any event key, including a colon (which BullMQ refuses in job ids)', async () => {
    const webhooks = new OutcomeWebhooks([endpoint('http://colon.test/h', ['*'])], queue, silent, clock);
    await webhooks.emit('call.rescheduled', call, 'c1:rescheduled:2031');
    await webhooks.emit('call.rescheduled', call, 'c1:rescheduled:2031');
    expect(await jobsOf('msg_c1:rescheduled:2031')).toHaveLength(1);
  });

  it('does not touch Redis when no endpoint is configured, or none asks for the type', async () => {
    const noRedis = new Proxy({} as Queue<WebhookJobData>, {
      get: () => {
        throw new Error('Redis was used');
      },
    });
    await expect(new OutcomeWebhooks([], noRedis, silent, clock).emit('call.created', call, 'n1-created')).resolves.toBeUndefined();
    const unrelated = new OutcomeWebhooks([endpoint('http://x.test/h', ['call.finished'])], noRedis, silent, clock);
    await expect(unrelated.emit('call.created', call, 'n1-created')).resolves.toBeUndefined();
  });
});
