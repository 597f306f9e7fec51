/**
 * Queue names carry a `{hash tag}` so that all keys of one queue land in one Redis Cluster slot
 * (BullMQ's Lua scripts need that).
 */
export const QUEUE_NAMES = {
  /** One delayed job a scheduled call; it fires at `scheduled_at`. */
  fire: '{callbacks}',
  /** CRM comments and reopens, retried with backoff while the CRM is down. */
  crmEffects: '{crm-effects}',
  /** Background bulk cancels. */
  bulkCancel: '{bulk-cancel}',
} as const;

/** The fire queue of a store shard (its own hash tag, so that a Cluster spreads the shards' jobs too). */
export const fireQueueName = (shard: number, shards: number) => (shards === 1 ? QUEUE_NAMES.fire : `{callbacks-${shard}}`);

export const fireJobId = (callId: number) => `call-${callId}`;
