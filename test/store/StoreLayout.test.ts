import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/store/CallStore.js';
import { StoreShards } from '../../src/store/storeKeys.js';
import { claimStoreLayout, StoreLayoutMismatchError } from '../../src/store/StoreLayout.js';
import { newCall } from '../support/newCall.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

const redis = new Redis(TEST_REDIS_URL);
const prefixes: string[] = [];
const fresh = () => {
  const prefix = uniquePrefix('layout');
  prefixes.push(prefix);
  return prefix;
};

afterAll(async () => {
  for (const p of prefixes) await deletePrefix(p);
  redis.disconnect();
});

describe('claimStoreLayout: a redis.shards change never orphans stored calls', () => {
  it('accepts the count the store was written with, and refuses another with a clear message', async () => {
    const prefix = fresh();
    await claimStoreLayout(redis, prefix, new StoreShards(prefix, 6));
    await claimStoreLayout(redis, prefix, new StoreShards(prefix, 6));
    const refused = claimStoreLayout(redis, prefix, new StoreShards(prefix, 1));
    await expect(refused).rejects.toBeInstanceOf(StoreLayoutMismatchError);
    await expect(refused).rejects.toThrow(/redis\.shards is 1, but the calls stored under prefix "[^"]+" were written with 6 shard/);
  });

  it('recognises a store written before the mark existed (one shard) and refuses more shards', async () => {
    const prefix = fresh();
    const created = await new CallStore(redis, prefix).create(newCall('OLD-1'), new Date());
    expect(created.created).toBe(true);
    await expect(claimStoreLayout(redis, prefix, new StoreShards(prefix, 4))).rejects.toThrow(/written with 1 shard/);
    await claimStoreLayout(redis, prefix, new StoreShards(prefix, 1));
  });
});
