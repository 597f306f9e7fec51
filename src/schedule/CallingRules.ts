import { contains, intersect, type Interval } from './intervals.js';
import { openingIntervals, windowIntervals } from './allowedIntervals.js';
import type { RuleSet } from './ruleTypes.js';

/** How far ahead nextAllowedTime looks; rules that allow nothing within it count as never allowing. */
export const HORIZON_DAYS = 14;

const DAY_MS = 86_400_000;

/** Which rules an instant breaks (a rule that is not configured is never broken). */
export interface BrokenRules {
  window: boolean;
  hours: boolean;
}

/** True when the window holds at `at` in every customer zone and the business is open. */
export function isAllowed(rules: RuleSet, at: Date): boolean {
  const broken = brokenRules(rules, at);
  return !broken.window && !broken.hours;
}

export function brokenRules(rules: RuleSet, at: Date): BrokenRules {
  const ms = at.getTime();
  const window = windowSpans(rules, ms, ms);
  const hours = hoursSpans(rules, ms, ms);
  return { window: window !== null && !contains(window, ms), hours: hours !== null && !contains(hours, ms) };
}

/**
 * The earliest instant at or after `from` where every rule holds: `from` itself when allowed, else the exact start
 * of the next allowed span. Null when nothing is allowed within `horizonDays` (default HORIZON_DAYS) of `from`.
 */
export function nextAllowedTime(rules: RuleSet, from: Date, horizonDays: number = HORIZON_DAYS): Date | null {
  const fromMs = from.getTime();
  // Most answers lie within a day: look that far first, the whole horizon only when needed.
  for (const days of new Set([Math.min(1, horizonDays), horizonDays])) {
    const answer = firstAllowedInstant(rules, fromMs, fromMs + days * DAY_MS);
    if (answer !== null) return new Date(answer);
  }
  return null;
}

/** The earliest allowed instant in `[fromMs, toMs]`, null when there is none. */
function firstAllowedInstant(rules: RuleSet, fromMs: number, toMs: number): number | null {
  const spans = [windowSpans(rules, fromMs, toMs), hoursSpans(rules, fromMs, toMs)].filter((s): s is Interval[] => s !== null);
  if (spans.length === 0) return fromMs;
  const first = spans.reduce(intersect).find((span) => span.end > fromMs);
  if (!first) return null;
  const answer = Math.max(first.start, fromMs);
  return answer <= toMs ? answer : null;
}

/** Where the window holds in all customer zones at once; null when there is no window rule. */
function windowSpans(rules: RuleSet, fromMs: number, toMs: number): Interval[] | null {
  const { window, customerZones } = rules;
  if (!window || customerZones.length === 0) return null;
  return customerZones.map((zone) => windowIntervals(window, zone, fromMs, toMs)).reduce(intersect);
}

function hoursSpans(rules: RuleSet, fromMs: number, toMs: number): Interval[] | null {
  return rules.hours ? openingIntervals(rules.hours, fromMs, toMs) : null;
}
