import type { Logger } from 'pino';
import { createCrmAdapter } from '../../adapters/createCrmAdapter.js';
import type { AppServices } from '../AppServices.js';
import type { AppConfig } from '../config/schema.js';
import type { CrmAdapter } from '../crm/CrmAdapter.js';
import { ResilientCrm } from '../crm/ResilientCrm.js';
import { Metrics } from '../observability/Metrics.js';
import { FireEvaluator } from '../policy/FireEvaluator.js';
import { CallCanceler } from '../queue/CallCanceler.js';
import { CallQueues } from '../queue/CallQueues.js';
import { CrmEffects } from '../queue/CrmEffects.js';
import { bullConnectionBeside, connectRedis } from '../redisConnections.js';
import { CallScheduler } from '../lifecycle/CallScheduler.js';
import { CallingPolicy } from '../schedule/CallingPolicy.js';
import { buildStores, callEventPublisher, storeShards } from './buildStores.js';

/** The parts every role shares, built once: request-side Redis, stores, queues, the CRM, metrics. */
export function buildServices(config: AppConfig, logger: Logger, crmAdapter?: CrmAdapter): AppServices {
  const { prefix } = config.redis;
  const redis = connectRedis(config.redis, 'fail-fast');
  const onQueueError = (err: Error) => logger.debug({ err: err.message }, 'queue connection error');
  const queues = new CallQueues(bullConnectionBeside(redis, config.redis, 'fail-fast'), prefix, onQueueError, storeShards(config), {
    webhooks: config.webhooks.length > 0,
  });
  const crmLogger = logger.child({ component: 'crm' });
  const crm = new ResilientCrm(crmAdapter ?? createCrmAdapter(config.crm, { logger: crmLogger }), config.crm.lookup, crmLogger);
  const recordKey = (id: string) => (crm.isValidRecordId(id) ? crm.canonicalRecordId(id) : id);
  const stores = buildStores(redis, config);
  const metrics = new Metrics();
  const calling = new CallingPolicy(config);
  const events = callEventPublisher(config, queues, stores.calls, logger);
  const effects = new CrmEffects(queues, stores.ledger);
  return {
    config,
    logger,
    redis,
    calls: stores.calls,
    idempotency: stores.idempotency,
    settings: stores.settings,
    bulkCancels: stores.bulkCancels,
    queues,
    canceler: new CallCanceler(stores.calls, queues, events),
    effects,
    metrics,
    calling,
    events,
    scheduler: new CallScheduler({
      calls: stores.calls,
      queues,
      effects,
      calling,
      events,
      crmProvider: crm.provider,
      metrics,
      logger,
    }),
    recordKey,
    crm,
    evaluator: new FireEvaluator({
      provider: crm.provider,
      readRecord: (id) => crm.readRecord(id), // the dry run reads directly, unbatched
      recordKey,
      activeCalls: stores.calls,
      policy: stores.settings,
      logger,
    }),
  };
}
