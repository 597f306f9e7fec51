/**
 * All store keys share one `{hash tag}` so that the Lua scripts touching a call, its indexes and its record
 * guards stay in one Redis Cluster slot. Queue keys are separate (see src/queue/queueNames.ts).
 */
export function storeKeyPrefix(prefix: string): string {
  return `${prefix}:{calls}:`;
}
