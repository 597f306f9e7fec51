import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { HousekeepingLock } from '../../src/worker/HousekeepingLock.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('hk-lock');
const a = new Redis(TEST_REDIS_URL);
const b = new Redis(TEST_REDIS_URL);
const workerA = new HousekeepingLock(a, prefix);
const workerB = new HousekeepingLock(b, prefix);

afterAll(async () => {
  a.disconnect();
  b.disconnect();
  await deletePrefix(prefix);
});

describe('HousekeepingLock: one worker at a time runs a pass', () => {
  it('lets only one of two workers run the same pass at once, and the other again once it is done', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = workerA.runExclusive('retention', 10_000, () => held);
    await new Promise((r) => setTimeout(r, 50)); // A holds the lock now
    let ranB = false;
    expect(await workerB.runExclusive('retention', 10_000, () => Promise.resolve((ranB = true)))).toBe(false);
    expect(ranB).toBe(false);
    expect(await workerB.runExclusive('stale-call-sweep', 10_000, () => Promise.resolve())).toBe(true); // another pass
    release();
    expect(await first).toBe(true);
    expect(await workerB.runExclusive('retention', 10_000, () => Promise.resolve((ranB = true)))).toBe(true);
    expect(ranB).toBe(true);
  });

  it('frees the lock of a worker that died holding it after its TTL, and never releases another holder', async () => {
    const key = `${prefix}:{housekeeping}:lock:reconcile`;
    await a.set(key, 'a dead worker', 'PX', 300);
    expect(await workerB.runExclusive('reconcile', 10_000, () => Promise.resolve())).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(await workerB.runExclusive('reconcile', 10_000, () => a.set(key, 'someone else'))).toBe(true);
    expect(await a.get(key)).toBe('someone else'); // B's release compared its token and left it alone
  });

  it('releases the lock when the pass fails', async () => {
    await expect(workerA.runExclusive('failing', 10_000, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await workerB.runExclusive('failing', 10_000, () => Promise.resolve())).toBe(true);
  });
});
