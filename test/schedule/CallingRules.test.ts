import { describe, expect, it } from 'vitest';
import { HORIZON_DAYS, brokenRules, isAllowed, nextAllowedTime } from '../../src/schedule/CallingRules.js';
import type { BusinessHours, RuleSet } from '../../src/schedule/ruleTypes.js';

const at = (iso: string) => new Date(iso);
const next = (rules: RuleSet, from: string) => nextAllowedTime(rules, at(from))?.toISOString() ?? null;
const windowIn = (zones: string[], start: string, end: string): RuleSet => ({ window: { start, end }, customerZones: zones, hours: null });

// [case, rules, from, expected next allowed time]
type Row = [string, RuleSet, string, string | null];

const newYork8to21 = windowIn(['America/New_York'], '08:00', '21:00');

describe('calling window in the customer zone', () => {
  const rows: Row[] = [
    ['08:00 New York is 12:00Z in July', newYork8to21, '2026-07-15T11:59:59.999Z', '2026-07-15T12:00:00.000Z'],
    ['08:00 New York is 13:00Z in January', newYork8to21, '2026-01-15T12:00:00.000Z', '2026-01-15T13:00:00.000Z'],
    ['inside the window: from itself, milliseconds kept', newYork8to21, '2026-07-15T15:00:00.123Z', '2026-07-15T15:00:00.123Z'],
    ['the window start itself is allowed', newYork8to21, '2026-07-15T12:00:00.000Z', '2026-07-15T12:00:00.000Z'],
    ['the end is exclusive: 21:00 EDT waits for tomorrow 08:00', newYork8to21, '2026-07-16T01:00:00.000Z', '2026-07-16T12:00:00.000Z'],
    ['last millisecond before the end', newYork8to21, '2026-07-16T00:59:59.999Z', '2026-07-16T00:59:59.999Z'],
    [
      'US spring-forward: a start inside the gap (02:30) is the end of the gap, 07:00Z',
      windowIn(['America/New_York'], '02:30', '21:00'),
      '2026-03-08T05:00:00.000Z',
      '2026-03-08T07:00:00.000Z',
    ],
    [
      'the day after spring-forward, 02:30 EDT exists again (06:30Z)',
      windowIn(['America/New_York'], '02:30', '21:00'),
      '2026-03-09T02:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ],
    [
      'US fall-back: a start in the repeated hour is its first occurrence (01:30 EDT = 05:30Z)',
      windowIn(['America/New_York'], '01:30', '21:00'),
      '2026-11-01T04:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
    ],
    [
      'US fall-back: an end in the repeated hour ends at its first occurrence, not the second',
      windowIn(['America/New_York'], '08:00', '01:30'),
      '2026-11-01T06:15:00.000Z', // 01:15 EST, the second pass through 01:15
      '2026-11-01T13:00:00.000Z', // 08:00 EST
    ],
    [
      'EU spring (Berlin): a start inside the gap is 01:00Z, the end of the gap',
      windowIn(['Europe/Berlin'], '02:30', '20:00'),
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
    ],
    [
      'EU autumn (Berlin): a start in the repeated hour is its first (CEST) occurrence',
      windowIn(['Europe/Berlin'], '02:30', '20:00'),
      '2026-10-24T23:00:00.000Z',
      '2026-10-25T00:30:00.000Z',
    ],
    [
      'EU autumn (Berlin): 08:00 after fall-back is CET (07:00Z)',
      windowIn(['Europe/Berlin'], '08:00', '20:00'),
      '2026-10-25T03:00:00.000Z',
      '2026-10-25T07:00:00.000Z',
    ],
    [
      'two zones: the window must hold in both (LA starts later, New York ends earlier)',
      windowIn(['America/New_York', 'America/Los_Angeles'], '08:00', '21:00'),
      '2026-07-15T12:00:00.000Z',
      '2026-07-15T15:00:00.000Z',
    ],
    [
      'two zones: past New York 21:00 waits for LA 08:00 next day',
      windowIn(['America/New_York', 'America/Los_Angeles'], '08:00', '21:00'),
      '2026-07-16T01:00:00.000Z',
      '2026-07-16T15:00:00.000Z',
    ],
  ];

  it.each(rows)('%s', (_case, rules, from, expected) => {
    expect(next(rules, from)).toBe(expected);
  });

  it('isAllowed agrees with the window edges', () => {
    expect(isAllowed(newYork8to21, at('2026-07-15T11:59:59.999Z'))).toBe(false);
    expect(isAllowed(newYork8to21, at('2026-07-15T12:00:00.000Z'))).toBe(true);
    expect(isAllowed(newYork8to21, at('2026-01-15T12:30:00.000Z'))).toBe(false);
    expect(isAllowed(newYork8to21, at('2026-01-15T13:00:00.000Z'))).toBe(true);
    expect(isAllowed(newYork8to21, at('2026-07-16T00:59:59.999Z'))).toBe(true);
    expect(isAllowed(newYork8to21, at('2026-07-16T01:00:00.000Z'))).toBe(false);
  });

  it('spring-forward: nothing before the gap ends, allowed from its end', () => {
    const rules = windowIn(['America/New_York'], '02:30', '21:00');
    expect(isAllowed(rules, at('2026-03-08T06:59:59.999Z'))).toBe(false);
    expect(isAllowed(rules, at('2026-03-08T07:00:00.000Z'))).toBe(true);
  });

  it('an end that falls in the gap ends at the gap', () => {
    // 20:00 EST on 7 March (01:00Z) until 02:30 on 8 March, which does not exist: the window closes at 07:00Z.
    const rules = windowIn(['America/New_York'], '20:00', '02:30');
    expect(isAllowed(rules, at('2026-03-08T06:59:59.999Z'))).toBe(true);
    expect(isAllowed(rules, at('2026-03-08T07:00:00.000Z'))).toBe(false);
    expect(next(rules, '2026-03-08T07:00:00.000Z')).toBe('2026-03-09T00:00:00.000Z'); // 20:00 EDT
  });
});

describe('a window crossing midnight (22:00-06:00)', () => {
  const nightInNewYork = windowIn(['America/New_York'], '22:00', '06:00');
  const nightInBerlin = windowIn(['Europe/Berlin'], '22:00', '06:00');
  const rows: Row[] = [
    ['before 22:00 EDT waits for it', nightInNewYork, '2026-07-15T20:00:00.000Z', '2026-07-16T02:00:00.000Z'],
    ['after midnight is still inside', nightInNewYork, '2026-07-16T08:00:00.000Z', '2026-07-16T08:00:00.000Z'],
    ['06:00 EDT is the end (exclusive)', nightInNewYork, '2026-07-16T10:00:00.000Z', '2026-07-17T02:00:00.000Z'],
    // Spring-forward night: 22:00 EST (03:00Z) to 06:00 EDT (10:00Z), seven hours.
    ['US spring-forward night: still inside just before 06:00 EDT', nightInNewYork, '2026-03-08T09:59:59.999Z', '2026-03-08T09:59:59.999Z'],
    ['US spring-forward night: ends at 06:00 EDT = 10:00Z', nightInNewYork, '2026-03-08T10:00:00.000Z', '2026-03-09T02:00:00.000Z'],
    // Fall-back night: 22:00 EDT (02:00Z) to 06:00 EST (11:00Z), nine hours.
    ['US fall-back night: 05:30 EST is inside', nightInNewYork, '2026-11-01T10:30:00.000Z', '2026-11-01T10:30:00.000Z'],
    [
      'US fall-back night: ends at 06:00 EST = 11:00Z, then 22:00 EST',
      nightInNewYork,
      '2026-11-01T11:00:00.000Z',
      '2026-11-02T03:00:00.000Z',
    ],
    ['EU spring night: starts 22:00 CET = 21:00Z', nightInBerlin, '2026-03-28T20:00:00.000Z', '2026-03-28T21:00:00.000Z'],
    [
      'EU spring night: ends 06:00 CEST = 04:00Z, next 22:00 CEST = 20:00Z',
      nightInBerlin,
      '2026-03-29T04:00:00.000Z',
      '2026-03-29T20:00:00.000Z',
    ],
    ['EU autumn night: 05:30 CET = 04:30Z is inside', nightInBerlin, '2026-10-25T04:30:00.000Z', '2026-10-25T04:30:00.000Z'],
    [
      'EU autumn night: ends 06:00 CET = 05:00Z, next 22:00 CET = 21:00Z',
      nightInBerlin,
      '2026-10-25T05:00:00.000Z',
      '2026-10-25T21:00:00.000Z',
    ],
  ];

  it.each(rows)('%s', (_case, rules, from, expected) => {
    expect(next(rules, from)).toBe(expected);
  });
});

// Berlin: split days, Wednesday and Sunday missing (closed), Friday evening running into Saturday via "24:00".
const berlinHours: BusinessHours = {
  timezone: 'Europe/Berlin',
  weekly: {
    mon: [
      ['09:00', '12:00'],
      ['13:00', '17:00'],
    ],
    tue: [
      ['09:00', '12:00'],
      ['13:00', '17:00'],
    ],
    thu: [['09:00', '17:00']],
    fri: [
      ['09:00', '12:00'],
      ['20:00', '24:00'],
    ],
    sat: [['00:00', '02:00']],
  },
};
const hoursOnly: RuleSet = { window: null, customerZones: [], hours: berlinHours };

describe('business hours (Europe/Berlin)', () => {
  // 2026-07-13 is a Monday; Berlin is UTC+2 in July, UTC+1 in January.
  const rows: Row[] = [
    ['Monday 10:00 is open', hoursOnly, '2026-07-13T08:00:00.000Z', '2026-07-13T08:00:00.000Z'],
    ['Monday lunch (12:00) waits for 13:00', hoursOnly, '2026-07-13T10:00:00.000Z', '2026-07-13T11:00:00.000Z'],
    ['Monday 17:00 waits for Tuesday 09:00', hoursOnly, '2026-07-13T15:00:00.000Z', '2026-07-14T07:00:00.000Z'],
    ['Tuesday evening: Wednesday is closed, so Thursday 09:00', hoursOnly, '2026-07-14T15:30:00.000Z', '2026-07-16T07:00:00.000Z'],
    ['Friday 18:00 waits for 20:00', hoursOnly, '2026-07-17T16:00:00.000Z', '2026-07-17T18:00:00.000Z'],
    ['Friday 23:59 is open', hoursOnly, '2026-07-17T21:59:00.000Z', '2026-07-17T21:59:00.000Z'],
    ['Saturday 00:00 is open (Friday ends at 24:00)', hoursOnly, '2026-07-17T22:00:00.000Z', '2026-07-17T22:00:00.000Z'],
    ['Saturday 02:00: Sunday is closed, so Monday 09:00', hoursOnly, '2026-07-18T00:00:00.000Z', '2026-07-20T07:00:00.000Z'],
    ['January Monday 08:00 CET waits for 09:00 CET = 08:00Z', hoursOnly, '2026-01-12T07:00:00.000Z', '2026-01-12T08:00:00.000Z'],
    [
      'over the EU spring change: Saturday 02:00 CET to Monday 09:00 CEST',
      hoursOnly,
      '2026-03-28T01:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ],
  ];

  it.each(rows)('%s', (_case, rules, from, expected) => {
    expect(next(rules, from)).toBe(expected);
  });

  it('a range end is exclusive', () => {
    expect(isAllowed(hoursOnly, at('2026-07-13T09:59:59.999Z'))).toBe(true);
    expect(isAllowed(hoursOnly, at('2026-07-13T10:00:00.000Z'))).toBe(false);
  });

  it('open all day every day runs without a break across midnights', () => {
    const allDay: [string, string][] = [['00:00', '24:00']];
    const always: RuleSet = {
      window: null,
      customerZones: [],
      hours: {
        timezone: 'Europe/Berlin',
        weekly: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay },
      },
    };
    expect(next(always, '2026-07-13T21:59:59.999Z')).toBe('2026-07-13T21:59:59.999Z');
    expect(isAllowed(always, at('2026-07-13T22:00:00.000Z'))).toBe(true);
  });
});

describe('calling window and business hours together', () => {
  // Customer in New York (08:00-21:00 = 12:00Z-01:00Z in July), agents in Berlin (Mon-Fri 09:00-17:00 = 07:00Z-15:00Z).
  const weekdays: [string, string][] = [['09:00', '17:00']];
  const berlinWeekdays: BusinessHours = {
    timezone: 'Europe/Berlin',
    weekly: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays },
  };
  const newYorkCustomer: RuleSet = { window: { start: '08:00', end: '21:00' }, customerZones: ['America/New_York'], hours: berlinWeekdays };
  const losAngelesCustomer: RuleSet = { ...newYorkCustomer, customerZones: ['America/Los_Angeles'] };

  const rows: Row[] = [
    ['agents there, customer asleep: waits for 08:00 New York', newYorkCustomer, '2026-07-13T08:00:00.000Z', '2026-07-13T12:00:00.000Z'],
    ['both hold', newYorkCustomer, '2026-07-13T14:00:00.000Z', '2026-07-13T14:00:00.000Z'],
    [
      'after agents leave: next morning agents are back at 07:00Z but the customer only at 12:00Z',
      newYorkCustomer,
      '2026-07-13T15:00:00.000Z',
      '2026-07-14T12:00:00.000Z',
    ],
    ['Friday after hours: Monday 12:00Z', newYorkCustomer, '2026-07-17T15:00:00.000Z', '2026-07-20T12:00:00.000Z'],
    // LA 08:00 PST = 16:00Z, Berlin 17:00 CET = 16:00Z: the two never overlap in winter.
    ['no overlap within the horizon: null', losAngelesCustomer, '2026-01-12T00:00:00.000Z', null],
  ];

  it.each(rows)('%s', (_case, rules, from, expected) => {
    expect(next(rules, from)).toBe(expected);
  });

  it('brokenRules tells which rule an instant breaks', () => {
    expect(brokenRules(newYorkCustomer, at('2026-07-13T08:00:00.000Z'))).toEqual({ window: true, hours: false });
    expect(brokenRules(newYorkCustomer, at('2026-07-13T16:00:00.000Z'))).toEqual({ window: false, hours: true });
    expect(brokenRules(newYorkCustomer, at('2026-07-19T03:00:00.000Z'))).toEqual({ window: true, hours: true }); // Sunday night
    expect(brokenRules(newYorkCustomer, at('2026-07-13T14:00:00.000Z'))).toEqual({ window: false, hours: false });
  });
});

describe('no rules and the horizon', () => {
  it('with no window and no hours every instant is allowed', () => {
    const none: RuleSet = { window: null, customerZones: ['America/New_York'], hours: null };
    expect(isAllowed(none, at('2026-07-15T03:00:00.000Z'))).toBe(true);
    expect(next(none, '2026-07-15T03:00:00.123Z')).toBe('2026-07-15T03:00:00.123Z');
  });

  it('a window with no customer zone has nowhere to hold, so it is no rule', () => {
    expect(isAllowed(windowIn([], '08:00', '09:00'), at('2026-07-15T03:00:00.000Z'))).toBe(true);
  });

  it(`looks ${HORIZON_DAYS} days ahead by default, less when asked`, () => {
    expect(HORIZON_DAYS).toBe(14);
    // Tuesday 17:30 Berlin; the next opening is Thursday 09:00, 37.5 hours later.
    expect(nextAllowedTime(hoursOnly, at('2026-07-14T15:30:00.000Z'), 1)).toBeNull();
    expect(nextAllowedTime(hoursOnly, at('2026-07-14T15:30:00.000Z'), 2)?.toISOString()).toBe('2026-07-16T07:00:00.000Z');
    const onlySunday: RuleSet = {
      window: null,
      customerZones: [],
      hours: { timezone: 'Europe/Berlin', weekly: { sun: [['10:00', '11:00']] } },
    };
    expect(nextAllowedTime(onlySunday, at('2026-07-13T00:00:00.000Z'), 5)).toBeNull();
    expect(nextAllowedTime(onlySunday, at('2026-07-13T00:00:00.000Z'))?.toISOString()).toBe('2026-07-19T08:00:00.000Z');
  });
});
