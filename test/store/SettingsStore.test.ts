import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CLOSED_RECORD_POLICIES, type ClosedRecordPolicy } from '../../src/policy/ClosedRecordPolicy.js';
import { HISTORY_LIMIT, SettingsStore, type PolicyChange } from '../../src/store/SettingsStore.js';
import { storeKeyPrefix } from '../../src/store/storeKeys.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

const INITIAL: ClosedRecordPolicy = 'reopen';
const prefixes: string[] = [];
const connections: Redis[] = [];

afterAll(async () => {
  for (const redis of connections) redis.disconnect();
  for (const p of prefixes) await deletePrefix(p);
});

/** A fresh prefix and `count` stores on it, each on a connection of its own (as API processes and workers are). */
function stores(count: number): { prefix: string; stores: SettingsStore[] } {
  const prefix = uniquePrefix('settings-store');
  prefixes.push(prefix);
  const list = Array.from({ length: count }, () => {
    const redis = new Redis(TEST_REDIS_URL);
    connections.push(redis);
    return new SettingsStore(redis, prefix, INITIAL);
  });
  return { prefix, stores: list };
}

/** The whole trail, oldest first. */
const chronological = async (store: SettingsStore) => (await store.history(HISTORY_LIMIT)).reverse();

describe('SettingsStore.setClosedRecordPolicy', () => {
  it('keeps the audit trail a consistent chain under many concurrent changes from several connections', async () => {
    const { stores: all } = stores(6);
    const results: Array<PolicyChange | null> = [];
    // Each connection saves a run of values; every value differs from the one before on that connection, so
    // most saves are real changes racing with the other connections' saves.
    await Promise.all(
      all.map(async (store, s) => {
        const pending: Array<Promise<void>> = [];
        for (let i = 0; i < 50; i++) {
          const value = CLOSED_RECORD_POLICIES[(s + i) % CLOSED_RECORD_POLICIES.length]!;
          pending.push(store.setClosedRecordPolicy(value, `admin-${s}`).then((r) => void results.push(r)));
        }
        await Promise.all(pending);
      }),
    );

    const trail = await chronological(all[0]!);
    const changes = results.filter((r): r is PolicyChange => r !== null);
    expect(changes.length).toBeGreaterThan(10); // the race really happened
    // No change without its entry, and no entry without a change.
    expect(trail).toHaveLength(changes.length);
    expect(trail).toEqual(expect.arrayContaining(changes));
    // Each entry starts where the one before it ended; the last ends at the stored value.
    expect(trail[0]!.old).toBe(INITIAL);
    trail.forEach((entry, i) => {
      expect(entry.new).not.toBe(entry.old);
      if (i > 0) expect({ index: i, old: entry.old }).toEqual({ index: i, old: trail[i - 1]!.new });
    });
    expect(await all[1]!.getClosedRecordPolicy()).toBe(trail.at(-1)!.new);
  });

  it('records who, when, old and new, and answers the change it made', async () => {
    const [store] = stores(1).stores;
    const at = new Date('2024-05-01T10:00:00.000Z');
    const user = 'Zoë "admin" </b> \\ ünïcode';
    const change = await store!.setClosedRecordPolicy('cancel', user, at);
    expect(change).toEqual({ at: '2024-05-01T10:00:00.000Z', user, old: INITIAL, new: 'cancel' });
    expect(await store!.history()).toEqual([change]);
    expect(await store!.getClosedRecordPolicy()).toBe('cancel');
  });

  it('records nothing when the value is the same as the current one', async () => {
    const [store] = stores(1).stores;
    expect(await store!.setClosedRecordPolicy(INITIAL, 'admin')).toBeNull(); // same as the config's value
    expect(await store!.history()).toEqual([]);
    await store!.setClosedRecordPolicy('dont_check', 'admin');
    expect(await store!.setClosedRecordPolicy('dont_check', 'other-admin')).toBeNull();
    expect((await store!.history()).map((c) => c.user)).toEqual(['admin']);
    expect(await store!.getClosedRecordPolicy()).toBe('dont_check');
  });

  it('leaves the policy unchanged when the audit entry cannot be written', async () => {
    const { prefix, stores: list } = stores(1);
    const store = list[0]!;
    // A history key of the wrong type makes the entry's write fail: the step that would change the policy
    // without its entry.
    await connections.at(-1)!.set(`${storeKeyPrefix(prefix)}settings:crm:history`, 'not a list');
    await expect(store.setClosedRecordPolicy('cancel', 'admin')).rejects.toThrow(/WRONGTYPE/);
    expect(await store.getClosedRecordPolicy()).toBe(INITIAL);
  });

  it(`keeps the last ${HISTORY_LIMIT} changes`, async () => {
    const [store] = stores(1).stores;
    const values: ClosedRecordPolicy[] = ['cancel', 'dont_check'];
    const total = HISTORY_LIMIT + 5;
    for (let i = 0; i < total; i++) await store!.setClosedRecordPolicy(values[i % 2]!, `admin-${i}`);
    const trail = await store!.history(HISTORY_LIMIT + 10);
    expect(trail).toHaveLength(HISTORY_LIMIT);
    expect(trail[0]!.user).toBe(`admin-${total - 1}`);
    expect(trail.at(-1)!.user).toBe(`admin-${total - HISTORY_LIMIT}`);
  });
});

describe('SettingsStore.getClosedRecordPolicy', () => {
  it('answers the value saved last, from any connection, and the configured one until then', async () => {
    const {
      stores: [worker, admin],
    } = stores(2);
    expect(await worker!.getClosedRecordPolicy()).toBe(INITIAL);
    await admin!.setClosedRecordPolicy('cancel', 'admin');
    expect(await worker!.getClosedRecordPolicy()).toBe('cancel');
  });

  it('lets the reads asked for in one tick (callbacks due together) share one GET', async () => {
    const {
      stores: [worker],
    } = stores(1);
    const redis = connections.at(-1)!;
    const gets = vi.spyOn(redis, 'get');
    const answers = await Promise.all(Array.from({ length: 50 }, () => worker!.getClosedRecordPolicy()));
    expect(answers).toEqual(Array(50).fill(INITIAL));
    expect(gets).toHaveBeenCalledTimes(1);
  });

  it('never answers a read with a value older than a change acknowledged before the read was asked', async () => {
    const {
      stores: [worker, admin],
    } = stores(2);
    // A read is under way when the change is made: the reads asked after the change was acknowledged see it.
    const before = worker!.getClosedRecordPolicy();
    await admin!.setClosedRecordPolicy('dont_check', 'admin');
    const after = await Promise.all([worker!.getClosedRecordPolicy(), worker!.getClosedRecordPolicy()]);
    expect(after).toEqual(['dont_check', 'dont_check']);
    expect(['dont_check', INITIAL]).toContain(await before);
  });
});
