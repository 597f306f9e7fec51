import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DialerUnavailableError } from '../../src/dialer/Dialer.js';
import { CallQueues } from '../../src/queue/CallQueues.js';
import { bullConnection } from '../../src/redisConnections.js';
import { CallEventPublisher } from '../../src/webhooks/CallEventPublisher.js';
import { CallStore } from '../../src/store/CallStore.js';
import type { FireProcessor } from '../../src/worker/FireProcessor.js';
import { Workers } from '../../src/worker/Workers.js';
import { QUEUE_NAMES } from '../../src/queue/queueNames.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { newCall } from '../support/newCall.js';
import { waitFor } from '../support/testApp.js';

/**
 * How the worker ends a call whose fire job fails for good: BullMQ's own verdict (e.g. stalled too often) or the
 * last retry spent, so that no call stays `scheduled` and blocks its record.
 */
const prefix = uniquePrefix('workers');
const redis = new Redis(TEST_REDIS_URL);
const connection = bullConnection({ url: TEST_REDIS_URL }, 'worker');
const queues = new CallQueues(connection, prefix);
const calls = new CallStore(redis, prefix);
const failures = new Map<number, Error>();
// The fire step itself is not under test here: it fails the way the case needs.
const failingFire = {
  process: (callId: number) => Promise.reject(failures.get(callId)!),
} as unknown as FireProcessor;
const workers = new Workers({
  connection,
  prefix,
  tuning: { concurrency: 2, stalledIntervalMs: 1000 },
  fire: {
    processor: failingFire,
    calls,
    queueNames: [QUEUE_NAMES.fire],
    events: new CallEventPublisher(null, calls, [], pino({ level: 'silent' })),
  },
  logger: pino({ level: 'silent' }),
});

afterAll(async () => {
  await workers.close();
  await queues.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

async function dueCall(ticket: string, failure: Error, attempts?: number): Promise<number> {
  const call = newCall(ticket, { scheduled_at: new Date().toISOString() });
  const created = await calls.create(call, new Date());
  if (!created.created) throw new Error('setup');
  failures.set(created.call.id, failure);
  if (attempts === undefined) await queues.scheduleFire(created.call.id, new Date());
  else await queues.fireQueueOf(created.call.id).add('fire', { callId: created.call.id }, { jobId: `call-${created.call.id}`, attempts });
  return created.call.id;
}

const finalState = (id: number) =>
  waitFor(
    async () => {
      const c = await calls.get(id);
      return c && c.status !== 'scheduled' ? c : null;
    },
    10_000,
    `call ${id} to leave scheduled`,
  );

describe('Workers: a fire job that fails for good', () => {
  it('ends the call at once when BullMQ fails the job as unrecoverable, and frees its record', async () => {
    const id = await dueCall('W1', new UnrecoverableError('job stalled more than allowable limit'));
    const call = await finalState(id);
    expect([call.status, call.fail_reason]).toEqual(['failed', 'internal_error']);
    expect(await calls.scheduledCallFor('W1')).toBeNull();
  });

  it('ends the call as dialer_unreachable once the last retry is spent on a dialer that will not answer', async () => {
    const id = await dueCall('W2', new DialerUnavailableError('dialer answered 503'), 1);
    const call = await finalState(id);
    expect([call.status, call.fail_reason, call.fail_details]).toEqual(['failed', 'dialer_unreachable', 'dialer answered 503']);
  });
});
