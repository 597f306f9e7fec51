import type { Redis } from 'ioredis';
import type { CallEvent, CallRecord, CallStatus, NewCall } from './CallRecord.js';
import { CREATE_CALL, TRANSITION_CALL } from './luaScripts.js';
import { storeKeyPrefix } from './storeKeys.js';

export type CreateResult = { created: true; call: CallRecord } | { created: false; existingCallId: number };

export type TransitionResult =
  { result: 'ok'; call: CallRecord } | { result: 'missing' } | { result: 'conflict'; status: CallStatus | 'firing' };

export interface TransitionRequest {
  /** Statuses the call may be in for the change to apply; empty = any. */
  from?: readonly CallStatus[];
  to?: CallStatus;
  patch?: Partial<CallRecord>;
  events?: Array<{ type: string; detail?: string | null }>;
  /** Refuse when the fire job has already started (cancel must never race a running job). */
  refuseWhenFiring?: boolean;
}

export interface ListQuery {
  status?: CallStatus;
  /** A record key (see CrmAdapter.canonicalRecordId). */
  recordKey?: string;
  offset: number;
  limit: number;
}

interface StoreScripts {
  cboCreateCall(...args: string[]): Promise<unknown>;
  cboTransitionCall(...args: string[]): Promise<unknown>;
}

/** Calls in Redis: one JSON document a call, an events list, and sorted-set indexes (newest first by id). */
export class CallStore {
  private readonly p: string;

  private readonly scripts: StoreScripts;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.p = storeKeyPrefix(prefix);
    // Defined commands run by EVALSHA (the script body is sent only once per connection).
    redis.defineCommand('cboCreateCall', { numberOfKeys: 2, lua: CREATE_CALL });
    redis.defineCommand('cboTransitionCall', { numberOfKeys: 2, lua: TRANSITION_CALL });
    this.scripts = redis as unknown as StoreScripts;
  }

  private callKey(id: number) {
    return `${this.p}call:${id}`;
  }

  private eventsKey(id: number) {
    return `${this.p}events:${id}`;
  }

  /**
   * Creates a scheduled call unless its CRM record already has one in `scheduled` (the duplicate guard):
   * the check and the write are one Lua step, so concurrent requests for a record create exactly one call.
   */
  async create(call: NewCall, now: Date): Promise<CreateResult> {
    const id = await this.redis.incr(`${this.p}seq`);
    const record: CallRecord = {
      ...call,
      id,
      status: 'scheduled',
      queued_at: null,
      assigned_at: null,
      connected_at: null,
      ends_at: null,
      fail_reason: 'nothing',
      fail_details: null,
      verified_customer: false,
      bad_actor: false,
      repeat_customer: false,
      firing: false,
      decision: null,
    };
    const event = JSON.stringify({ at: now.toISOString(), type: 'scheduled', detail: `due at ${call.scheduled_at}` });
    const [outcome, other] = (await this.scripts.cboCreateCall(
      this.callKey(id),
      this.eventsKey(id),
      this.p,
      String(id),
      JSON.stringify(record),
      call.record_key ?? '',
      event,
    )) as [string, string];
    if (outcome === 'duplicate') return { created: false, existingCallId: Number(other) };
    return { created: true, call: record };
  }

  async get(id: number): Promise<CallRecord | null> {
    const raw = await this.redis.get(this.callKey(id));
    return raw ? (JSON.parse(raw) as CallRecord) : null;
  }

  async getMany(ids: readonly number[]): Promise<CallRecord[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.callKey(id)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as CallRecord);
  }

  async events(id: number): Promise<CallEvent[]> {
    const raws = await this.redis.lrange(this.eventsKey(id), 0, -1);
    return raws.map((r) => JSON.parse(r) as CallEvent);
  }

  async appendEvent(id: number, type: string, detail: string | null = null, now = new Date()): Promise<void> {
    await this.redis.rpush(this.eventsKey(id), JSON.stringify({ at: now.toISOString(), type, detail }));
  }

  /** Atomically checks the current status, applies the patch and status, and appends events. */
  async transition(id: number, req: TransitionRequest, now = new Date()): Promise<TransitionResult> {
    const events = (req.events ?? []).map((e) => JSON.stringify({ at: now.toISOString(), type: e.type, detail: e.detail ?? null }));
    const reply = (await this.scripts.cboTransitionCall(
      this.callKey(id),
      this.eventsKey(id),
      this.p,
      String(id),
      (req.from ?? []).join(','),
      req.to ?? '',
      JSON.stringify(req.patch ?? {}),
      req.refuseWhenFiring ? '1' : '0',
      ...events,
    )) as [string, string?];
    if (reply[0] === 'missing') return { result: 'missing' };
    if (reply[0] === 'conflict') return { result: 'conflict', status: reply[1] as CallStatus | 'firing' };
    return { result: 'ok', call: JSON.parse(reply[1]!) as CallRecord };
  }

  /** Ids of the calls that are active (scheduled ... connected) for a CRM record (by its record key). */
  async activeCallIds(recordKey: string): Promise<number[]> {
    return (await this.redis.smembers(`${this.p}active:${recordKey}`)).map(Number);
  }

  /** The call currently `scheduled` for a record (by its record key), if any. */
  async scheduledCallFor(recordKey: string): Promise<number | null> {
    const id = await this.redis.get(`${this.p}scheduled-for:${recordKey}`);
    return id ? Number(id) : null;
  }

  async list(q: ListQuery): Promise<{ calls: CallRecord[]; total: number }> {
    const sets: string[] = [];
    if (q.status) sets.push(`${this.p}idx:status:${q.status}`);
    if (q.recordKey) sets.push(`${this.p}idx:ticket:${q.recordKey}`);
    let ids: string[];
    let total: number;
    if (sets.length <= 1) {
      const key = sets[0] ?? `${this.p}idx:all`;
      [ids, total] = await Promise.all([this.redis.zrevrange(key, q.offset, q.offset + q.limit - 1), this.redis.zcard(key)]);
    } else {
      const all = await this.redis.zinter(sets.length, ...sets);
      all.sort((a, b) => Number(b) - Number(a));
      total = all.length;
      ids = all.slice(q.offset, q.offset + q.limit);
    }
    return { calls: await this.getMany(ids.map(Number)), total };
  }
}
