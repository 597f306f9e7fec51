import type { Redis } from 'ioredis';
import type { ClosedRecordPolicy } from '../policy/ClosedRecordPolicy.js';
import { storeKeyPrefix } from './storeKeys.js';

export interface PolicyChange {
  at: string;
  user: string;
  old: ClosedRecordPolicy;
  new: ClosedRecordPolicy;
}

const HISTORY_LIMIT = 1000;

/**
 * The Salesforce closed-record policy, live. Stored in Redis so every worker reads the current value when a
 * callback fires; the config file only gives the value used until an admin first changes it.
 */
export class SettingsStore {
  private readonly key: string;
  private readonly historyKey: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly initialPolicy: ClosedRecordPolicy,
  ) {
    const p = storeKeyPrefix(prefix);
    this.key = `${p}settings:crm:salesforce:closedRecordPolicy`;
    this.historyKey = `${p}settings:crm:history`;
  }

  async getClosedRecordPolicy(): Promise<ClosedRecordPolicy> {
    return ((await this.redis.get(this.key)) as ClosedRecordPolicy | null) ?? this.initialPolicy;
  }

  /** Sets the policy and appends the audit entry in one step (no change is recorded when the value is the same). */
  async setClosedRecordPolicy(value: ClosedRecordPolicy, user: string, now = new Date()): Promise<PolicyChange | null> {
    const previous = (await this.redis.getset(this.key, value)) as ClosedRecordPolicy | null;
    const old = previous ?? this.initialPolicy;
    if (old === value) return null;
    const change: PolicyChange = { at: now.toISOString(), user, old, new: value };
    await this.redis
      .multi()
      .lpush(this.historyKey, JSON.stringify(change))
      .ltrim(this.historyKey, 0, HISTORY_LIMIT - 1)
      .exec();
    return change;
  }

  /** Newest first. */
  async history(limit = 100): Promise<PolicyChange[]> {
    const raws = await this.redis.lrange(this.historyKey, 0, limit - 1);
    return raws.map((r) => JSON.parse(r) as PolicyChange);
  }
}
