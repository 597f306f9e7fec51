import { storeKeyPrefix, type RedisClient, type StoreShards } from './storeKeys.js';

/** The store in Redis was written with another `redis.shards`: starting would orphan its calls. */
export class StoreLayoutMismatchError extends Error {
  override readonly name = 'StoreLayoutMismatchError';
}

/**
 * Records how many shards the store is written with, and refuses a process configured with another count:
 * its calls would sit under keys that process never reads. (Changing the count needs an empty store.)
 */
export async function claimStoreLayout(redis: RedisClient, prefix: string, shards: StoreShards): Promise<void> {
  const key = `${storeKeyPrefix(prefix)}layout`;
  const wanted = String(shards.count);
  let stored = await redis.get(key);
  if (stored === null) {
    // A store from before this mark, or a new one: calls under the other layout mean another count.
    const otherLayout = shards.count === 1 ? shards.idSequenceKey : `${storeKeyPrefix(prefix)}seq`;
    if ((await redis.exists(otherLayout)) === 1) stored = shards.count === 1 ? 'more than 1' : '1';
    else if ((await redis.set(key, wanted, 'NX')) === 'OK') return;
    else stored = await redis.get(key);
  }
  if (stored !== wanted) {
    throw new StoreLayoutMismatchError(
      `redis.shards is ${wanted}, but the calls stored under prefix "${prefix}" were written with ${stored} shard(s): ` +
        `start with that redis.shards, or empty the store first (refusing to start, so that no call is orphaned)`,
    );
  }
}
