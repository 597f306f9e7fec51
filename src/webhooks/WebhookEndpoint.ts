import type { WebhookEventType } from '../config/webhookEventTypes.js';

/**
 * One `webhooks` entry of the config (SPEC 9.4). Declared here by shape, so that this module does not depend on
 * the config schema: the schema's own type is assignable to it.
 */
export interface WebhookEndpoint {
  url: string;
  /** `whsec_<base64>`: the HMAC key is the base64-decoded part after the prefix (Standard Webhooks). */
  secret: string;
  /** Which event types are sent: a type (`call.queued`), `call.*` or `*`. */
  events: readonly string[];
  /** Per delivery attempt (config default 10,000). */
  timeoutMs: number;
}

/** The outcome events of SPEC 9.4 (one list, the config's). */
export type OutcomeEventType = WebhookEventType;

/** What an attempt's time is read from (a parameter, so that tests can move it). */
export type Clock = () => Date;
