import type { ExplainCalling } from '../api/schemas/explainSchemas.js';
import { callZones } from '../lifecycle/callZones.js';
import type { CallingPolicy } from '../schedule/CallingPolicy.js';
import type { CallRecord } from '../store/CallRecord.js';

/**
 * The dry run's `calling` part: the fire step's own check of the calling window and business hours (SPEC 9.3),
 * for the call at `now`, with the time it would be deferred to. Reads nothing else and changes nothing.
 */
export function explainCalling(
  calling: Pick<CallingPolicy, 'check'>,
  call: Pick<CallRecord, 'menu_id' | 'timezone' | 'customer_zones'>,
  now: Date,
): ExplainCalling {
  const check = calling.check({ menuId: call.menu_id, zones: callZones(call) }, now);
  if (check.allowed) return { allowed: true, deferred_until: null, reason: null, timezone: call.timezone };
  return { allowed: false, deferred_until: check.next?.toISOString() ?? null, reason: check.reason, timezone: call.timezone };
}
