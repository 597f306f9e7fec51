import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../store/storeKeys.js';

/**
 * One worker at a time runs a given housekeeping pass: a Redis lock with a TTL (SET NX PX), so that a worker that
 * dies holding it only delays the next pass. Released only by its holder (a script compares the token).
 */
export class HousekeepingLock {
  private readonly token = randomUUID();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    redis.defineCommand('cboReleaseLock', {
      numberOfKeys: 1,
      lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
    });
  }

  private key(task: string) {
    return `${this.prefix}:{housekeeping}:lock:${task}`;
  }

  /** Runs `pass` if this worker gets the task's lock (held at most `ttlMs`); returns whether it ran. */
  async runExclusive(task: string, ttlMs: number, pass: () => Promise<unknown>): Promise<boolean> {
    const got = await this.redis.set(this.key(task), this.token, 'PX', ttlMs, 'NX');
    if (got !== 'OK') return false;
    try {
      await pass();
    } finally {
      await (this.redis as unknown as { cboReleaseLock(key: string, token: string): Promise<unknown> }).cboReleaseLock(
        this.key(task),
        this.token,
      );
    }
    return true;
  }
}
