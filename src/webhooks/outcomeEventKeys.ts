/**
 * The keys that name outcome events for good (SPEC 9.4: `webhook-id` is `msg_<key>`, the same on every retry and
 * every repeat of the step that emits it). One event per call and kind, except those that can happen more than
 * once, which carry their time. `{id}` stands for a call id the store has yet to give (see CallStore.create).
 */
type CallId = number | '{id}';

export const outcomeEventKeys = {
  created: (id: CallId) => `${id}-created`,
  deferred: (id: CallId, until: Date) => `${id}-deferred-${until.getTime()}`,
  rescheduled: (id: number, at: Date) => `${id}-rescheduled-${at.getTime()}`,
  queued: (id: number) => `${id}-queued`,
  canceled: (id: number) => `${id}-canceled`,
  failed: (id: number) => `${id}-failed`,
  finished: (id: number) => `${id}-finished`,
  retryScheduled: (id: number) => `${id}-retry_scheduled`,
};
