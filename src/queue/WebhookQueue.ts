import { createHash } from 'node:crypto';
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { CRM_EFFECT_ATTEMPTS } from './retryForADay.js';

/** The outcome-webhook deliveries (SPEC 9.4): one job per event and endpoint. Hash-tagged like every queue. */
export const WEBHOOK_QUEUE_NAME = '{webhooks}';

/** What a delivery job carries: everything but the secret, which is read from the config at each attempt. */
export interface WebhookJobData {
  /** The endpoint, as configured; a job whose url is no longer configured is dropped. */
  url: string;
  /** `webhook-id`: `msg_<event key>`, the same on every attempt so that receivers can dedupe. */
  webhookId: string;
  type: string;
  /** The JSON body, fixed when the event happened: every attempt sends (and signs) these exact bytes. */
  body: string;
}

const DAY_S = 24 * 60 * 60;

/**
 * Retried like CRM side effects (5 s doubling, capped at 5 min, for 24 hours: the worker's backoffStrategy and
 * the give-up check use the same constants). Finished jobs are kept a day (at most 10,000) so that a redelivered
 * event within that time is recognised by its job id; failed ones a week (at most 10,000) for the dashboard.
 */
export const WEBHOOK_JOB_OPTIONS = {
  attempts: CRM_EFFECT_ATTEMPTS,
  backoff: { type: 'custom' },
  removeOnComplete: { age: DAY_S, count: 10_000 },
  removeOnFail: { age: 7 * DAY_S, count: 10_000 },
} satisfies JobsOptions;

/**
 * The job id of one event for one endpoint: the same event emitted twice adds nothing. BullMQ refuses ids that
 * contain `:` or are integers, so the key is URI-encoded (no `:` left) and the URL, which has one, is hashed.
 */
export function webhookJobId(eventKey: string, url: string): string {
  const endpoint = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return `wh-${encodeURIComponent(eventKey)}-${endpoint}`;
}

/** The producer side of the queue, with the options of the other queues (short events stream). */
export function createWebhookQueue(
  connection: ConnectionOptions,
  prefix: string,
  onError: (err: Error) => void = () => undefined,
): Queue<WebhookJobData> {
  const queue = new Queue<WebhookJobData>(WEBHOOK_QUEUE_NAME, { connection, prefix, streams: { events: { maxLen: 1000 } } });
  // Connection errors while Redis is away: emit's callers get the failure; this only keeps them out of stderr.
  queue.on('error', onError);
  return queue;
}
