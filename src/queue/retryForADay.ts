/**
 * How durable side effects (CRM comments and reopens, outcome webhooks) are retried: for 24 hours, first retry
 * within 5 s, doubling, at most 5 minutes between tries (SPEC 4, 9.4). Its own module: the queues of both import it.
 */
/** Retried for 24 hours; the backoff (5 s doubling, capped at 5 min) makes ~300 tries. */
export const CRM_EFFECT_ATTEMPTS = 400;
export const CRM_EFFECT_GIVE_UP_MS = 24 * 60 * 60 * 1000;

/** First retry within 5 s, doubling, at most 5 minutes between tries (SPEC section 4). */
export function crmEffectBackoffMs(attemptsMade: number): number {
  return Math.min(5000 * 2 ** Math.max(0, attemptsMade - 1), 5 * 60 * 1000);
}
