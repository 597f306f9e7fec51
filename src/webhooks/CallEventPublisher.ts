import type { Logger } from 'pino';
import { toCallView } from '../calls/callView.js';
import type { MenuConfig } from '../config/schema.js';
import type { CallEvent, CallRecord } from '../store/CallRecord.js';
import type { CallStore } from '../store/CallStore.js';
import type { OutcomeWebhooks } from './OutcomeWebhooks.js';
import type { OutcomeEventType } from './WebhookEndpoint.js';

/**
 * Tells the contact center's systems what happened to a call (SPEC 9.4): the call object as the API shows it,
 * queued as durable webhook jobs. With no endpoint asking for the event type it costs nothing (no Redis read).
 *
 * Publishing never fails the step that changed the call: the change has happened and stands. Should Redis refuse
 * the jobs right then, the event is logged at error level and not sent (the step itself has just written to the
 * same Redis, so this is a narrow window).
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

  /** `eventKey` names the event for good (see OutcomeWebhooks.emit); `events` when the caller has them already. */
  async publish(type: OutcomeEventType, call: CallRecord, eventKey: string, events?: readonly CallEvent[]): Promise<void> {
    const webhooks = this.webhooks;
    if (!webhooks?.wants(type)) return;
    try {
      const shown = events ?? (await this.calls.events(call.id, call));
      await webhooks.emit(type, toCallView(call, shown, this.menus), eventKey);
    } catch (err) {
      this.logger.error({ callId: call.id, type, err: (err as Error).message }, 'outcome webhook not queued');
    }
  }
}
