import type { Logger } from 'pino';
import type { AppServices } from '../AppServices.js';
import type { AppConfig } from '../config/schema.js';
import type { Dialer } from '../dialer/Dialer.js';
import { LogDialer } from '../dialer/LogDialer.js';
import { WebhookDialer } from '../dialer/WebhookDialer.js';
import { FireEvaluator } from '../policy/FireEvaluator.js';
import { CallQueues } from '../queue/CallQueues.js';
import { CrmEffects } from '../queue/CrmEffects.js';
import { bullConnectionBeside, connectRedis } from '../redisConnections.js';
import { CrmEffectProcessor } from '../worker/CrmEffectProcessor.js';
import { FireProcessor } from '../worker/FireProcessor.js';
import { RecordBatcher } from '../worker/RecordBatcher.js';
import { HousekeepingLock } from '../worker/HousekeepingLock.js';
import { Workers } from '../worker/Workers.js';
import { claimStoreLayout } from '../store/StoreLayout.js';
import { WebhookDeliveryProcessor } from '../worker/WebhookDeliveryProcessor.js';
import { buildStores, callEventPublisher, storeShards } from './buildStores.js';
import type { StartedRole } from './Role.js';
import { startHousekeeping } from './startHousekeeping.js';

export interface WorkerRoleOptions {
  /** Replaces the dialer from config (the demo passes one that prints). */
  dialer?: Dialer;
  stalledIntervalMs: number;
}

/**
 * The `worker` role: fire and CRM side-effect workers plus housekeeping. Its Redis connections wait for Redis
 * while it is away (jobs resume by themselves), unlike the request side's, which fail fast.
 */
export async function startWorkerRole(s: AppServices, options: WorkerRoleOptions): Promise<StartedRole> {
  const { config, logger, crm, metrics, recordKey } = s;
  const { prefix } = config.redis;
  const redis = connectRedis(config.redis, 'worker');
  const connection = bullConnectionBeside(redis, config.redis, 'worker'); // on a cluster: `redis` itself
  const queues = new CallQueues(
    connection,
    prefix,
    (err) => logger.debug({ err: err.message }, 'queue connection error'),
    storeShards(config),
    { webhooks: config.webhooks.length > 0 },
  );
  const stores = buildStores(redis, config);
  const migrated = await claimStoreLayout(redis, prefix, stores.calls.shards); // waits for Redis, like the workers
  if (migrated) logger.info({ migrated }, 'calls of version 0.1 moved to the current store layout');
  const effects = new CrmEffects(queues, stores.ledger);
  const events = callEventPublisher(config, queues, stores.calls, logger);
  const batcher = new RecordBatcher(crm, config.worker.batchWindowMs, crm.maxBatchSize);
  const evaluator = new FireEvaluator({
    provider: crm.provider,
    readRecord: (id) => batcher.load(id), // records due together are read in one request
    recordKey,
    activeCalls: stores.calls,
    policy: stores.settings,
    logger,
  });
  const dialer = options.dialer ?? createDialer(config, logger);
  const fire = new FireProcessor({
    calls: stores.calls,
    evaluator,
    effects,
    dialer,
    menus: config.menus,
    calling: s.calling,
    events,
    metrics,
    logger: logger.child({ component: 'fire' }),
  });
  const effectProcessor = new CrmEffectProcessor({
    crm,
    ledger: stores.ledger,
    effects,
    metrics,
    logger: logger.child({ component: 'crm-effects' }),
  });
  const workers = new Workers({
    connection,
    prefix,
    tuning: { concurrency: config.worker.concurrency, stalledIntervalMs: options.stalledIntervalMs },
    fire: { processor: fire, calls: stores.calls, queueNames: queues.fireQueues.map((q) => q.name), events },
    effects: effectProcessor,
    webhooks:
      config.webhooks.length > 0
        ? new WebhookDeliveryProcessor({ endpoints: config.webhooks, logger: logger.child({ component: 'webhooks' }) })
        : undefined,
    logger: logger.child({ component: 'worker' }),
  });
  await workers.waitUntilReady();

  const housekeeping = startHousekeeping(config, stores.calls, queues, new HousekeepingLock(redis, prefix), logger, events);
  return {
    async stop() {
      housekeeping.forEach((stopTask) => stopTask());
      await workers.close(); // finishes the jobs in flight
      await dialer.close?.();
      await queues.close();
      redis.disconnect();
    },
  };
}

function createDialer(config: AppConfig, logger: Logger): Dialer {
  const log = logger.child({ component: 'dialer' });
  return config.dialer.kind === 'webhook' ? new WebhookDialer(config.dialer, log) : new LogDialer(log);
}
