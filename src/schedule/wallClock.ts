import { DateTime } from 'luxon';

/** A calendar day in some zone, with luxon's weekday (1 = Monday … 7 = Sunday). */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
  weekday: number;
}

const CLOCK = /^(\d{2}):(\d{2})$/;

/** Minutes after midnight of an "HH:MM" time ("24:00" = 1440, the end of the day). */
export function minutesOfDay(clock: string): number {
  const match = CLOCK.exec(clock);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || minute > 59 || hour > 24 || (hour === 24 && minute > 0)) throw new Error(`Not a time of day (HH:MM): ${clock}`);
  return hour * 60 + minute;
}

/** The local calendar days from the day before `fromMs` to the day of `toMs` (a day's rules can reach into the next). */
export function localDatesAround(fromMs: number, toMs: number, zone: string): LocalDate[] {
  // Calendar arithmetic runs in UTC so that it is pure date counting, untouched by the zone's DST changes.
  const asCalendarDay = (ms: number) =>
    validIn(zone, DateTime.fromMillis(ms, { zone })).setZone('utc', { keepLocalTime: true }).startOf('day');
  const last = asCalendarDay(toMs);
  const dates: LocalDate[] = [];
  for (let day = asCalendarDay(fromMs).minus({ days: 1 }); day <= last; day = day.plus({ days: 1 })) {
    dates.push({ year: day.year, month: day.month, day: day.day, weekday: day.weekday });
  }
  return dates;
}

export function nextDate(date: LocalDate): LocalDate {
  const next = DateTime.fromObject({ year: date.year, month: date.month, day: date.day }, { zone: 'utc' }).plus({ days: 1 });
  return { year: next.year, month: next.month, day: next.day, weekday: next.weekday };
}

/**
 * The instant at which the zone's wall clock first shows `clock` on `date` (epoch ms), following DST:
 * a time skipped by spring-forward is the first instant after the gap (so an end in the gap ends at the gap),
 * a time repeated by fall-back is its first occurrence, "24:00" is the next day's midnight.
 */
export function instantOfWallClock(date: LocalDate, clock: string, zone: string): number {
  // A zone conversion costs luxon tens of microseconds, and the same zones, days and times recur on every check.
  const key = `${zone} ${date.year}-${date.month}-${date.day} ${clock}`;
  let instant = resolvedInstants.get(key);
  if (instant === undefined) {
    if (resolvedInstants.size >= MAX_RESOLVED_INSTANTS) resolvedInstants.clear();
    instant = resolveWallClock(date, clock, zone);
    resolvedInstants.set(key, instant);
  }
  return instant;
}

const MAX_RESOLVED_INSTANTS = 100_000;
const resolvedInstants = new Map<string, number>();

function resolveWallClock(date: LocalDate, clock: string, zone: string): number {
  const minutes = minutesOfDay(clock);
  if (minutes === 24 * 60) return instantOfWallClock(nextDate(date), '00:00', zone);
  const wanted = { year: date.year, month: date.month, day: date.day, hour: Math.floor(minutes / 60), minute: minutes % 60 };
  const resolved = validIn(zone, DateTime.fromObject(wanted, { zone }));
  const inGap = resolved.day !== wanted.day || resolved.hour !== wanted.hour || resolved.minute !== wanted.minute;
  if (inGap) return firstInstantShowing(wanted, zone, resolved.toMillis());
  // Luxon resolves a repeated time to its later occurrence; the rule means the first one.
  return Math.min(resolved.toMillis(), ...resolved.getPossibleOffsets().map((candidate) => candidate.toMillis()));
}

/**
 * Binary search for the first instant whose wall-clock reading is at or after `wanted` — for a skipped time,
 * the transition instant that ends the gap. `after` (luxon's shifted resolution) already reads later than `wanted`;
 * 48 hours earlier reads earlier, since no gap is longer than a day.
 */
function firstInstantShowing(wanted: Parameters<typeof DateTime.fromObject>[0], zone: string, after: number): number {
  const target = DateTime.fromObject(wanted, { zone: 'utc' }).toMillis();
  const reading = (ms: number) => DateTime.fromMillis(ms, { zone }).setZone('utc', { keepLocalTime: true }).toMillis();
  let before = after - 48 * 3_600_000;
  let atOrAfter = after;
  while (atOrAfter - before > 1) {
    const middle = Math.floor((before + atOrAfter) / 2);
    if (reading(middle) >= target) atOrAfter = middle;
    else before = middle;
  }
  return atOrAfter;
}

/** Luxon answers an invalid DateTime for an unknown zone; a rule in an unknown zone is a configuration error. */
function validIn(zone: string, dateTime: DateTime): DateTime {
  if (!dateTime.isValid) throw new Error(`Unknown time zone: ${zone}`);
  return dateTime;
}
