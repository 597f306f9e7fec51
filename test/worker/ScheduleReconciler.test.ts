import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CallQueues, type FireJobData } from '../../src/queue/CallQueues.js';
import { QUEUE_NAMES, fireJobId } from '../../src/queue/queueNames.js';
import { bullConnection, workerRedisOptions } from '../../src/redisConnections.js';
import { CallStore } from '../../src/store/CallStore.js';
import { ScheduleReconciler } from '../../src/worker/ScheduleReconciler.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { newCall } from '../support/newCall.js';
import { waitFor } from '../support/testApp.js';

const prefix = uniquePrefix('reconciler');
const redis = new Redis(TEST_REDIS_URL);
const connection = bullConnection(TEST_REDIS_URL, workerRedisOptions());
const queues = new CallQueues(connection, prefix);
const calls = new CallStore(redis, prefix);
const reconciler = new ScheduleReconciler(calls, queues, pino({ level: 'silent' }));

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

describe('ScheduleReconciler', () => {
  it('puts back the delayed job of a scheduled call that has none, and leaves calls with jobs alone', async () => {
    const orphan = await calls.create(newCall('R1'), new Date());
    const healthy = await calls.create(newCall('R2'), new Date());
    if (!orphan.created || !healthy.created) throw new Error('setup');
    await queues.scheduleFire(healthy.call.id, new Date(healthy.call.scheduled_at));

    expect(await queues.fire.getJob(fireJobId(orphan.call.id))).toBeUndefined();
    expect(await reconciler.runOnce()).toBe(1);
    const job = await queues.fire.getJob(fireJobId(orphan.call.id));
    expect(await job!.getState()).toBe('delayed');
    expect(await reconciler.runOnce()).toBe(0);
  });

  it('retries the failed job of a call still scheduled, so the call is not stuck blocking its record', async () => {
    const stuck = await calls.create({ ...newCall('R3'), scheduled_at: new Date(Date.now() + 50).toISOString() }, new Date());
    if (!stuck.created) throw new Error('setup');
    await queues.scheduleFire(stuck.call.id, new Date(stuck.call.scheduled_at));
    const failing = new Worker<FireJobData>(
      QUEUE_NAMES.fire,
      (j) =>
        j.data.callId === stuck.call.id
          ? Promise.reject(new UnrecoverableError('worker crashed in a way nobody recorded'))
          : Promise.resolve(),
      { connection, prefix },
    );
    const job = await waitFor(async () => {
      const j = await queues.fire.getJob(fireJobId(stuck.call.id));
      return j && (await j.getState()) === 'failed' ? j : null;
    });
    await failing.close();

    expect(await reconciler.runOnce()).toBe(1);
    expect(['waiting', 'wait', 'prioritized']).toContain(await job.getState());
  });
});
