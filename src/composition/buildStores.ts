import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';
import type { CallQueues } from '../queue/CallQueues.js';
import { CallEventPublisher } from '../webhooks/CallEventPublisher.js';
import { OutcomeWebhooks } from '../webhooks/OutcomeWebhooks.js';
import { BulkCancelStore } from '../store/BulkCancelStore.js';
import { CallStore } from '../store/CallStore.js';
import { IdempotencyStore } from '../store/IdempotencyStore.js';
import { SettingsStore } from '../store/SettingsStore.js';
import { SideEffectLedger } from '../store/SideEffectLedger.js';
import { StoreShards, type RedisClient } from '../store/storeKeys.js';

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
export function buildStores(redis: RedisClient, config: AppConfig): Stores {
  const { prefix } = config.redis;
  const initialPolicy = config.crm.salesforce?.closedRecordPolicy ?? 'reopen';
  const shards = storeShards(config);
  return {
    calls: new CallStore(redis, prefix, shards),
    settings: new SettingsStore(redis, prefix, initialPolicy),
    idempotency: new IdempotencyStore(redis, prefix),
    bulkCancels: new BulkCancelStore(redis, prefix),
    ledger: new SideEffectLedger(redis, prefix, shards),
  };
}

/** The shards of the call store and the fire queues, from `redis.shards`. */
export const storeShards = (config: AppConfig) => new StoreShards(config.redis.prefix, config.redis.shards);

/** The outcome-event publisher over `queues`' webhook queue (none when no endpoint is configured). */
export function callEventPublisher(config: AppConfig, queues: CallQueues, calls: CallStore, logger: Logger): CallEventPublisher {
  const log = logger.child({ component: 'webhooks' });
  const webhooks = queues.webhooks ? new OutcomeWebhooks(config.webhooks, queues.webhooks, log) : null;
  return new CallEventPublisher(webhooks, calls, config.menus, log);
}
