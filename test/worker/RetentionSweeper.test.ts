import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/store/CallStore.js';
import { RetentionSweeper } from '../../src/worker/RetentionSweeper.js';
import { newCall } from '../support/newCall.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('retention');
const redis = new Redis(TEST_REDIS_URL);
const calls = new CallStore(redis, prefix);
const HOUR = 3_600_000;
const sweeper = new RetentionSweeper(calls, HOUR, pino({ level: 'silent' }));

afterAll(async () => {
  redis.disconnect();
  await deletePrefix(prefix);
});

describe('RetentionSweeper', () => {
  it('deletes final calls once their retention has passed, never an active one', async () => {
    const ids: number[] = [];
    for (const ticket of ['A', 'B', 'C']) {
      const made = await calls.create(newCall(ticket), new Date());
      if (!made.created) throw new Error('setup');
      ids.push(made.call.id);
    }
    const [finished, canceled, scheduled] = ids as [number, number, number];
    const endedAt = Date.now();
    await calls.transition(finished, { from: ['scheduled'], to: 'queued' });
    await calls.transition(finished, { from: ['queued'], to: 'finished' }, new Date(endedAt));
    await calls.transition(canceled, { from: ['scheduled'], to: 'canceled' }, new Date(endedAt + 10 * 60_000));

    expect(await sweeper.runOnce(endedAt + HOUR - 1)).toBe(0);
    expect(await sweeper.runOnce(endedAt + HOUR)).toBe(1);
    expect(await calls.get(finished)).toBeNull();
    expect(await calls.get(canceled)).not.toBeNull();
    expect(await sweeper.runOnce(endedAt + 10 * HOUR)).toBe(1);
    expect(await calls.get(canceled)).toBeNull();
    expect((await calls.get(scheduled))!.status).toBe('scheduled');
    expect((await calls.list({ offset: 0, limit: 10 })).calls.map((c) => c.id)).toEqual([scheduled]);
  });
});
