import { randomUUID } from 'node:crypto';
import type { RedisClient, StoreShards } from '../store/storeKeys.js';

/** Long enough for one retry step (a few Redis round trips); short enough that a dead holder is soon replaced. */
export const RETRY_LEASE_MS = 60_000;

/**
 * Who may run a failed call's retry step right now: a SET NX with an expiry, in the call's shard. Holding it is
 * what makes two concurrent identical dialer reports take one retry step; the step's outcome event on the failed
 * call (see RetryPlanner) is what makes a later one do nothing. A holder that dies lets go when the lease expires.
 */
export class RetryLease {
  constructor(
    private readonly redis: RedisClient,
    private readonly shards: StoreShards,
    private readonly leaseMs = RETRY_LEASE_MS,
  ) {}

  private key(callId: number) {
    return `${this.shards.keyPrefix(this.shards.ofId(callId))}retry-lease:${callId}`;
  }

  /** A token to release it with, or null while someone else holds it. */
  async acquire(callId: number): Promise<string | null> {
    const token = randomUUID();
    const placed = await this.redis.set(this.key(callId), token, 'PX', this.leaseMs, 'NX');
    return placed === 'OK' ? token : null;
  }

  /**
   * Lets go early so that a report repeated after a failed step need not wait for the expiry. Read then delete:
   * only a holder that overran its lease (and so was already replaced) could delete its successor's in between.
   */
  async release(callId: number, token: string): Promise<void> {
    const key = this.key(callId);
    if ((await this.redis.get(key)) === token) await this.redis.del(key);
  }
}
