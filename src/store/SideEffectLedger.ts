import { StoreShards, callEventsKey, type RedisClient } from './storeKeys.js';

/**
 * Remembers, per call and side effect (e.g. `comment:crm_unreachable`, `reopen`), how far it got:
 *   requested → attempting:<iso time> → done | undeliverable
 * `request` is a SET NX, so a side effect is enqueued at most once however often it is asked for; an
 * `attempting` mark left behind by a dead worker tells the next one to look at the CRM before writing again.
 */
export type LedgerState =
  { state: 'none' } | { state: 'requested' } | { state: 'attempting'; since: Date } | { state: 'done' } | { state: 'undeliverable' };

const TTL_SECONDS = 30 * 24 * 60 * 60;

/** Marks the effect finished and appends the call's event in one step (KEYS: ledger entry, events). */
const FINISH = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[3])
return 1
`;

/** Ledger entries live in their call's shard, beside its events: finishing an effect and recording it is one step. */
export class SideEffectLedger {
  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly shards = new StoreShards(prefix),
  ) {
    redis.defineCommand('cboFinishEffect', { numberOfKeys: 2, lua: FINISH });
  }

  private key(callId: number, effect: string) {
    return `${this.shards.keyPrefix(this.shards.ofId(callId))}fx:${callId}:${effect}`;
  }

  /** True only for the first request of this effect for this call. */
  async request(callId: number, effect: string): Promise<boolean> {
    return (await this.redis.set(this.key(callId, effect), 'requested', 'EX', TTL_SECONDS, 'NX')) === 'OK';
  }

  async get(callId: number, effect: string): Promise<LedgerState> {
    const raw = await this.redis.get(this.key(callId, effect));
    if (!raw) return { state: 'none' };
    if (raw.startsWith('attempting:')) return { state: 'attempting', since: new Date(raw.slice('attempting:'.length)) };
    return { state: raw as 'requested' | 'done' | 'undeliverable' };
  }

  async markAttempting(callId: number, effect: string, at: Date): Promise<void> {
    await this.redis.set(this.key(callId, effect), `attempting:${at.toISOString()}`, 'EX', TTL_SECONDS);
  }

  /**
   * Marks the effect done or undeliverable and appends the call's event about it, atomically: a worker dying in
   * between can neither leave a finished effect without its event nor make a redelivered job record it twice.
   */
  async finish(
    callId: number,
    effect: string,
    outcome: 'done' | 'undeliverable',
    event: { type: string; detail: string },
    now = new Date(),
  ): Promise<void> {
    const entry = JSON.stringify({ at: now.toISOString(), type: event.type, detail: event.detail });
    await (this.redis as unknown as { cboFinishEffect(...args: string[]): Promise<unknown> }).cboFinishEffect(
      this.key(callId, effect),
      callEventsKey(this.shards, callId),
      outcome,
      String(TTL_SECONDS),
      entry,
    );
  }
}
