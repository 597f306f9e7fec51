import type { RedisClient } from './store/storeKeys.js';
import type { Logger } from 'pino';
import type { AppConfig } from './config/schema.js';
import type { ResilientCrm } from './crm/ResilientCrm.js';
import type { Metrics } from './observability/Metrics.js';
import type { CallCanceler } from './queue/CallCanceler.js';
import type { CallQueues } from './queue/CallQueues.js';
import type { CrmEffects } from './queue/CrmEffects.js';
import type { BulkCancelStore } from './store/BulkCancelStore.js';
import type { CallStore } from './store/CallStore.js';
import type { IdempotencyStore } from './store/IdempotencyStore.js';
import type { SettingsStore } from './store/SettingsStore.js';
import type { FireEvaluator } from './policy/FireEvaluator.js';
import type { CallScheduler } from './lifecycle/CallScheduler.js';
import type { CallingPolicy } from './schedule/CallingPolicy.js';
import type { CallEventPublisher } from './webhooks/CallEventPublisher.js';

/** Everything the HTTP layer and the workers are given (built once in src/App.ts). */
export interface AppServices {
  config: AppConfig;
  logger: Logger;
  redis: RedisClient;
  calls: CallStore;
  idempotency: IdempotencyStore;
  settings: SettingsStore;
  bulkCancels: BulkCancelStore;
  queues: CallQueues;
  canceler: CallCanceler;
  effects: CrmEffects;
  metrics: Metrics;
  /** The one key of a CRM record for its per-record guards (a valid id in any accepted spelling). */
  recordKey: (ticketId: string) => string;
  /** The configured CRM; provider "none" is the NoCrm adapter (adapters/none). */
  crm: ResilientCrm;
  /** The decision with a direct (unbatched) CRM read, for the admin dry run. */
  evaluator: FireEvaluator;
  /** Calling window and business hours (SPEC 9.3). */
  calling: CallingPolicy;
  /** Outcome events to the configured webhooks (SPEC 9.4). */
  events: CallEventPublisher;
  /** Creates calls: POST /calls, the skill callback, retries. */
  scheduler: CallScheduler;
}
