import type { CallingRuleBreach } from '../schedule/CallingPolicy.js';

const REASONS: Record<CallingRuleBreach, string> = {
  calling_window: 'outside the calling window',
  business_hours: 'outside business hours',
  calling_window_and_business_hours: 'outside the calling window and business hours',
};

/** The `deferred` event's detail: the reason and the new time (SPEC 9.3). */
export function describeDeferral(reason: CallingRuleBreach, next: Date): string {
  return `${REASONS[reason]}; moved to ${next.toISOString()}`;
}
