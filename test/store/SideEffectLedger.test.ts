import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/store/CallStore.js';
import { SideEffectLedger } from '../../src/store/SideEffectLedger.js';
import { StoreShards } from '../../src/store/storeKeys.js';
import { newCall } from '../support/newCall.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

const redis = new Redis(TEST_REDIS_URL);
const prefix = uniquePrefix('ledger');
const shards = new StoreShards(prefix, 4);
const calls = new CallStore(redis, prefix, shards);
const ledger = new SideEffectLedger(redis, prefix, shards);

afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

describe('SideEffectLedger', () => {
  it('requests an effect once, and finishes it together with the call event that records it', async () => {
    const made = await calls.create(newCall('L-1'), new Date());
    if (!made.created) throw new Error('setup');
    const id = made.call.id;
    expect(await ledger.request(id, 'comment:x')).toBe(true);
    expect(await ledger.request(id, 'comment:x')).toBe(false);
    await ledger.markAttempting(id, 'comment:x', new Date('2026-01-01T00:00:00Z'));
    expect(await ledger.get(id, 'comment:x')).toEqual({ state: 'attempting', since: new Date('2026-01-01T00:00:00Z') });

    await ledger.finish(id, 'comment:x', 'done', { type: 'comment_written', detail: 'the text' });
    expect(await ledger.get(id, 'comment:x')).toEqual({ state: 'done' });
    expect((await calls.events(id)).map((e) => [e.type, e.detail])).toEqual([
      ['scheduled', `due at ${made.call.scheduled_at}`],
      ['comment_written', 'the text'],
    ]);
    // The entry sits in the call's shard, beside its events.
    expect(await redis.exists(`${shards.keyPrefix(shards.ofId(id))}fx:${id}:comment:x`)).toBe(1);
  });
});
