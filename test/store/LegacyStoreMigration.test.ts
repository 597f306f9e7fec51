import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/store/CallRecord.js';
import { CallStore } from '../../src/store/CallStore.js';
import { NEW_CALL_DEFAULTS } from '../../src/store/storedCall.js';
import { StoreShards } from '../../src/store/storeKeys.js';
import { claimStoreLayout } from '../../src/store/StoreLayout.js';
import { newCall } from '../support/newCall.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

const redis = new Redis(TEST_REDIS_URL);
const prefix = uniquePrefix('legacy');
const p = `${prefix}:{calls}:`;

afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

/** A call as version 0.1 stored it: the whole document, an events list starting with `scheduled`, its indexes. */
async function legacyCall(id: number, status: CallRecord['status'], ticket: string | null, extra: Partial<CallRecord> = {}) {
  const call: CallRecord = {
    ...newCall(ticket ?? 'x', { ticket_id: ticket, record_key: ticket }),
    ...NEW_CALL_DEFAULTS,
    id,
    status,
    ...extra,
  };
  await redis.set(`${p}call:${id}`, JSON.stringify(call));
  await redis.rpush(`${p}events:${id}`, JSON.stringify({ at: call.created_at, type: 'scheduled', detail: `due at ${call.scheduled_at}` }));
  if (status !== 'scheduled')
    await redis.rpush(`${p}events:${id}`, JSON.stringify({ at: call.created_at, type: 'status', detail: status }));
  await redis.zadd(`${p}idx:all`, id, id);
  await redis.zadd(`${p}idx:status:${status}`, id, id);
  if (ticket) {
    if (status === 'scheduled') await redis.set(`${p}scheduled-for:${ticket}`, id);
    if (!['finished', 'failed', 'canceled'].includes(status)) await redis.sadd(`${p}active:${ticket}`, id);
    await redis.zadd(`${p}idx:ticket:${ticket}`, id, id);
  }
  await redis.set(`${p}seq`, id);
  return call;
}

describe('moving calls stored by version 0.1', () => {
  it('keeps every call, its events, the guard and the id sequence; nothing of the old layout is left', async () => {
    const scheduled = await legacyCall(1, 'scheduled', 'T1');
    const queued = await legacyCall(2, 'queued', 'T2', { queued_at: new Date().toISOString() });
    const canceled = await legacyCall(3, 'canceled', 'T1', { fail_reason: 'canceled_by_request', ends_at: new Date().toISOString() });
    const noTicket = await legacyCall(4, 'scheduled', null);

    const calls = new CallStore(redis, prefix);
    expect(await claimStoreLayout(redis, prefix, new StoreShards(prefix))).toBe(4);

    for (const call of [scheduled, queued, canceled, noTicket]) expect(await calls.get(call.id)).toEqual(call);
    expect((await calls.events(1)).map((e) => e.type)).toEqual(['scheduled']);
    expect((await calls.events(2)).map((e) => e.type)).toEqual(['scheduled', 'status']);
    expect((await calls.list({ offset: 0, limit: 10 })).calls.map((c) => c.id)).toEqual([4, 3, 2, 1]);
    expect((await calls.list({ recordKey: 'T1', offset: 0, limit: 10 })).calls.map((c) => c.id)).toEqual([3, 1]);
    expect(await calls.scheduledCallFor('T1')).toBe(1);
    expect((await calls.activeCallIds('T2')).sort()).toEqual([2]);
    expect(await calls.dueIn('dialing', 0, Date.now() + 1, 10)).toEqual([2]);
    expect(await calls.dueIn('ended', 0, Date.now() + 1, 10)).toEqual([3]);

    expect(await calls.create(newCall('T1'), new Date())).toEqual({ created: false, existingCallId: 1 });
    const next = await calls.create(newCall('T9'), new Date());
    expect(next.created && next.call.id).toBe(5);

    const left = (await redis.keys(`${p}*`)).filter((k) => /:(call|events|idx|scheduled-for|active):/.test(k) || k.endsWith(':idx:all'));
    expect(left).toEqual([]);
    expect(await claimStoreLayout(redis, prefix, new StoreShards(prefix))).toBe(0); // once only
  });
});
