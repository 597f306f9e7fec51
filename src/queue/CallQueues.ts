import { Queue, type ConnectionOptions } from 'bullmq';
import type { CrmCommentKey } from '../policy/crmComments.js';
import { StoreShards } from '../store/storeKeys.js';
import { QUEUE_NAMES, fireJobId, fireQueueName } from './queueNames.js';
import { CRM_EFFECT_ATTEMPTS } from './retryForADay.js';
import { createWebhookQueue, type WebhookJobData } from './WebhookQueue.js';

export interface FireJobData {
  callId: number;
}

/** `effect` names the ledger entry: one per call and outcome (see SideEffectLedger). */
export type CrmEffectJobData =
  | { kind: 'comment'; effect: string; callId: number; ticketId: string; comment: CrmCommentKey }
  | { kind: 'reopen'; effect: string; callId: number; ticketId: string };

export interface BulkCancelJobData {
  operationId: string;
}

const DAY_S = 24 * 60 * 60;

/** Finished fire jobs are kept a day (at most 10,000), failed ones a week: set on the fire worker. */
export const FIRE_JOBS_KEPT = { removeOnComplete: { age: DAY_S, count: 10_000 }, removeOnFail: { age: 7 * DAY_S } };

/** Producers for the queues: one fire queue per store shard, the CRM side-effect queue, bulk cancels. Workers live in src/worker. */
export class CallQueues {
  /** Fire queues by shard: a call's delayed job lives beside its call (see StoreShards). */
  readonly fireQueues: Queue<FireJobData>[];
  readonly crmEffects: Queue<CrmEffectJobData>;
  readonly bulkCancel: Queue<BulkCancelJobData>;
  /** Outcome webhook deliveries (SPEC 9.4); null when no endpoint is configured (no connection opened for it). */
  readonly webhooks: Queue<WebhookJobData> | null;

  constructor(
    connection: ConnectionOptions,
    prefix: string,
    onError: (err: Error) => void = () => undefined,
    private readonly shards = new StoreShards(prefix),
    options: { webhooks?: boolean } = {},
  ) {
    // BullMQ's events stream (read by no part of this product) is kept short: it grows with every job otherwise.
    const opts = { connection, prefix, streams: { events: { maxLen: 1000 } } };
    this.fireQueues = shards.all().map((n) => new Queue<FireJobData>(fireQueueName(n, shards.count), opts));
    this.crmEffects = new Queue<CrmEffectJobData>(QUEUE_NAMES.crmEffects, opts);
    this.bulkCancel = new Queue<BulkCancelJobData>(QUEUE_NAMES.bulkCancel, opts);
    this.webhooks = options.webhooks ? createWebhookQueue(connection, prefix, onError) : null;
    // Connection errors while Redis is away: callers get the failure; this only keeps them out of stderr.
    for (const q of this.all()) q.on('error', onError);
  }

  /** Every queue, for metrics and the dashboard. */
  all(): Queue[] {
    return [...this.fireQueues, this.crmEffects, this.bulkCancel, ...(this.webhooks ? [this.webhooks] : [])] as Queue[];
  }

  /** The fire queue that holds (or will hold) the call's delayed job. */
  fireQueueOf(callId: number): Queue<FireJobData> {
    return this.fireQueues[this.shards.ofId(callId)]!;
  }

  /** Adds the delayed job of a call; the job id derives from the call id, so adding twice is harmless. */
  async scheduleFire(callId: number, dueAt: Date, now = Date.now()): Promise<void> {
    await this.fireQueueOf(callId).add(
      'fire',
      { callId },
      {
        jobId: fireJobId(callId),
        // BullMQ fires at timestamp + delay, its timestamp defaulting to when add() runs: given `now` as well, the
        // job is due exactly at dueAt, not late by the time the request took (callbacks due together stay together).
        timestamp: now,
        delay: Math.max(0, dueAt.getTime() - now),
        // Retries cover infrastructure trouble (Redis blip, dialer down); CRM trouble is a decision, not a retry.
        attempts: 10, // 2 s doubling: about 17 minutes of dialer trouble before the call is marked failed
        backoff: { type: 'exponential', delay: 2000 },
        // How long finished jobs are kept is the fire worker's setting (FIRE_JOBS_KEPT): not repeated in every job.
      },
    );
  }

  /**
   * Moves a call's delayed job to `dueAt` (reschedule). A job no longer delayed (due, or running) is left alone:
   * the fire step finds the call not due and puts the job back until then. No job at all: added again.
   */
  async rescheduleFire(callId: number, dueAt: Date, now = Date.now()): Promise<void> {
    const job = await this.fireQueueOf(callId).getJob(fireJobId(callId));
    if (!job) return this.scheduleFire(callId, dueAt, now);
    try {
      await job.changeDelay(Math.max(0, dueAt.getTime() - now));
    } catch {
      // Not delayed any more: see above.
    }
  }

  /** Removes a call's delayed job. A job already running cannot be removed; the fire step then sees the cancel. */
  async unscheduleFire(callId: number): Promise<void> {
    const job = await this.fireQueueOf(callId).getJob(fireJobId(callId));
    if (!job) return;
    try {
      await job.remove();
    } catch {
      // Locked by a worker: harmless, the worker finds the call canceled and stops.
    }
  }

  async addCrmEffect(jobId: string, data: CrmEffectJobData): Promise<void> {
    await this.crmEffects.add(data.kind, data, {
      jobId,
      attempts: CRM_EFFECT_ATTEMPTS,
      backoff: { type: 'custom' },
      removeOnComplete: { age: DAY_S, count: 10_000 },
      removeOnFail: { age: 7 * DAY_S },
    });
  }

  async addBulkCancel(operationId: string): Promise<void> {
    await this.bulkCancel.add(
      'bulk-cancel',
      { operationId },
      {
        jobId: `op-${operationId}`,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: DAY_S },
        removeOnFail: { age: 7 * DAY_S },
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}

export { CRM_EFFECT_ATTEMPTS, CRM_EFFECT_GIVE_UP_MS, crmEffectBackoffMs } from './retryForADay.js';
