import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/store/CallRecord.js';
import { CallStore } from '../../src/store/CallStore.js';
import { StoreShards } from '../../src/store/storeKeys.js';
import { newCall } from '../support/newCall.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

const redis = new Redis(TEST_REDIS_URL);
const prefixes: string[] = [];
const store = (shards = 1) => {
  const prefix = uniquePrefix('callstore');
  prefixes.push(prefix);
  return { prefix, calls: new CallStore(redis, prefix, new StoreShards(prefix, shards)) };
};

afterAll(async () => {
  for (const p of prefixes) await deletePrefix(p);
  redis.disconnect();
});

async function created(calls: CallStore, ticket: string | null) {
  const result = await calls.create(newCall(ticket ?? 'x', { ticket_id: ticket, record_key: ticket }), new Date());
  if (!result.created) throw new Error(`setup: ${ticket} is a duplicate`);
  return result.call;
}

describe('CallStore: a compact record', () => {
  it('stores only what differs from the defaults, and reads back the whole call', async () => {
    const { prefix, calls } = store();
    const call = await created(calls, 'T-1');
    const raw = await redis.get(`${prefix}:{calls}:c:${call.id}`);
    expect(JSON.parse(raw!)).toEqual({
      created_at: call.created_at,
      scheduled_at: call.scheduled_at,
      menu_id: 9,
      end_user_number: '+18596579625',
      ticket_id: 'T-1',
    });
    expect(await calls.get(call.id)).toEqual(call);
    // No events key until there is an event; the `scheduled` event is rendered from the call.
    expect(await redis.exists(`${prefix}:{calls}:e:${call.id}`)).toBe(0);
    expect(await calls.events(call.id)).toEqual([{ at: call.created_at, type: 'scheduled', detail: `due at ${call.scheduled_at}` }]);
  });

  it('a transition keeps the record compact: false and null in a patch remove the field', async () => {
    const { prefix, calls } = store();
    const call = await created(calls, 'T-2');
    await calls.transition(call.id, { patch: { firing: true, fail_details: 'x' } });
    await calls.transition(call.id, { patch: { firing: false, fail_details: null } });
    const stored = JSON.parse((await redis.get(`${prefix}:{calls}:c:${call.id}`))!) as Record<string, unknown>;
    expect(Object.keys(stored)).not.toContain('firing');
    expect(Object.keys(stored)).not.toContain('fail_details');
    expect(await calls.get(call.id)).toEqual(call);
  });
});

describe('CallStore: shards', () => {
  it('spreads calls over the shards, finds each from its id, keeps the guard per record', async () => {
    const { prefix, calls } = store(6);
    const made: CallRecord[] = [];
    for (let i = 0; i < 30; i += 1) made.push(await created(calls, `REC-${i}`));
    made.push(await created(calls, null), await created(calls, null));

    expect(new Set(made.map((c) => c.id)).size).toBe(made.length);
    const shardsUsed = new Set(made.map((c) => calls.shards.ofId(c.id)));
    expect(shardsUsed.size).toBe(6);
    for (const call of made) {
      expect(await redis.exists(`${prefix}:{calls-${calls.shards.ofId(call.id)}}:c:${call.id}`)).toBe(1);
      expect((await calls.get(call.id))!.ticket_id).toBe(call.ticket_id);
    }
    const again = await calls.create(newCall('REC-7'), new Date());
    expect(again).toEqual({ created: false, existingCallId: made[7]!.id });
  });

  it('lists newest first across shards with the right total, and by record', async () => {
    const { calls } = store(4);
    const made: CallRecord[] = [];
    for (let i = 0; i < 12; i += 1) made.push(await created(calls, `L-${i}`));
    const newestFirst = made.map((c) => c.id).reverse();

    const page1 = await calls.list({ offset: 0, limit: 5 });
    const page2 = await calls.list({ offset: 5, limit: 5 });
    expect(page1.total).toBe(12);
    expect([...page1.calls, ...page2.calls].map((c) => c.id)).toEqual(newestFirst.slice(0, 10));

    await calls.transition(made[3]!.id, { from: ['scheduled'], to: 'canceled' });
    const scheduled = await calls.list({ status: 'scheduled', offset: 0, limit: 100 });
    expect(scheduled.total).toBe(11);
    expect(scheduled.calls.map((c) => c.id)).toEqual(newestFirst.filter((id) => id !== made[3]!.id));
    expect((await calls.list({ recordKey: 'L-3', offset: 0, limit: 10 })).calls.map((c) => c.id)).toEqual([made[3]!.id]);
    expect((await calls.list({ recordKey: 'L-3', status: 'scheduled', offset: 0, limit: 10 })).total).toBe(0);
  });
});

describe('CallStore: housekeeping indexes', () => {
  it('a final call leaves pending and dialing, enters ended; purge removes it with everything it owns', async () => {
    const { prefix, calls } = store();
    const call = await created(calls, 'H-1');
    const p = `${prefix}:{calls}:`;
    expect(await calls.dueIn('pending', 0, Date.now() + 1, 10)).toEqual([call.id]);
    await calls.jobStored(call.id);
    expect(await calls.dueIn('pending', 0, Date.now() + 1, 10)).toEqual([]);

    await calls.transition(call.id, { from: ['scheduled'], to: 'queued', events: [{ type: 'status', detail: 'queued' }] });
    expect(await calls.dueIn('dialing', 0, Date.now() + 1, 10)).toEqual([call.id]);
    expect(await calls.activeCallIds('H-1')).toEqual([call.id]);
    expect(await calls.purge(call.id)).toBe(false); // not final: never purged

    await calls.transition(call.id, { from: ['queued'], to: 'finished' });
    expect(await calls.dueIn('dialing', 0, Date.now() + 1, 10)).toEqual([]);
    expect(await calls.dueIn('ended', 0, Date.now() + 1, 10)).toEqual([call.id]);
    expect(await calls.activeCallIds('H-1')).toEqual([]);

    expect(await calls.purge(call.id)).toBe(true);
    expect(await calls.get(call.id)).toBeNull();
    expect((await calls.list({ offset: 0, limit: 10 })).total).toBe(0);
    expect((await calls.list({ status: 'finished', offset: 0, limit: 10 })).total).toBe(0);
    expect((await calls.list({ recordKey: 'H-1', offset: 0, limit: 10 })).total).toBe(0);
    expect(await calls.dueIn('ended', 0, Date.now() + 1, 10)).toEqual([]);
    expect(await redis.keys(`${p}*`)).toEqual([`${p}seq`]);
  });
});

describe('CallStore: the outbox of announced outcome events', () => {
  const all = (calls: CallStore, shard = 0) => calls.announcementsDue(shard, Date.now() + 60_000, 100);

  it('writes an announcement with the change that announces it, in the call’s shard, and only when the change applies', async () => {
    const { calls } = store(3);
    const call = await created(calls, 'T-out-1');
    const shard = calls.shards.ofId(call.id);
    const canceled = { type: 'call.canceled', eventKey: `${call.id}-canceled` };
    await calls.transition(call.id, { from: ['scheduled'], to: 'canceled', announce: [canceled] });
    // Refused (no longer scheduled): its announcement is not written.
    await calls.transition(call.id, { from: ['scheduled'], to: 'canceled', announce: [{ type: 'call.canceled', eventKey: 'refused' }] });
    expect(await all(calls, shard)).toEqual([{ callId: call.id, ...canceled }]);

    await calls.settleAnnouncement(call.id, canceled);
    expect(await all(calls, shard)).toEqual([]);
  });

  it('gives a new call’s announcements its id, and an appended event its own', async () => {
    const { calls } = store();
    const result = await calls.create(newCall('T-out-2'), new Date(), [
      { type: 'call.created', eventKey: '{id}-created' },
      { type: 'call.deferred', eventKey: '{id}-deferred-5' },
    ]);
    if (!result.created) throw new Error('setup: duplicate');
    const id = result.call.id;
    await calls.appendEvent(id, 'retry_scheduled', '99', new Date(), [{ type: 'call.retry_scheduled', eventKey: `${id}-retry_scheduled` }]);
    expect(await all(calls)).toEqual([
      { callId: id, type: 'call.created', eventKey: `${id}-created` },
      { callId: id, type: 'call.deferred', eventKey: `${id}-deferred-5` },
      { callId: id, type: 'call.retry_scheduled', eventKey: `${id}-retry_scheduled` },
    ]);
    expect((await calls.events(id)).map((e) => e.type)).toEqual(['scheduled', 'retry_scheduled']);
    // A refused create announces nothing.
    await calls.create(newCall('T-out-2'), new Date(), [{ type: 'call.created', eventKey: '{id}-created' }]);
    expect(await all(calls)).toHaveLength(3);
    // Taken out by the announcement as the caller made it, `{id}` and all.
    await calls.settleAnnouncement(id, { type: 'call.created', eventKey: '{id}-created' });
    expect((await all(calls)).map((a) => a.type)).toEqual(['call.deferred', 'call.retry_scheduled']);
  });

  it('takes announcements back in the same step as a change that applies (a create answered 503), not with a refused one', async () => {
    const { calls } = store();
    const announce = [{ type: 'call.created', eventKey: '{id}-created' }];
    const result = await calls.create(newCall('T-out-5'), new Date(), announce);
    if (!result.created) throw new Error('setup: duplicate');
    const id = result.call.id;
    await calls.transition(id, { from: ['canceled'], to: 'failed', withdraw: announce }); // refused: not canceled
    expect(await all(calls)).toEqual([{ callId: id, type: 'call.created', eventKey: `${id}-created` }]);
    await calls.transition(id, { from: ['scheduled'], to: 'canceled', withdraw: announce });
    expect(await all(calls)).toEqual([]);
  });

  it('answers only the announcements written at or before the time asked, oldest first', async () => {
    const { calls } = store();
    const first = await created(calls, 'T-out-3');
    const second = await created(calls, 'T-out-4');
    await calls.transition(second.id, { patch: {}, announce: [{ type: 'call.rescheduled', eventKey: 'b' }] }, new Date(2_000_000_000_000));
    await calls.transition(first.id, { patch: {}, announce: [{ type: 'call.rescheduled', eventKey: 'a' }] }, new Date(1_000_000_000_000));
    expect((await calls.announcementsDue(0, 1_500_000_000_000, 10)).map((a) => a.eventKey)).toEqual(['a']);
    expect((await calls.announcementsDue(0, 2_000_000_000_000, 10)).map((a) => a.eventKey)).toEqual(['a', 'b']);
  });
});
