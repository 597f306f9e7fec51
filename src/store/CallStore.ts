import { CALL_STATUSES, type CallEvent, type CallRecord, type CallStatus, type NewCall } from './CallRecord.js';
import { APPEND_EVENT, CREATE_CALL, FIRE_VIEW, PURGE_CALL, TRANSITION_CALL } from './luaScripts.js';
import { NEW_CALL_DEFAULTS, fromStoredCall, toStoredCall } from './storedCall.js';
import { StoreShards, callEventsKey, type RedisClient } from './storeKeys.js';

export type CreateResult = { created: true; call: CallRecord } | { created: false; existingCallId: number };

export type TransitionResult =
  { result: 'ok'; call: CallRecord } | { result: 'missing' } | { result: 'conflict'; status: CallStatus | 'firing' | 'rescheduled' };

export type UpdateResult = Exclude<TransitionResult, { result: 'ok' }> | { result: 'ok' };

function conflictOrMissing(reply: [string, string?]): Exclude<TransitionResult, { result: 'ok' }> {
  if (reply[0] === 'missing') return { result: 'missing' };
  return { result: 'conflict', status: reply[1] as CallStatus | 'firing' | 'rescheduled' };
}

/** What the fire step reads in one round trip (see FIRE_VIEW). */
export interface FireView {
  call: CallRecord;
  events: CallEvent[];
  /** Ids of the active calls of the call's record (the call itself included when it is still scheduled). */
  activeCallIds: number[];
}

/**
 * An outcome event that a change announces: written to the shard's outbox in the same step as the change, and
 * taken out once its webhook jobs are queued, so that a crash in between loses no event (see OutboxRelay).
 */
export interface Announcement {
  type: string;
  /** In `create`, `{id}` stands for the id the new call gets. */
  eventKey: string;
}

/** An announcement still in the outbox, with the call it is about. */
export interface PendingAnnouncement extends Announcement {
  callId: number;
}

const outboxMember = (callId: number | string, a: Announcement) => `${callId} ${a.type} ${a.eventKey.replaceAll('{id}', String(callId))}`;
const announceArg = (callId: number | string, list: readonly Announcement[] = []) => list.map((a) => outboxMember(callId, a)).join('\n');

export interface TransitionRequest {
  /** Statuses the call may be in for the change to apply; empty = any. */
  from?: readonly CallStatus[];
  to?: CallStatus;
  patch?: Partial<CallRecord>;
  events?: Array<{ type: string; detail?: string | null }>;
  /** Refuse when the fire job has already started (cancel must never race a running job). */
  refuseWhenFiring?: boolean;
  /** Refuse (conflict `rescheduled`) unless the call is still due at this time: it was read before, then moved. */
  ifScheduledAt?: string;
  /** Outcome events the change announces (written only when it applies). */
  announce?: readonly Announcement[];
  /** Announcements the change takes back (its events are never to be sent), in the same step. */
  withdraw?: readonly Announcement[];
}

export interface ListQuery {
  status?: CallStatus;
  /** A record key (see CrmAdapter.canonicalRecordId). */
  recordKey?: string;
  offset: number;
  limit: number;
}

/** The per-shard time indexes the housekeeping passes page through (see luaScripts.ts). */
export type TimeIndex = 'pending' | 'dialing' | 'ended';

interface StoreScripts {
  cboCreateCall(...args: string[]): Promise<unknown>;
  cboTransitionCall(...args: string[]): Promise<unknown>;
  cboPurgeCall(...args: string[]): Promise<unknown>;
  cboFireView(...args: string[]): Promise<unknown>;
  cboAppendEvent(...args: string[]): Promise<unknown>;
}

/**
 * Calls in Redis, spread over hash-tagged shards (StoreShards): a compact document a call, its events once
 * there are any, an id-ordered index a status, one hash a CRM record (duplicate guard, active calls, its calls), and the
 * time indexes that let housekeeping look only at the calls that need it.
 */
export class CallStore {
  private readonly scripts: StoreScripts;
  private nextShard = 0;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    readonly shards: StoreShards = new StoreShards(prefix),
  ) {
    // Defined commands run by EVALSHA (the script body is sent only once per connection).
    redis.defineCommand('cboCreateCall', { numberOfKeys: 1, lua: CREATE_CALL });
    redis.defineCommand('cboTransitionCall', { numberOfKeys: 1, lua: TRANSITION_CALL });
    redis.defineCommand('cboPurgeCall', { numberOfKeys: 1, lua: PURGE_CALL });
    redis.defineCommand('cboFireView', { numberOfKeys: 1, lua: FIRE_VIEW });
    redis.defineCommand('cboAppendEvent', { numberOfKeys: 1, lua: APPEND_EVENT });
    this.scripts = redis as unknown as StoreScripts;
  }

  private p(shard: number) {
    return this.shards.keyPrefix(shard);
  }

  private callKey(id: number) {
    return `${this.p(this.shards.ofId(id))}c:${id}`;
  }

  private eventsKey(id: number) {
    return callEventsKey(this.shards, id);
  }

  private recordKeyOf(recordKey: string) {
    return `${this.p(this.shards.ofRecord(recordKey))}r:${recordKey}`;
  }

  /**
   * Creates a scheduled call unless its CRM record already has one in `scheduled` (the duplicate guard):
   * the check and the write are one Lua step, so concurrent requests for a record create exactly one call.
   * The call stays in the `pending` index until `jobStored` says its fire job exists.
   */
  async create(call: NewCall, now: Date, announce: readonly Announcement[] = []): Promise<CreateResult> {
    const shard = call.record_key ? this.shards.ofRecord(call.record_key) : this.roundRobinShard();
    // One shard: the script takes the id from the shard's sequence. More: from the global one, shard in the id.
    const id = this.shards.count === 1 ? '' : String(this.shards.shardedId(await this.redis.incr(this.shards.idSequenceKey), shard));
    const p = this.p(shard);
    // Object.assign, not `{ ...NEW_CALL_DEFAULTS, ...call }`: V8 takes a slow path for a second spread (tens of µs).
    const record: CallRecord = Object.assign({ id: 0 }, NEW_CALL_DEFAULTS, call);
    const [outcome, value] = (await this.scripts.cboCreateCall(
      `${p}st:scheduled`,
      p,
      id,
      toStoredCall(record),
      call.record_key ?? '',
      String(now.getTime()),
      announceArg('{id}', announce),
    )) as [string, string];
    if (outcome === 'duplicate') return { created: false, existingCallId: Number(value) };
    record.id = Number(value);
    return { created: true, call: record };
  }

  /** The call's fire job exists: it no longer needs the reconciler's attention. */
  async jobStored(id: number): Promise<void> {
    await this.redis.zrem(`${this.p(this.shards.ofId(id))}pending`, String(id));
  }

  /** Puts a scheduled call back under the reconciler's watch (its fire job failed for good, say). */
  async needsJobCheck(id: number, now = Date.now()): Promise<void> {
    await this.redis.zadd(`${this.p(this.shards.ofId(id))}pending`, now, String(id));
  }

  async get(id: number): Promise<CallRecord | null> {
    const raw = await this.redis.get(this.callKey(id));
    return raw ? fromStoredCall(id, raw) : null;
  }

  /** The calls that still exist, in the order asked (one MGET per shard: a Cluster refuses cross-slot MGET). */
  async getMany(ids: readonly number[]): Promise<CallRecord[]> {
    const byShard = new Map<number, number[]>();
    for (const id of ids) byShard.set(this.shards.ofId(id), [...(byShard.get(this.shards.ofId(id)) ?? []), id]);
    const found = new Map<number, CallRecord>();
    await Promise.all(
      [...byShard.values()].map(async (shardIds) => {
        const raws = await this.redis.mget(shardIds.map((id) => this.callKey(id)));
        raws.forEach((raw, i) => raw && found.set(shardIds[i]!, fromStoredCall(shardIds[i]!, raw)));
      }),
    );
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  /** The call's events: the implicit `scheduled` one (from the call itself), then those stored. */
  async events(id: number, call?: CallRecord | null): Promise<CallEvent[]> {
    const [known, raws] = await Promise.all([call ?? this.get(id), this.redis.lrange(this.eventsKey(id), 0, -1)]);
    return known ? callEvents(known, raws) : raws.map((r) => JSON.parse(r) as CallEvent);
  }

  /** The call, its events and its record's active calls, read at once for the fire step. */
  async fireView(id: number): Promise<FireView | null> {
    const reply = (await this.scripts.cboFireView(this.callKey(id), this.p(this.shards.ofId(id)), String(id))) as
      [string, string[], string[]] | null;
    if (!reply) return null;
    const call = fromStoredCall(id, reply[0]);
    return { call, events: callEvents(call, reply[1]), activeCallIds: reply[2].map(Number) };
  }

  async appendEvent(
    id: number,
    type: string,
    detail: string | null = null,
    now = new Date(),
    announce: readonly Announcement[] = [],
  ): Promise<void> {
    const event = JSON.stringify({ at: now.toISOString(), type, detail });
    if (announce.length === 0) await this.redis.rpush(this.eventsKey(id), event);
    else
      await this.scripts.cboAppendEvent(
        this.eventsKey(id),
        this.p(this.shards.ofId(id)),
        String(now.getTime()),
        announceArg(id, announce),
        event,
      );
  }

  /** Announcements of a shard written at or before `until` (ms) and still in the outbox, oldest first, at most `limit`. */
  async announcementsDue(shard: number, until: number, limit: number): Promise<PendingAnnouncement[]> {
    const members = await this.redis.zrangebyscore(`${this.p(shard)}outbox`, '-inf', until, 'LIMIT', 0, limit);
    return members.map((member) => {
      const [callId, type, eventKey] = member.split(' ') as [string, string, string];
      return { callId: Number(callId), type, eventKey };
    });
  }

  /** An announcement that could not be published now: due again `OutboxRelay`'s grace time after `now` (ms). */
  async postponeAnnouncement(callId: number, a: Announcement, now: number): Promise<void> {
    await this.redis.zadd(`${this.p(this.shards.ofId(callId))}outbox`, 'XX', now, outboxMember(callId, a));
  }

  /** The announced event is queued (or no longer to be sent): out of the outbox. */
  async settleAnnouncement(callId: number, a: Announcement): Promise<void> {
    await this.redis.zrem(`${this.p(this.shards.ofId(callId))}outbox`, outboxMember(callId, a));
  }

  /** Atomically checks the current status, applies the patch and status, moves the indexes, appends events. */
  async transition(id: number, req: TransitionRequest, now = new Date()): Promise<TransitionResult> {
    const reply = await this.runTransition(id, req, now, true);
    if (reply[0] !== 'ok') return conflictOrMissing(reply);
    return { result: 'ok', call: fromStoredCall(id, reply[1]!) };
  }

  /** `transition` for a caller that knows the call already: the call is not sent back (the fire step's hot path). */
  async update(id: number, req: TransitionRequest, now = new Date()): Promise<UpdateResult> {
    const reply = await this.runTransition(id, req, now, false);
    return reply[0] === 'ok' ? { result: 'ok' } : conflictOrMissing(reply);
  }

  private async runTransition(id: number, req: TransitionRequest, now: Date, replyWithCall: boolean): Promise<[string, string?]> {
    const at = now.toISOString();
    const events = (req.events ?? []).map((e) => JSON.stringify(eventAt(at, e)));
    return (await this.scripts.cboTransitionCall(
      this.callKey(id),
      this.p(this.shards.ofId(id)),
      String(id),
      (req.from ?? []).join(','),
      req.to ?? '',
      JSON.stringify(req.patch ?? {}),
      req.refuseWhenFiring ? '1' : '0',
      String(now.getTime()),
      req.ifScheduledAt ?? '',
      replyWithCall ? '1' : '0',
      announceArg(id, req.announce),
      announceArg(id, req.withdraw),
      ...events,
    )) as [string, string?];
  }

  /** Deletes a final call with its events and index entries (retention); false if it is gone or not final. */
  async purge(id: number): Promise<boolean> {
    return (await this.scripts.cboPurgeCall(this.callKey(id), this.p(this.shards.ofId(id)), String(id))) === 1;
  }

  /** Ids in a shard's time index whose time is at or before `until` (ms), oldest first, at most `limit`. */
  async dueIn(index: TimeIndex, shard: number, until: number, limit: number): Promise<number[]> {
    return (await this.redis.zrangebyscore(`${this.p(shard)}${index}`, '-inf', until, 'LIMIT', 0, limit)).map(Number);
  }

  /** Drops an id from a time index (the call no longer needs that pass). */
  async forget(index: TimeIndex, id: number): Promise<void> {
    await this.redis.zrem(`${this.p(this.shards.ofId(id))}${index}`, String(id));
  }

  /** Ids of the calls that are active (scheduled ... connected) for a CRM record (by its record key). */
  async activeCallIds(recordKey: string): Promise<number[]> {
    const calls = await this.redis.hgetall(this.recordKeyOf(recordKey));
    return Object.entries(calls)
      .filter(([field, state]) => field !== 's' && state === '1')
      .map(([field]) => Number(field));
  }

  /** The call currently `scheduled` for a record (by its record key), if any. */
  async scheduledCallFor(recordKey: string): Promise<number | null> {
    const id = await this.redis.hget(this.recordKeyOf(recordKey), 's');
    return id ? Number(id) : null;
  }

  /** Newest first, across every shard (and every status when none is asked); `total` counts all that match. */
  async list(q: ListQuery): Promise<{ calls: CallRecord[]; total: number }> {
    if (q.recordKey !== undefined) return this.listForRecord(q.recordKey, q);
    const indexes = this.shards.all().flatMap((n) => (q.status ? [q.status] : CALL_STATUSES).map((status) => `${this.p(n)}st:${status}`));
    const [pages, counts] = await Promise.all([
      // The page may come from any index: each gives its newest offset+limit, merged by id (creation order).
      Promise.all(indexes.map((key) => this.redis.zrevrange(key, 0, q.offset + q.limit - 1))),
      Promise.all(indexes.map((key) => this.redis.zcard(key))),
    ]);
    const ids = pages
      .flat()
      .map(Number)
      .sort((a, b) => b - a)
      .slice(q.offset, q.offset + q.limit);
    return { calls: await this.getMany(ids), total: counts.reduce((a, b) => a + b, 0) };
  }

  private async listForRecord(recordKey: string, q: ListQuery): Promise<{ calls: CallRecord[]; total: number }> {
    const fields = await this.redis.hkeys(this.recordKeyOf(recordKey));
    const ids = fields
      .filter((f) => f !== 's')
      .map(Number)
      .sort((a, b) => b - a);
    if (!q.status) return { calls: await this.getMany(ids.slice(q.offset, q.offset + q.limit)), total: ids.length };
    const matching = (await this.getMany(ids)).filter((c) => c.status === q.status);
    return { calls: matching.slice(q.offset, q.offset + q.limit), total: matching.length };
  }

  private roundRobinShard(): number {
    this.nextShard = (this.nextShard + 1) % this.shards.count;
    return this.nextShard;
  }
}

/** A call's events as shown: the implicit `scheduled` one (rendered from the call), then the stored ones. */
export function callEvents(call: CallRecord, stored: readonly string[]): CallEvent[] {
  return [
    { at: call.created_at, type: 'scheduled', detail: `due at ${call.scheduled_at}` },
    ...stored.map((r) => JSON.parse(r) as CallEvent),
  ];
}

/** The event a transition stores, as it will read back (`now` as an ISO string when the caller has it already). */
export function eventAt(now: Date | string, e: { type: string; detail?: string | null }): CallEvent {
  return { at: typeof now === 'string' ? now : now.toISOString(), type: e.type, detail: e.detail ?? null };
}
