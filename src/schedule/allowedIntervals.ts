import type { BusinessHours, CallingWindow } from './ruleTypes.js';
import { WEEKDAYS } from './ruleTypes.js';
import { normalize, type Interval } from './intervals.js';
import { instantOfWallClock, localDatesAround, minutesOfDay, nextDate } from './wallClock.js';

/** The spans within which the calling window holds in `zone`, covering at least `[fromMs, toMs]`. */
export function windowIntervals(window: CallingWindow, zone: string, fromMs: number, toMs: number): Interval[] {
  const crossesMidnight = minutesOfDay(window.start) > minutesOfDay(window.end);
  return normalize(
    localDatesAround(fromMs, toMs, zone).map((date) => ({
      start: instantOfWallClock(date, window.start, zone),
      end: instantOfWallClock(crossesMidnight ? nextDate(date) : date, window.end, zone),
    })),
  );
}

/** The spans within which the business is open, covering at least `[fromMs, toMs]`. */
export function openingIntervals(hours: BusinessHours, fromMs: number, toMs: number): Interval[] {
  return normalize(
    localDatesAround(fromMs, toMs, hours.timezone).flatMap((date) =>
      (hours.weekly[WEEKDAYS[date.weekday - 1]!] ?? []).map(([start, end]) => ({
        start: instantOfWallClock(date, start, hours.timezone),
        end: instantOfWallClock(date, end, hours.timezone),
      })),
    ),
  );
}
