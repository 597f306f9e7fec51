import { Worker } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createCrmAdapter } from '../adapters/createCrmAdapter.js';
import { buildServer, type RouteModule } from './api/buildServer.js';
import { registerHealthRoutes } from './api/routes/healthRoutes.js';
import type { AppServices } from './AppServices.js';
import type { AppConfig } from './config/schema.js';
import type { CrmAdapter } from './crm/CrmAdapter.js';
import { ResilientCrm } from './crm/ResilientCrm.js';
import type { Dialer } from './dialer/Dialer.js';
import { LogDialer } from './dialer/LogDialer.js';
import { WebhookDialer } from './dialer/WebhookDialer.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/Metrics.js';
import { CallCanceler } from './queue/CallCanceler.js';
import { CallQueues, type BulkCancelJobData } from './queue/CallQueues.js';
import { CrmEffects } from './queue/CrmEffects.js';
import { QUEUE_NAMES } from './queue/queueNames.js';
import { bullConnection, connectRedis, failFastRedisOptions, workerRedisOptions } from './redisConnections.js';
import { BulkCancelStore } from './store/BulkCancelStore.js';
import { CallStore } from './store/CallStore.js';
import { IdempotencyStore } from './store/IdempotencyStore.js';
import { SettingsStore } from './store/SettingsStore.js';
import { SideEffectLedger } from './store/SideEffectLedger.js';
import { BulkCancelProcessor } from './worker/BulkCancelProcessor.js';
import { CrmEffectProcessor } from './worker/CrmEffectProcessor.js';
import { FireEvaluator } from './policy/FireEvaluator.js';
import { FireProcessor } from './worker/FireProcessor.js';
import { RecordBatcher } from './worker/RecordBatcher.js';
import { ScheduleReconciler } from './worker/ScheduleReconciler.js';
import { StaleCallSweeper } from './worker/StaleCallSweeper.js';
import { startPeriodic } from './worker/startPeriodic.js';
import { Workers } from './worker/Workers.js';

export interface AppOptions {
  api: boolean;
  worker: boolean;
  logger?: Logger;
  /** Replaces the dialer from config (the demo passes one that prints). */
  dialer?: Dialer;
  /** Stalled-job check interval (the job lock follows it, see lockDurationMs); short in tests that kill a worker mid-job. */
  stalledIntervalMs?: number;
  /** Replaces the CRM adapter built from config (tests plug in an in-memory CRM port implementation). */
  crmAdapter?: CrmAdapter;
  /** Extra HTTP routes (the admin API). */
  routes?: RouteModule[];
}

export interface RunningApp {
  services: AppServices;
  /** Base URL of the HTTP server when the API role runs. */
  url: string | null;
  server: FastifyInstance | null;
  /** Stops taking requests and jobs, finishes the ones in flight, closes connections. */
  close(): Promise<void>;
}

const HOUSEKEEPING_INTERVAL_MS = 5 * 60 * 1000;

/** Composition root: builds every part from the config and starts the chosen roles. */
export async function startApp(config: AppConfig, options: AppOptions): Promise<RunningApp> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const prefix = config.redis.prefix;
  const initialPolicy = config.crm.salesforce?.closedRecordPolicy ?? 'reopen';
  // Request handling fails fast while Redis is away (503); workers wait for it to come back.
  const redis = connectRedis(config.redis.url, failFastRedisOptions());
  const onQueueError = (err: Error) => logger.debug({ err: err.message }, 'queue connection error');
  const queues = new CallQueues(bullConnection(config.redis.url, failFastRedisOptions()), prefix, onQueueError);
  const metrics = new Metrics();
  const adapter = options.crmAdapter ?? createCrmAdapter(config.crm, { logger: logger.child({ component: 'crm' }) });
  const crm = new ResilientCrm(adapter, config.crm.lookup, logger.child({ component: 'crm' }));
  const calls = new CallStore(redis, prefix);
  const recordKey = (id: string) => (crm.isValidRecordId(id) ? crm.canonicalRecordId(id) : id);
  const settings = new SettingsStore(redis, prefix, initialPolicy);

  const services: AppServices = {
    config,
    logger,
    redis,
    calls,
    idempotency: new IdempotencyStore(redis, prefix),
    settings,
    bulkCancels: new BulkCancelStore(redis, prefix),
    queues,
    canceler: new CallCanceler(calls, queues),
    effects: new CrmEffects(queues, new SideEffectLedger(redis, prefix)),
    metrics,
    recordKey,
    crm,
    evaluator: new FireEvaluator(crm.provider, (id) => crm.readRecord(id), recordKey, calls, settings, logger),
  };

  const stoppers: Array<() => Promise<void>> = [];
  let workerRedis: Redis | null = null;
  if (options.worker) {
    workerRedis = connectRedis(config.redis.url, workerRedisOptions());
    const workerConnection = bullConnection(config.redis.url, workerRedisOptions());
    const workerQueues = new CallQueues(workerConnection, prefix, onQueueError);
    const workerCalls = new CallStore(workerRedis, prefix);
    const ledger = new SideEffectLedger(workerRedis, prefix);
    const effects = new CrmEffects(workerQueues, ledger);
    const batcher = new RecordBatcher(crm, config.worker.batchWindowMs, crm.maxBatchSize);
    const evaluator = new FireEvaluator(
      crm.provider,
      (id) => batcher.load(id),
      recordKey,
      workerCalls,
      new SettingsStore(workerRedis, prefix, initialPolicy),
      logger,
    );
    const dialer = options.dialer ?? createDialer(config, logger);
    const fire = new FireProcessor(workerCalls, evaluator, effects, dialer, config.menus, metrics, logger.child({ component: 'fire' }));
    const effectProcessor = new CrmEffectProcessor(crm, ledger, workerCalls, effects, metrics, logger.child({ component: 'crm-effects' }));
    const workers = new Workers(
      workerConnection,
      prefix,
      { concurrency: config.worker.concurrency, stalledIntervalMs: options.stalledIntervalMs ?? 30_000 },
      fire,
      effectProcessor,
      workerCalls,
      logger.child({ component: 'worker' }),
    );
    await workers.waitUntilReady();
    const reconciler = new ScheduleReconciler(workerCalls, workerQueues, logger);
    const sweeper = new StaleCallSweeper(workerCalls, config.worker.activeCallTimeoutMinutes * 60_000, logger);
    const housekeeping = [
      startPeriodic('schedule-reconciler', HOUSEKEEPING_INTERVAL_MS, () => reconciler.runOnce(), logger),
      startPeriodic('stale-call-sweep', HOUSEKEEPING_INTERVAL_MS, () => sweeper.runOnce(), logger),
    ];
    stoppers.push(async () => {
      housekeeping.forEach((stop) => stop());
      await workers.close(); // finishes the jobs in flight
      await workerQueues.close();
    });
  }

  let server: FastifyInstance | null = null;
  let url: string | null = null;
  let bulkWorker: Worker<BulkCancelJobData> | null = null;
  if (options.api) {
    // Bulk cancels run in the API process: they belong to the request that started them.
    const bulk = new BulkCancelProcessor(services.bulkCancels, services.canceler);
    bulkWorker = new Worker<BulkCancelJobData>(QUEUE_NAMES.bulkCancel, (job) => bulk.process(job.data.operationId), {
      connection: bullConnection(config.redis.url, workerRedisOptions()),
      prefix,
    });
    bulkWorker.on('error', (err) => logger.error({ err: err.message }, 'bulk cancel worker error'));
    // Give Redis a moment before taking requests, so the first ones do not get a needless 503.
    await waitForReady(redis, 5000);
    server = await buildServer(services, options.routes ?? []);
    url = await server.listen({ host: config.server.host, port: config.server.port });
  }

  if (options.worker && !options.api && config.worker.healthPort !== undefined) {
    // A worker-only process has no API: it serves its own health and metrics (fire lag, outcomes) here.
    const health = Fastify({ logger: false });
    registerHealthRoutes(health, services);
    url = await health.listen({ host: config.server.host, port: config.worker.healthPort });
    server = health;
  }

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      if (server) await server.close(); // stop accepting requests first
      await Promise.all([...stoppers.map((stop) => stop()), bulkWorker?.close()]);
      await queues.close();
      redis.disconnect();
      workerRedis?.disconnect();
    })());

  return { services, url, server, close };
}

function createDialer(config: AppConfig, logger: Logger): Dialer {
  const log = logger.child({ component: 'dialer' });
  return config.dialer.kind === 'webhook' ? new WebhookDialer(config.dialer, log) : new LogDialer(log);
}

/** Resolves when the connection is ready, or after `ms` (the API then answers 503 until Redis is there). */
function waitForReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}
