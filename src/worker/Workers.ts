import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { DialerUnavailableError } from '../dialer/Dialer.js';
import { QUEUE_NAMES } from '../queue/queueNames.js';
import {
  FIRE_JOBS_KEPT,
  crmEffectBackoffMs,
  type BulkCancelJobData,
  type CrmEffectJobData,
  type FireJobData,
} from '../queue/CallQueues.js';
import type { CallStore } from '../store/CallStore.js';
import type { BulkCancelProcessor } from './BulkCancelProcessor.js';
import type { CrmEffectProcessor } from './CrmEffectProcessor.js';
import type { FireProcessor } from './FireProcessor.js';
import { createWebhookWorker, type WebhookDeliveryProcessor } from './WebhookDeliveryProcessor.js';
import type { CallEventPublisher } from '../webhooks/CallEventPublisher.js';
import { outcomeEventKeys } from '../webhooks/outcomeEventKeys.js';

export interface WorkerTuning {
  concurrency: number;
  /** How often BullMQ looks for jobs whose worker died (stalled-job recovery). */
  stalledIntervalMs: number;
}

/**
 * How long a job stays locked to a worker that stops renewing it (renewed every half of it while alive). A dead
 * worker's job is only taken back once its lock has expired, so with BullMQ's fixed 30 s lock a short check
 * interval alone would not make recovery any quicker. The lock follows the interval instead (5 x, at least 2 s,
 * at most BullMQ's 30 s): the production default (30 s interval) keeps 30 s; STALLED_INTERVAL_MS=1000 gives 5 s.
 */
export function lockDurationMs(stalledIntervalMs: number): number {
  return Math.min(30_000, Math.max(2_000, 5 * stalledIntervalMs));
}

/** Which processors this process runs; each present one gets its BullMQ worker. */
export interface WorkersOptions {
  connection: ConnectionOptions;
  prefix: string;
  tuning: WorkerTuning;
  /** The fire queues (one a store shard), with the call store that ends a call whose fire job failed for good. */
  fire?: { processor: FireProcessor; calls: CallStore; queueNames: readonly string[]; events: CallEventPublisher };
  effects?: CrmEffectProcessor;
  /** Outcome webhook deliveries (SPEC 9.4), when endpoints are configured. */
  webhooks?: WebhookDeliveryProcessor;
  bulkCancel?: BulkCancelProcessor;
  logger: Logger;
}

/**
 * The BullMQ workers of this process: fire and CRM side effects in the `worker` role, bulk cancel in the `api`
 * role (it belongs to the request that started it). Any number of processes may run them against one Redis.
 */
export class Workers {
  private readonly workers: Worker[] = [];
  private readonly logger: Logger;

  constructor(options: WorkersOptions) {
    const { connection, prefix, tuning, fire, effects, bulkCancel, webhooks } = options;
    this.logger = options.logger;
    const common = {
      connection,
      prefix,
      stalledInterval: tuning.stalledIntervalMs,
      lockDuration: lockDurationMs(tuning.stalledIntervalMs),
      // A job cut off by a crash is picked up again, several times over if need be (side effects stay once).
      maxStalledCount: 5,
    };
    if (fire) {
      // One worker a shard's fire queue; together they keep to the configured concurrency.
      const concurrency = Math.max(1, Math.ceil(tuning.concurrency / fire.queueNames.length));
      for (const name of fire.queueNames) {
        const fireWorker = new Worker<FireJobData>(name, (job, token) => this.fire(fire.processor, job, token), {
          ...common,
          ...FIRE_JOBS_KEPT,
          concurrency,
        });
        fireWorker.on('failed', (job, err) => void this.onFireFailed(job, err, fire.calls, fire.events).catch(() => undefined));
        this.workers.push(fireWorker);
      }
    }
    if (effects) this.workers.push(this.createEffectsWorker(effects, common, tuning.concurrency));
    // A receiver that is down only delays its own deliveries: they run in their own queue, never in the fire path.
    if (webhooks) this.workers.push(createWebhookWorker(webhooks, { ...common, concurrency: tuning.concurrency }, this.logger));
    if (bulkCancel) {
      this.workers.push(new Worker<BulkCancelJobData>(QUEUE_NAMES.bulkCancel, (job) => bulkCancel.process(job.data.operationId), common));
    }
    for (const w of this.workers) w.on('error', (err) => this.logger.error({ err: err.message, queue: w.name }, 'worker error'));
  }

  /** Runs a fire job; a call that is not due yet (moved later meanwhile) puts its job back until then. */
  private async fire(processor: FireProcessor, job: Job<FireJobData>, token?: string): Promise<void> {
    const outcome = await processor.process(job.data.callId);
    if (outcome.kind === 'not_due') {
      await job.moveToDelayed(outcome.dueAt.getTime(), token);
      throw new DelayedError(); // tells BullMQ the job was moved, not finished
    }
  }

  private createEffectsWorker(
    effects: CrmEffectProcessor,
    common: Record<string, unknown> & { connection: ConnectionOptions },
    concurrency: number,
  ): Worker {
    const effectsWorker = new Worker<CrmEffectJobData>(
      QUEUE_NAMES.crmEffects,
      (job: Job<CrmEffectJobData>) => effects.process(job.data, job.timestamp),
      {
        ...common,
        concurrency,
        settings: { backoffStrategy: (attemptsMade: number) => crmEffectBackoffMs(attemptsMade) },
      },
    );
    effectsWorker.on('failed', (job, err) => {
      if (err instanceof UnrecoverableError) return;
      this.logger.debug({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: err.message }, 'CRM side effect attempt failed');
    });
    return effectsWorker;
  }

  /** After its last retry a fire job that still fails (dialer down for minutes) ends the call as failed. */
  private async onFireFailed(job: Job<FireJobData> | undefined, err: Error, calls: CallStore, events: CallEventPublisher): Promise<void> {
    if (!job) return;
    // Out of retries, or failed for good by BullMQ itself (e.g. stalled more often than allowed).
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError' || Boolean(job.deferredFailure);
    this.logger.warn({ callId: job.data.callId, attemptsMade: job.attemptsMade, final, err: err.message }, 'fire job failed');
    if (!final) return;
    // Watched by the reconciler until the call is ended: should the transition below not happen, it retries the job.
    await calls.needsJobCheck(job.data.callId);
    const failed = await calls.transition(job.data.callId, {
      from: ['scheduled'],
      to: 'failed',
      patch: {
        fail_reason: err instanceof DialerUnavailableError ? 'dialer_unreachable' : 'internal_error',
        fail_details: err.message,
        ends_at: new Date().toISOString(),
        firing: false,
      },
      events: [{ type: 'status', detail: `failed: ${err.message}` }],
      announce: events.announcing('call.failed', outcomeEventKeys.failed(job.data.callId)),
    });
    if (failed.result === 'ok') await events.publish('call.failed', failed.call, outcomeEventKeys.failed(job.data.callId));
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  /** Stops taking jobs and waits for the ones in flight (SIGTERM). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
