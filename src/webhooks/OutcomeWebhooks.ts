import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { WEBHOOK_JOB_OPTIONS, webhookJobId, type WebhookJobData } from '../queue/WebhookQueue.js';
import { matchesEventFilter } from './matchesEventFilter.js';
import type { Clock, OutcomeEventType, WebhookEndpoint } from './WebhookEndpoint.js';

/**
 * Queues outcome events for the configured `webhooks` endpoints (SPEC 9.4): one durable job per event and
 * matching endpoint, delivered by WebhookDeliveryProcessor. The body is fixed here, when the event happens.
 */
export class OutcomeWebhooks {
  constructor(
    private readonly endpoints: readonly WebhookEndpoint[],
    private readonly queue: Queue<WebhookJobData>,
    private readonly logger: Logger,
    private readonly clock: Clock = () => new Date(),
  ) {}

  /** Whether some endpoint asked for `type` (callers skip building the payload otherwise). */
  wants(type: OutcomeEventType): boolean {
    return this.endpoints.some((endpoint) => matchesEventFilter(endpoint.events, type));
  }

  /**
   * Queues `type` for every endpoint that asked for it. `eventKey` names the event for good (`42-queued`,
   * `42-rescheduled-1767000000000`): it makes the `webhook-id` (`msg_<eventKey>`) and the job ids, so that
   * emitting the same event again (a redelivered job) sends nothing more while its jobs are kept (a day, at
   * most 10,000 finished jobs).
   *
   * Touches Redis only when some endpoint matches. It rejects when Redis does not take the jobs (with a
   * fail-fast connection at once; with a worker connection it waits for Redis): the caller decides whether its
   * own step fails or goes on without the event.
   */
  async emit(type: OutcomeEventType, call: object, eventKey: string): Promise<void> {
    const targets = this.endpoints.filter((endpoint) => matchesEventFilter(endpoint.events, type));
    if (targets.length === 0) return;
    const body = JSON.stringify({ type, timestamp: this.clock().toISOString(), data: { call } });
    const webhookId = `msg_${eventKey}`;
    // One round trip (a pipeline, not a transaction). A job id already present is left as it is, so emitting
    // again after a partial failure adds only the jobs that are missing.
    await this.queue.addBulk(
      targets.map((endpoint) => ({
        name: type,
        data: { url: endpoint.url, webhookId, type, body },
        opts: { ...WEBHOOK_JOB_OPTIONS, jobId: webhookJobId(eventKey, endpoint.url) },
      })),
    );
    this.logger.debug({ type, webhookId, endpoints: targets.length }, 'outcome webhook queued');
  }
}
