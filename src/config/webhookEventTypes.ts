/** The outcome events POSTed to `webhooks` endpoints (SPEC 9.4), in the order a call meets them. */
export const WEBHOOK_EVENT_TYPES = [
  'call.created',
  'call.rescheduled',
  'call.deferred',
  'call.queued',
  'call.canceled',
  'call.failed',
  'call.finished',
  'call.retry_scheduled',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an endpoint's `events` may list: a type, or a wildcard for every type (`call.*` and `*` mean the same today). */
export const WEBHOOK_EVENT_FILTERS = [...WEBHOOK_EVENT_TYPES, 'call.*', '*'] as const;

export type WebhookEventFilter = (typeof WEBHOOK_EVENT_FILTERS)[number];
