/** The calling rules of SPEC 9.3 as the config declares them. */

/** "HH:MM" 24h, `end` exclusive; `start > end` crosses midnight (e.g. 22:00-06:00); `start !== end`. Every day. */
export interface CallingWindow {
  start: string;
  end: string;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** Luxon's weekday numbering (1 = Monday … 7 = Sunday) mapped to the config's day names. */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A menu's opening hours: ranges `[start, end)` with start < end, `end` may be "24:00"; a missing day is closed. */
export interface BusinessHours {
  timezone: string;
  weekly: Partial<Record<Weekday, Array<[string, string]>>>;
}

/**
 * Everything that decides whether a call may be placed at an instant: the calling window must hold in EVERY
 * customer zone (an empty list means no zone to check, i.e. no window rule), the business hours in their zone.
 */
export interface RuleSet {
  window: CallingWindow | null;
  customerZones: string[];
  hours: BusinessHours | null;
}
