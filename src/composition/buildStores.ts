import type { Redis } from 'ioredis';
import type { ClosedRecordPolicy } from '../policy/ClosedRecordPolicy.js';
import { BulkCancelStore } from '../store/BulkCancelStore.js';
import { CallStore } from '../store/CallStore.js';
import { IdempotencyStore } from '../store/IdempotencyStore.js';
import { SettingsStore } from '../store/SettingsStore.js';
import { SideEffectLedger } from '../store/SideEffectLedger.js';

/** Every Redis store of the product, on one connection. */
export interface Stores {
  calls: CallStore;
  settings: SettingsStore;
  idempotency: IdempotencyStore;
  bulkCancels: BulkCancelStore;
  ledger: SideEffectLedger;
}

/**
 * The one place the stores are built. A process that runs both roles builds them once per connection kind:
 * request handling fails fast while Redis is away (the API answers 503), the worker's commands wait for it.
 */
export function buildStores(redis: Redis, prefix: string, initialPolicy: ClosedRecordPolicy): Stores {
  return {
    calls: new CallStore(redis, prefix),
    settings: new SettingsStore(redis, prefix, initialPolicy),
    idempotency: new IdempotencyStore(redis, prefix),
    bulkCancels: new BulkCancelStore(redis, prefix),
    ledger: new SideEffectLedger(redis, prefix),
  };
}
