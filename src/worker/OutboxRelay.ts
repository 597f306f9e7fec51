import type { Logger } from 'pino';
import { WEBHOOK_EVENT_TYPES } from '../config/webhookEventTypes.js';
import type { CallStore, PendingAnnouncement } from '../store/CallStore.js';
import type { CallEventPublisher } from '../webhooks/CallEventPublisher.js';
import type { OutcomeEventType } from '../webhooks/WebhookEndpoint.js';

const PAGE = 100;

/**
 * An announcement still in the outbox this long after its change was stored has lost its publisher (the process
 * died, or Redis refused the jobs right then); the step that made the change takes out its own within milliseconds.
 */
export const OUTBOX_GRACE_MS = 10_000;

const isOutcomeEventType = (type: string): type is OutcomeEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);

/**
 * Publishes the outcome events whose change was stored but whose webhook jobs never were (SPEC 9.4: a crash loses
 * no event). Reads only the outbox of each shard, which holds nothing but events on their way, a page at a time.
 * The event shows the call as it is when relayed; its key, hence its `webhook-id`, is the one the change announced.
 */
export class OutboxRelay {
  constructor(
    private readonly calls: CallStore,
    private readonly events: CallEventPublisher,
    private readonly logger: Logger,
  ) {}

  /** The number of events published. */
  async runOnce(now = Date.now()): Promise<number> {
    let relayed = 0;
    for (const shard of this.calls.shards.all()) {
      for (;;) {
        const due = await this.calls.announcementsDue(shard, now - OUTBOX_GRACE_MS, PAGE);
        let settled = 0;
        for (const announcement of due) {
          const outcome = await this.relay(announcement);
          if (outcome === 'failed') await this.calls.postponeAnnouncement(announcement.callId, announcement, now);
          else settled += 1;
          if (outcome === 'published') relayed += 1;
        }
        // What failed waits a grace time again (behind newer ones), and is not tried again in a loop here.
        if (due.length < PAGE || settled < due.length) break;
      }
    }
    if (relayed) this.logger.warn({ relayed }, 'published outcome events whose step did not (a crash, or Redis refusing)');
    return relayed;
  }

  private async relay(a: PendingAnnouncement): Promise<'published' | 'dropped' | 'failed'> {
    const { type } = a;
    // No endpoint asks for it any more, or the call was deleted since (retention): nothing to send.
    const call = isOutcomeEventType(type) && this.events.wants(type) ? await this.calls.get(a.callId) : null;
    if (!call) {
      await this.calls.settleAnnouncement(a.callId, a);
      return 'dropped';
    }
    return (await this.events.publish(type as OutcomeEventType, call, a.eventKey)) ? 'published' : 'failed';
  }
}
