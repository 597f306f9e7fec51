import type { Cluster, Redis } from 'ioredis';

/** A single Redis or a Redis Cluster: every store works on both. */
export type RedisClient = Redis | Cluster;

/**
 * Keys of the stores that are not per call (settings, idempotency, bulk cancels) share one `{hash tag}`.
 * Queue keys are separate (see src/queue/queueNames.ts).
 */
export function storeKeyPrefix(prefix: string): string {
  return `${prefix}:{calls}:`;
}

/** Most shards a store can have; sharded call ids carry their shard in `id % MAX_SHARDS`. */
export const MAX_SHARDS = 64;

/**
 * How calls are spread over `count` hash-tagged shards, so that a Redis Cluster spreads them over its masters.
 * A call lives in the shard of its CRM record (the duplicate guard stays one atomic step in one slot) or, with
 * no record, in a shard chosen for it; its id tells which, so any call can be found from its id alone.
 *
 * With one shard the keys are today's (`<prefix>:{calls}:...`) and ids are plain sequence numbers; with more,
 * an id is `n * 64 + shard` with `n` from one global sequence, so ids stay unique and ordered by creation.
 */
export class StoreShards {
  readonly count: number;

  constructor(
    private readonly prefix: string,
    count = 1,
  ) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) throw new Error(`shards must be 1 to ${MAX_SHARDS}`);
    this.count = count;
  }

  /** Every shard number, 0 .. count-1. */
  all(): number[] {
    return Array.from({ length: this.count }, (_, i) => i);
  }

  /** The key prefix of a shard: everything in it shares one Cluster slot. */
  keyPrefix(shard: number): string {
    return this.count === 1 ? storeKeyPrefix(this.prefix) : `${this.prefix}:{calls-${shard}}:`;
  }

  /** The global id sequence of a sharded store (a shard's own sequence is used when there is one shard). */
  get idSequenceKey(): string {
    return `${this.prefix}:{ids}:seq`;
  }

  ofId(id: number): number {
    return this.count === 1 ? 0 : id % MAX_SHARDS;
  }

  ofRecord(recordKey: string): number {
    return this.count === 1 ? 0 : fnv1a(recordKey) % this.count;
  }

  /** The id of the `n`-th call of a sharded store, placed in `shard`. */
  shardedId(n: number, shard: number): number {
    return n * MAX_SHARDS + shard;
  }
}

/** The list of a call's stored events (CallStore writes it; the side-effect ledger appends to it). */
export const callEventsKey = (shards: StoreShards, id: number) => `${shards.keyPrefix(shards.ofId(id))}e:${id}`;

/** FNV-1a (32 bit): a stable, well-spread hash of a record key (only its spread matters here). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
