import { storeKeyPrefix, type RedisClient } from './storeKeys.js';

/**
 * Remembers, per call and side effect (e.g. `comment:crm_unreachable`, `reopen`), how far it got:
 *   requested → attempting:<iso time> → done | undeliverable
 * `request` is a SET NX, so a side effect is enqueued at most once however often it is asked for; an
 * `attempting` mark left behind by a dead worker tells the next one to look at the CRM before writing again.
 */
export type LedgerState =
  { state: 'none' } | { state: 'requested' } | { state: 'attempting'; since: Date } | { state: 'done' } | { state: 'undeliverable' };

const TTL_SECONDS = 30 * 24 * 60 * 60;

export class SideEffectLedger {
  private readonly p: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.p = storeKeyPrefix(prefix);
  }

  private key(callId: number, effect: string) {
    return `${this.p}fx:${callId}:${effect}`;
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

  async markDone(callId: number, effect: string): Promise<void> {
    await this.redis.set(this.key(callId, effect), 'done', 'EX', TTL_SECONDS);
  }

  async markUndeliverable(callId: number, effect: string): Promise<void> {
    await this.redis.set(this.key(callId, effect), 'undeliverable', 'EX', TTL_SECONDS);
  }
}
