import { randomBytes } from 'node:crypto';
import type { CallView } from '../../src/calls/callView.js';
import { waitFor } from './testApp.js';
import type { WebhookDelivery, WebhookReceiver } from './WebhookReceiver.js';

/** Helpers for end-to-end tests of the outcome webhooks (SPEC 9.4), over what a WebhookReceiver recorded. */

/** A Standard Webhooks secret as the config takes it: `whsec_<base64>`. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** The `webhook-id` of a call's event: `msg_<event key>` (e.g. `msg_42-queued`). */
export const webhookIdOf = (callId: number, event: string) => `msg_${callId}-${event}`;

/** One delivery, read as a receiver reads it. */
export interface ReceivedEvent {
  webhookId: string;
  /** `webhook-timestamp`: Unix seconds of this attempt. */
  attemptAt: number;
  type: string;
  /** The body's `timestamp`: when the event happened (the same on every attempt). */
  timestamp: string;
  call: CallView;
  /** The body's keys and its `data`'s keys, to check the exact shape. */
  bodyKeys: string[];
  dataKeys: string[];
  delivery: WebhookDelivery;
}

export function readDelivery(delivery: WebhookDelivery): ReceivedEvent {
  const body = JSON.parse(delivery.rawBody) as { type: string; timestamp: string; data: { call: CallView } };
  return {
    webhookId: String(delivery.headers['webhook-id']),
    attemptAt: Number(delivery.headers['webhook-timestamp']),
    type: body.type,
    timestamp: body.timestamp,
    call: body.data.call,
    bodyKeys: Object.keys(body),
    dataKeys: Object.keys(body.data),
    delivery,
  };
}

/** The events the receiver accepted (answered 2xx), the first accepted delivery of each `webhook-id`. */
export function acceptedEvents(receiver: WebhookReceiver): Map<string, ReceivedEvent> {
  const accepted = new Map<string, ReceivedEvent>();
  for (const delivery of receiver.deliveries) {
    const event = readDelivery(delivery);
    if (delivery.status < 300 && !accepted.has(event.webhookId)) accepted.set(event.webhookId, event);
  }
  return accepted;
}

/** Waits until the receiver has accepted every one of `webhookIds`; returns all it accepted. */
export async function waitForEvents(
  receiver: WebhookReceiver,
  webhookIds: readonly string[],
  timeoutMs = 15_000,
): Promise<Map<string, ReceivedEvent>> {
  const missing = () => webhookIds.filter((id) => !acceptedEvents(receiver).has(id));
  try {
    await waitFor(() => missing().length === 0, timeoutMs, 'webhooks');
  } catch {
    throw new Error(`webhooks not received within ${timeoutMs} ms: ${missing().join(', ')}`);
  }
  return acceptedEvents(receiver);
}

/** Waits for one accepted event and returns it. */
export async function waitForEvent(receiver: WebhookReceiver, webhookId: string, timeoutMs = 15_000): Promise<ReceivedEvent> {
  return (await waitForEvents(receiver, [webhookId], timeoutMs)).get(webhookId)!;
}
