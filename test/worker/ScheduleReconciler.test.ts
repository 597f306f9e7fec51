import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CallQueues, type FireJobData } from '../../src/queue/CallQueues.js';
import { QUEUE_NAMES, fireJobId } from '../../src/queue/queueNames.js';
import { bullConnection } from '../../src/redisConnections.js';
import { CallStore } from '../../src/store/CallStore.js';
import { ScheduleReconciler } from '../../src/worker/ScheduleReconciler.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { newCall } from '../support/newCall.js';
import { waitFor } from '../support/testApp.js';

const prefix = uniquePrefix('reconciler');
const redis = new Redis(TEST_REDIS_URL);
const connection = bullConnection({ url: TEST_REDIS_URL }, 'worker');
const queues = new CallQueues(connection, prefix);
const calls = new CallStore(redis, prefix);
const reconciler = new ScheduleReconciler(calls, queues, pino({ level: 'silent' }));

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

const afterGrace = () => Date.now() + 31_000;

describe('ScheduleReconciler', () => {
  it('puts back the delayed job of a scheduled call that has none, and leaves calls with jobs alone', async () => {
    const orphan = await calls.create(newCall('R1'), new Date());
    const healthy = await calls.create(newCall('R2'), new Date());
    if (!orphan.created || !healthy.created) throw new Error('setup');
    await queues.scheduleFire(healthy.call.id, new Date(healthy.call.scheduled_at));
    await calls.jobStored(healthy.call.id); // what the API does once the job is added

    expect(await reconciler.runOnce()).toBe(0); // within the grace period the API may still be adding it
    expect(await queues.fireQueueOf(orphan.call.id).getJob(fireJobId(orphan.call.id))).toBeUndefined();
    expect(await reconciler.runOnce(afterGrace())).toBe(1);
    const job = await queues.fireQueueOf(orphan.call.id).getJob(fireJobId(orphan.call.id));
    expect(await job!.getState()).toBe('delayed');
    expect(await reconciler.runOnce(afterGrace())).toBe(0);
    expect(await calls.dueIn('pending', 0, afterGrace(), 100)).toEqual([]);
  });

  it('retries the failed job of a call still scheduled, so the call is not stuck blocking its record', async () => {
    const stuck = await calls.create(newCall('R3', { scheduled_at: new Date(Date.now() + 50).toISOString() }), new Date());
    if (!stuck.created) throw new Error('setup');
    await queues.scheduleFire(stuck.call.id, new Date(stuck.call.scheduled_at));
    await calls.jobStored(stuck.call.id);
    const failing = new Worker<FireJobData>(
      QUEUE_NAMES.fire,
      (j) =>
        j.data.callId === stuck.call.id
          ? Promise.reject(new UnrecoverableError('worker crashed in a way nobody recorded'))
          : Promise.resolve(),
      { connection, prefix },
    );
    const job = await waitFor(async () => {
      const j = await queues.fireQueueOf(stuck.call.id).getJob(fireJobId(stuck.call.id));
      return j && (await j.getState()) === 'failed' ? j : null;
    });
    await failing.close();
    await calls.needsJobCheck(stuck.call.id); // what Workers does when a fire job fails for good

    expect(await reconciler.runOnce(afterGrace())).toBe(1);
    expect(['waiting', 'wait', 'prioritized']).toContain(await job.getState());
  });

  it('forgets a call that is no longer scheduled without touching its job', async () => {
    const gone = await calls.create(newCall('R4'), new Date());
    if (!gone.created) throw new Error('setup');
    await calls.transition(gone.call.id, { from: ['scheduled'], to: 'queued' });
    await calls.needsJobCheck(gone.call.id);
    expect(await reconciler.runOnce(afterGrace())).toBe(0);
    expect(await queues.fireQueueOf(gone.call.id).getJob(fireJobId(gone.call.id))).toBeUndefined();
    expect(await calls.dueIn('pending', 0, afterGrace(), 100)).toEqual([]);
  });
});
