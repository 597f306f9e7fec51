import type { ClosedRecordPolicy } from '../policy/ClosedRecordPolicy.js';
import { SET_CLOSED_RECORD_POLICY } from './luaScripts.js';
import { storeKeyPrefix, type RedisClient } from './storeKeys.js';

export interface PolicyChange {
  at: string;
  user: string;
  old: ClosedRecordPolicy;
  new: ClosedRecordPolicy;
}

/** The audit trail keeps this many changes, newest first. */
export const HISTORY_LIMIT = 1000;

interface SettingsScripts {
  cboSetClosedRecordPolicy(...args: string[]): Promise<string | null>;
}

/**
 * The Salesforce closed-record policy, live. Stored in Redis so every worker reads the current value when a
 * callback fires; the config file only gives the value used until an admin first changes it.
 */
export class SettingsStore {
  private readonly key: string;
  private readonly historyKey: string;
  private readonly scripts: SettingsScripts;
  /** The policy read that callers of this tick share, until it is sent. */
  private sharedRead: Promise<ClosedRecordPolicy> | null = null;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly initialPolicy: ClosedRecordPolicy,
  ) {
    const p = storeKeyPrefix(prefix);
    this.key = `${p}settings:crm:salesforce:closedRecordPolicy`;
    this.historyKey = `${p}settings:crm:history`;
    // Run by EVALSHA, like the call store's scripts.
    redis.defineCommand('cboSetClosedRecordPolicy', { numberOfKeys: 2, lua: SET_CLOSED_RECORD_POLICY });
    this.scripts = redis as unknown as SettingsScripts;
  }

  /**
   * The current policy. The reads asked for in one tick (a burst of callbacks coming due together) share one GET,
   * sent once they have all asked: each still sees every change acknowledged before it asked, as a GET of its own
   * would, and a burst of N costs one command instead of N.
   */
  getClosedRecordPolicy(): Promise<ClosedRecordPolicy> {
    this.sharedRead ??= new Promise<void>((resolve) => process.nextTick(resolve)).then(async () => {
      this.sharedRead = null; // sent now: whoever asks from here on reads again
      return ((await this.redis.get(this.key)) as ClosedRecordPolicy | null) ?? this.initialPolicy;
    });
    return this.sharedRead;
  }

  /**
   * Sets the policy and appends its audit entry in one atomic step, so that concurrent changes chain (each
   * entry's `old` is the `new` before it) and no change is ever stored without its entry. Saving the current
   * value writes nothing and answers null.
   */
  async setClosedRecordPolicy(value: ClosedRecordPolicy, user: string, now = new Date()): Promise<PolicyChange | null> {
    const at = now.toISOString();
    const old = await this.scripts.cboSetClosedRecordPolicy(
      this.key,
      this.historyKey,
      value,
      this.initialPolicy,
      String(HISTORY_LIMIT),
      at,
      user,
    );
    return old === null ? null : { at, user, old: old as ClosedRecordPolicy, new: value };
  }

  /** Newest first. */
  async history(limit = 100): Promise<PolicyChange[]> {
    const raws = await this.redis.lrange(this.historyKey, 0, limit - 1);
    return raws.map((r) => JSON.parse(r) as PolicyChange);
  }
}
