import { hasLegacyCalls, migrateLegacyCalls } from './LegacyStoreMigration.js';
import { storeKeyPrefix, type RedisClient, type StoreShards } from './storeKeys.js';

/** The store in Redis was written with another `redis.shards`: starting would orphan its calls. */
export class StoreLayoutMismatchError extends Error {
  override readonly name = 'StoreLayoutMismatchError';
}

/**
 * Run at start-up before any call is read: moves calls stored by version 0.1 into today's layout, records how many
 * shards the store is written with, and refuses a process configured with another count (its calls would sit
 * under keys that process never reads; changing the count needs an empty store). Returns how many calls it moved.
 */
export async function claimStoreLayout(redis: RedisClient, prefix: string, shards: StoreShards): Promise<number> {
  const migrated = await migrateFromVersion01(redis, prefix, shards);
  await claimShardCount(redis, prefix, shards);
  return migrated;
}

/** Calls stored by version 0.1 (always one shard) are moved into today's layout; with more shards, refused. */
async function migrateFromVersion01(redis: RedisClient, prefix: string, shards: StoreShards): Promise<number> {
  if (!(await hasLegacyCalls(redis, prefix))) return 0;
  if (shards.count !== 1) {
    throw new StoreLayoutMismatchError(
      `redis.shards is ${shards.count}, but the calls stored under prefix "${prefix}" were written by version 0.1 with 1 shard: ` +
        `start once with redis.shards 1 to move them to the current layout (refusing to start, so that no call is orphaned)`,
    );
  }
  return migrateLegacyCalls(redis, prefix);
}

async function claimShardCount(redis: RedisClient, prefix: string, shards: StoreShards): Promise<void> {
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
