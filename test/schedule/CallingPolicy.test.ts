import { describe, expect, it } from 'vitest';
import { CallingPolicy } from '../../src/schedule/CallingPolicy.js';
import { zonesOfNumber } from '../../src/schedule/customerZones.js';
import type { BusinessHours } from '../../src/schedule/ruleTypes.js';

const weekdays: [string, string][] = [['09:00', '17:00']];
const berlinWeekdays: BusinessHours = {
  timezone: 'Europe/Berlin',
  weekly: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays },
};

const MENU_PLAIN = 1; // the global window only
const MENU_NARROW = 2; // its own narrow window
const MENU_HOURS = 3; // the global window and Berlin business hours

const policy = new CallingPolicy({
  defaultTimezone: 'America/Chicago',
  callingWindow: { start: '08:00', end: '21:00' },
  menus: [
    { id: MENU_PLAIN },
    { id: MENU_NARROW, callingWindow: { start: '09:00', end: '10:00' } },
    { id: MENU_HOURS, hours: berlinWeekdays },
  ],
});
const noWindowPolicy = new CallingPolicy({
  defaultTimezone: 'America/Chicago',
  menus: [{ id: MENU_PLAIN }, { id: MENU_HOURS, hours: berlinWeekdays }],
});

const TOLL_FREE = '+18005550123';

describe('customerTimezone (SPEC 9.3 order)', () => {
  it.each([
    [
      'the requested zone wins over the number',
      { menuId: MENU_PLAIN, e164: '+442079460000', requested: 'Asia/Tokyo' },
      ['Asia/Tokyo'],
      'Asia/Tokyo',
    ],
    ['a London number', { menuId: MENU_PLAIN, e164: '+442079460000', requested: null }, ['Europe/London'], 'Europe/London'],
    ['a Los Angeles number', { menuId: MENU_PLAIN, e164: '+12135550123', requested: null }, ['America/Los_Angeles'], 'America/Los_Angeles'],
    [
      'a number with no zone: the default',
      { menuId: MENU_PLAIN, e164: '+80012345678', requested: null },
      ['America/Chicago'],
      'America/Chicago',
    ],
    [
      'toll-free with a window no instant satisfies everywhere (09:00-10:00): the default',
      { menuId: MENU_NARROW, e164: TOLL_FREE, requested: null },
      ['America/Chicago'],
      'America/Chicago',
    ],
  ])('%s', async (_case, input, zones, timezone) => {
    expect(await policy.customerTimezone(input)).toEqual({ zones, timezone });
  });

  it('toll-free with 08:00-21:00: all its zones, shown as null (the window has a common slot)', async () => {
    const all = await zonesOfNumber(TOLL_FREE);
    expect(await policy.customerTimezone({ menuId: MENU_PLAIN, e164: TOLL_FREE, requested: null })).toEqual({ zones: all, timezone: null });
  });

  it('toll-free without any window: all its zones, shown as null', async () => {
    const all = await zonesOfNumber(TOLL_FREE);
    expect(await noWindowPolicy.customerTimezone({ menuId: MENU_PLAIN, e164: TOLL_FREE, requested: null })).toEqual({
      zones: all,
      timezone: null,
    });
  });
});

describe('check with a toll-free number’s zones (08:00-21:00 everywhere)', () => {
  // Binding zones: Guam (UTC+10) opens at 22:00Z; St John's closes at 00:30Z in winter (UTC-3:30), 23:30Z in summer (UTC-2:30).
  it.each([
    ['January midday: waits for Guam 08:00 = 22:00Z', '2026-01-15T12:00:00.000Z', '2026-01-15T22:00:00.000Z'],
    ['January 22:00Z is allowed', '2026-01-15T22:00:00.000Z', null],
    ['January 00:29:59.999Z is allowed', '2026-01-16T00:29:59.999Z', null],
    ['January 00:30Z is St John’s 21:00: next evening', '2026-01-16T00:30:00.000Z', '2026-01-16T22:00:00.000Z'],
    ['July 23:29:59.999Z is allowed', '2026-07-15T23:29:59.999Z', null],
    ['July 23:30Z is St John’s 21:00: next evening', '2026-07-15T23:30:00.000Z', '2026-07-16T22:00:00.000Z'],
  ])('%s', async (_case, when, expectedNext) => {
    const { zones } = await policy.customerTimezone({ menuId: MENU_PLAIN, e164: TOLL_FREE, requested: null });
    const result = policy.check({ menuId: MENU_PLAIN, zones }, new Date(when));
    if (expectedNext === null) expect(result).toEqual({ allowed: true });
    else expect(result).toEqual({ allowed: false, next: new Date(expectedNext), reason: 'calling_window' });
  });
});

describe('check', () => {
  const newYork = ['America/New_York'];
  const denied = (next: string, reason: string) => ({ allowed: false, next: new Date(next), reason });
  // July: New York window 12:00Z-01:00Z; Berlin hours Mon-Fri 07:00Z-15:00Z. 2026-07-13 is a Monday.
  it.each([
    ['both hold', MENU_HOURS, newYork, '2026-07-13T13:00:00.000Z', { allowed: true }],
    ['only the window is broken', MENU_HOURS, newYork, '2026-07-13T08:00:00.000Z', denied('2026-07-13T12:00:00.000Z', 'calling_window')],
    ['only the hours are broken', MENU_HOURS, newYork, '2026-07-13T16:00:00.000Z', denied('2026-07-14T12:00:00.000Z', 'business_hours')],
    [
      'both are broken (Sunday night)',
      MENU_HOURS,
      newYork,
      '2026-07-19T03:00:00.000Z',
      denied('2026-07-20T12:00:00.000Z', 'calling_window_and_business_hours'),
    ],
    [
      'the menu’s own window beats the global one',
      MENU_NARROW,
      newYork,
      '2026-07-13T12:30:00.000Z',
      denied('2026-07-13T13:00:00.000Z', 'calling_window'),
    ],
    [
      'no zones: the default zone (Chicago, 08:00 = 13:00Z in July)',
      MENU_PLAIN,
      [],
      '2026-07-13T12:30:00.000Z',
      denied('2026-07-13T13:00:00.000Z', 'calling_window'),
    ],
  ])('%s', (_case, menuId, zones, when, expected) => {
    expect(policy.check({ menuId, zones }, new Date(when))).toEqual(expected);
  });

  it('reports null as the next time when the rules never meet within the horizon', () => {
    // Los Angeles 08:00 PST = 16:00Z, Berlin 17:00 CET = 16:00Z. Monday 10:00Z: Berlin is open (11:00), LA is at 02:00.
    expect(policy.check({ menuId: MENU_HOURS, zones: ['America/Los_Angeles'] }, new Date('2026-01-12T10:00:00.000Z'))).toEqual({
      allowed: false,
      next: null,
      reason: 'calling_window',
    });
  });

  it('with no rule at all everything is allowed', () => {
    expect(noWindowPolicy.check({ menuId: MENU_PLAIN, zones: ['America/New_York'] }, new Date('2026-07-13T03:00:00.000Z'))).toEqual({
      allowed: true,
    });
  });
});

describe('rulesFor, describe, hasRules', () => {
  it('rulesFor: the menu window beats the global one, hours come only from the menu, no zones means the default', () => {
    expect(policy.rulesFor(MENU_NARROW, ['Europe/London'])).toEqual({
      window: { start: '09:00', end: '10:00' },
      customerZones: ['Europe/London'],
      hours: null,
    });
    expect(policy.rulesFor(MENU_HOURS, [])).toEqual({
      window: { start: '08:00', end: '21:00' },
      customerZones: ['America/Chicago'],
      hours: berlinWeekdays,
    });
    expect(policy.rulesFor(99, ['Europe/London']).window).toEqual({ start: '08:00', end: '21:00' });
  });

  it('describe shows the effective window, where it comes from, the hours and the default zone', () => {
    expect(policy.describe(MENU_NARROW)).toEqual({
      defaultTimezone: 'America/Chicago',
      callingWindow: { start: '09:00', end: '10:00' },
      callingWindowSource: 'menu',
      hours: null,
    });
    expect(policy.describe(MENU_HOURS)).toEqual({
      defaultTimezone: 'America/Chicago',
      callingWindow: { start: '08:00', end: '21:00' },
      callingWindowSource: 'global',
      hours: berlinWeekdays,
    });
    expect(noWindowPolicy.describe(MENU_PLAIN)).toEqual({
      defaultTimezone: 'America/Chicago',
      callingWindow: null,
      callingWindowSource: null,
      hours: null,
    });
  });

  it('hasRules is false only when neither a window nor hours apply', () => {
    expect(policy.hasRules(MENU_PLAIN)).toBe(true);
    expect(policy.hasRules(99)).toBe(true);
    expect(noWindowPolicy.hasRules(MENU_HOURS)).toBe(true);
    expect(noWindowPolicy.hasRules(MENU_PLAIN)).toBe(false);
    expect(noWindowPolicy.hasRules(99)).toBe(false);
  });

  it('refuses an unknown default or business-hours zone', () => {
    expect(() => new CallingPolicy({ defaultTimezone: 'Mars/Olympus', menus: [] })).toThrow('Unknown time zone: Mars/Olympus');
    expect(
      () => new CallingPolicy({ defaultTimezone: 'UTC', menus: [{ id: 1, hours: { timezone: 'Nowhere/Land', weekly: {} } }] }),
    ).toThrow('Unknown time zone: Nowhere/Land');
  });
});
