import type { Readable } from 'node:stream';
import axios, { type AxiosInstance } from 'axios';
import { UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { CRM_EFFECT_GIVE_UP_MS, crmEffectBackoffMs } from '../queue/retryForADay.js';
import { WEBHOOK_QUEUE_NAME, type WebhookJobData } from '../queue/WebhookQueue.js';
import type { Clock, WebhookEndpoint } from '../webhooks/WebhookEndpoint.js';

/** Deliveries are retried for as long as CRM side effects (SPEC 9.4 and 4 say the same: 24 hours). */
export const WEBHOOK_GIVE_UP_MS = CRM_EFFECT_GIVE_UP_MS;

export interface WebhookDeliveryProcessorDeps {
  /** The configured endpoints; a job is matched to its endpoint by url. */
  endpoints: readonly WebhookEndpoint[];
  logger: Logger;
  /** The time of an attempt: `webhook-timestamp` and the 24-hour give-up. */
  clock?: Clock;
}

/** The processor's own verdict, already logged by it: not retried. */
class WebhookGaveUpError extends UnrecoverableError {}

interface Target {
  endpoint: WebhookEndpoint;
  signer: Webhook;
}

/** Where a delivery went, for the log: no query string or credentials, which may carry a receiver's token. */
function endpointForLog(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/**
 * Delivers one outcome webhook (SPEC 9.4): signs the stored body the Standard Webhooks way for this attempt and
 * POSTs it. Any 2xx is delivered; anything else throws so that BullMQ retries with backoff, until 24 hours after
 * the job was first queued. A job whose endpoint left the config is dropped with a warning.
 */
export class WebhookDeliveryProcessor {
  private readonly targets = new Map<string, Target>();
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly http: AxiosInstance;

  constructor(deps: WebhookDeliveryProcessorDeps) {
    this.logger = deps.logger;
    this.clock = deps.clock ?? (() => new Date());
    // Signers are made once: a secret that is not `whsec_<base64>` fails here, at start-up, not at each job.
    for (const endpoint of deps.endpoints) this.targets.set(endpoint.url, { endpoint, signer: new Webhook(endpoint.secret) });
    this.http = axios.create({
      maxRedirects: 0, // a redirect is not a delivery (and could lead the signed event elsewhere)
      validateStatus: () => true,
      responseType: 'stream', // only the status counts: the receiver's body is never read into memory
      transformRequest: [(body: string) => body], // the exact bytes that were signed
    });
  }

  /** `firstQueuedAt`: the job's timestamp (its first enqueue); `attemptsMade`: failed attempts before this one. */
  async process(data: WebhookJobData, firstQueuedAt: number, attemptsMade = 0): Promise<void> {
    const log = this.logger.child({ webhookId: data.webhookId, type: data.type, endpoint: endpointForLog(data.url) });
    const target = this.targets.get(data.url);
    if (!target) {
      log.warn('webhook endpoint no longer configured; event dropped');
      return;
    }
    const now = this.clock();
    if (now.getTime() - firstQueuedAt > WEBHOOK_GIVE_UP_MS) {
      log.warn({ attemptsMade }, 'webhook not delivered: gave up after 24 hours');
      throw new WebhookGaveUpError('webhook not delivered: gave up after 24 hours');
    }
    const problem = await this.post(target, data, now);
    if (problem === undefined) {
      log.debug({ attemptsMade }, 'webhook delivered');
      return;
    }
    // An event's first failure is worth an operator's attention; its hundreds of retries are not.
    if (attemptsMade === 0) log.warn({ attemptsMade, problem }, 'webhook delivery failed; will retry');
    else log.debug({ attemptsMade, problem }, 'webhook delivery failed; will retry');
    throw new Error(problem);
  }

  /** Undefined when delivered, else what went wrong. */
  private async post(target: Target, data: WebhookJobData, at: Date): Promise<string | undefined> {
    const headers = {
      'content-type': 'application/json',
      'webhook-id': data.webhookId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': target.signer.sign(data.webhookId, at, data.body),
    };
    try {
      const res = await this.http.post<Readable>(data.url, data.body, { headers, timeout: target.endpoint.timeoutMs });
      res.data.destroy();
      return res.status >= 200 && res.status < 300 ? undefined : `endpoint answered ${res.status}`;
    } catch (err) {
      return `endpoint not reachable: ${(err as Error).message}`;
    }
  }
}

/**
 * The BullMQ worker of the webhook queue. `options` are the caller's (connection, prefix, concurrency, stalled-job
 * settings); attempts and the backoff type come from each job (WEBHOOK_JOB_OPTIONS), the delays from `backoffMs`
 * (5 s doubling, capped at 5 min; tests pass a shorter one). The caller listens for the worker's 'error' events.
 */
export function createWebhookWorker(
  processor: WebhookDeliveryProcessor,
  options: Omit<WorkerOptions, 'settings'>,
  logger: Logger,
  backoffMs: (attemptsMade: number) => number = crmEffectBackoffMs,
): Worker<WebhookJobData> {
  const worker = new Worker<WebhookJobData>(WEBHOOK_QUEUE_NAME, (job) => processor.process(job.data, job.timestamp, job.attemptsMade), {
    ...options,
    settings: { backoffStrategy: (attemptsMade: number) => backoffMs(attemptsMade) },
  });
  worker.on('failed', (job, err) => {
    // The give-up is logged by the processor; running out of attempts, or BullMQ's own verdict (stalled too
    // often), is logged here.
    if (!job || err instanceof WebhookGaveUpError) return;
    if (job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError' || job.deferredFailure) {
      logger.warn(
        {
          webhookId: job.data.webhookId,
          type: job.data.type,
          endpoint: endpointForLog(job.data.url),
          attemptsMade: job.attemptsMade,
          err: err.message,
        },
        'webhook not delivered: failed for good',
      );
    }
  });
  return worker;
}
