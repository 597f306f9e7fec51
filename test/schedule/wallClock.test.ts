import { describe, expect, it } from 'vitest';
import { instantOfWallClock, localDatesAround, minutesOfDay, type LocalDate } from '../../src/schedule/wallClock.js';

const day = (iso: string): LocalDate => {
  const [year, month, dayOfMonth] = iso.split('-').map(Number) as [number, number, number];
  return { year, month, day: dayOfMonth, weekday: 0 };
};

describe('instantOfWallClock', () => {
  // [case, zone, local date, local time, expected instant]
  const rows: Array<[string, string, string, string, string]> = [
    ['New York summer (EDT, UTC-4)', 'America/New_York', '2026-07-15', '08:00', '2026-07-15T12:00:00.000Z'],
    ['New York winter (EST, UTC-5)', 'America/New_York', '2026-01-15', '08:00', '2026-01-15T13:00:00.000Z'],
    [
      'US spring-forward: 02:30 is skipped, first instant after the gap',
      'America/New_York',
      '2026-03-08',
      '02:30',
      '2026-03-08T07:00:00.000Z',
    ],
    ['US spring-forward: 02:00 is skipped too', 'America/New_York', '2026-03-08', '02:00', '2026-03-08T07:00:00.000Z'],
    ['US spring-forward: 03:00 EDT is the gap end', 'America/New_York', '2026-03-08', '03:00', '2026-03-08T07:00:00.000Z'],
    ['US spring-forward: before the gap', 'America/New_York', '2026-03-08', '01:59', '2026-03-08T06:59:00.000Z'],
    ['US fall-back: repeated 01:30 is its first (EDT) occurrence', 'America/New_York', '2026-11-01', '01:30', '2026-11-01T05:30:00.000Z'],
    ['US fall-back: 02:00 EST exists once', 'America/New_York', '2026-11-01', '02:00', '2026-11-01T07:00:00.000Z'],
    ['EU spring: 02:30 Berlin is skipped', 'Europe/Berlin', '2026-03-29', '02:30', '2026-03-29T01:00:00.000Z'],
    ['EU autumn: repeated 02:30 Berlin is its first (CEST) occurrence', 'Europe/Berlin', '2026-10-25', '02:30', '2026-10-25T00:30:00.000Z'],
    ['24:00 is the next midnight (CET)', 'Europe/Berlin', '2026-03-28', '24:00', '2026-03-28T23:00:00.000Z'],
    ['24:00 on the spring-forward day is the next midnight (CEST)', 'Europe/Berlin', '2026-03-29', '24:00', '2026-03-29T22:00:00.000Z'],
  ];

  it.each(rows)('%s', (_case, zone, date, clock, expected) => {
    expect(new Date(instantOfWallClock(day(date), clock, zone)).toISOString()).toBe(expected);
  });

  it('refuses an unknown zone', () => {
    expect(() => instantOfWallClock(day('2026-07-15'), '08:00', 'Mars/Olympus')).toThrow('Unknown time zone: Mars/Olympus');
  });
});

describe('minutesOfDay', () => {
  it.each([
    ['00:00', 0],
    ['08:30', 510],
    ['23:59', 1439],
    ['24:00', 1440],
  ])('%s is %i minutes', (clock, minutes) => {
    expect(minutesOfDay(clock)).toBe(minutes);
  });

  it.each(['8:00', '24:01', '25:00', '12:60', '', 'noon'])('refuses %j', (clock) => {
    expect(() => minutesOfDay(clock)).toThrow('Not a time of day');
  });
});

describe('localDatesAround', () => {
  it('lists the zone’s calendar days from the day before to the last day, with weekdays', () => {
    // 2026-07-13T23:30Z is already Tuesday 14 July in Berlin (UTC+2).
    const dates = localDatesAround(Date.parse('2026-07-13T23:30:00Z'), Date.parse('2026-07-15T12:00:00Z'), 'Europe/Berlin');
    expect(dates).toEqual([
      { year: 2026, month: 7, day: 13, weekday: 1 },
      { year: 2026, month: 7, day: 14, weekday: 2 },
      { year: 2026, month: 7, day: 15, weekday: 3 },
    ]);
  });
});
