import type { Logger } from 'pino';
import { toCallView } from '../calls/callView.js';
import type { MenuConfig } from '../config/schema.js';
import type { CallEvent, CallRecord } from '../store/CallRecord.js';
import type { Announcement, CallStore } from '../store/CallStore.js';
import type { OutcomeWebhooks } from './OutcomeWebhooks.js';
import type { OutcomeEventType } from './WebhookEndpoint.js';

/**
 * Tells the contact center's systems what happened to a call (SPEC 9.4): the call object as the API shows it,
 * queued as durable webhook jobs. With no endpoint asking for the event type it costs nothing (no Redis read).
 *
 * Durable across a crash: the step that changes the call announces the event in the same store step
 * (`announcing`, written to the outbox only when an endpoint wants it), and `publish` takes it out of the outbox
 * once its jobs are queued. Should the process die in between, or Redis refuse the jobs right then (logged at
 * error level), the OutboxRelay publishes it a little later. Publishing never fails the step that changed the call.
 */
export class CallEventPublisher {
  constructor(
    private readonly webhooks: OutcomeWebhooks | null,
    private readonly calls: CallStore,
    private readonly menus: readonly MenuConfig[],
    private readonly logger: Logger,
  ) {}

  /** Whether any endpoint asks for this event type (a caller can then skip building what it would send). */
  wants(type: OutcomeEventType): boolean {
    return this.webhooks?.wants(type) ?? false;
  }

  /** What a change carries to announce this event (nothing when no endpoint wants it); see the class comment. */
  announcing(type: OutcomeEventType, eventKey: string): Announcement[] {
    return this.wants(type) ? [{ type, eventKey }] : [];
  }

  /**
   * `eventKey` names the event for good (see OutcomeWebhooks.emit); `events` when the caller has them already.
   * False when the jobs could not be queued (logged; the announcement stays for the OutboxRelay).
   */
  async publish(type: OutcomeEventType, call: CallRecord, eventKey: string, events?: readonly CallEvent[]): Promise<boolean> {
    const webhooks = this.webhooks;
    if (!webhooks?.wants(type)) return true;
    try {
      const shown = events ?? (await this.calls.events(call.id, call));
      await webhooks.emit(type, toCallView(call, shown, this.menus), eventKey);
      await this.calls.settleAnnouncement(call.id, { type, eventKey });
      return true;
    } catch (err) {
      this.logger.error({ callId: call.id, type, err: (err as Error).message }, 'outcome webhook not queued');
      return false;
    }
  }
}
