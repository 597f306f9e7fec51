import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/store/CallStore.js';
import { StaleCallSweeper } from '../../src/worker/StaleCallSweeper.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { newCall } from '../support/newCall.js';

const prefix = uniquePrefix('sweeper');
const redis = new Redis(TEST_REDIS_URL);
const calls = new CallStore(redis, prefix);

afterAll(async () => {
  redis.disconnect();
  await deletePrefix(prefix);
});

describe('StaleCallSweeper', () => {
  it('fails calls the dialer never finished once the timeout has passed, freeing their record', async () => {
    const sweeper = new StaleCallSweeper(calls, 60 * 60_000, pino({ level: 'silent' }));
    const created = await calls.create(newCall('S1'), new Date());
    if (!created.created) throw new Error('setup');
    const queuedAt = new Date();
    await calls.transition(created.call.id, { from: ['scheduled'], to: 'queued', patch: { queued_at: queuedAt.toISOString() } });
    await calls.transition(created.call.id, { from: ['queued'], to: 'assigned' });

    expect(await sweeper.runOnce(queuedAt.getTime() + 59 * 60_000)).toBe(0);
    expect(await calls.activeCallIds('S1')).toEqual([created.call.id]);
    expect(await sweeper.runOnce(queuedAt.getTime() + 61 * 60_000)).toBe(1);
    const call = await calls.get(created.call.id);
    expect([call!.status, call!.fail_reason]).toEqual(['failed', 'dialer_timeout']);
    expect(await calls.activeCallIds('S1')).toEqual([]);
  });
});
