import { describe, expect, it } from 'vitest';
import { explainCalling } from '../../src/admin/explainCalling.js';
import { explainCallingSchema } from '../../src/api/schemas/explainSchemas.js';
import { CallingPolicy } from '../../src/schedule/CallingPolicy.js';

/** The dry run's calling part at fixed instants (the clock is a parameter). 2030-01-07 is a Monday. */

const policy = new CallingPolicy({
  defaultTimezone: 'America/New_York',
  callingWindow: { start: '08:00', end: '21:00' },
  menus: [
    // Agents in Berlin on weekdays only.
    { id: 9, hours: { timezone: 'Europe/Berlin', weekly: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']] } } },
    { id: 10, callingWindow: { start: '10:00', end: '12:00' } },
    { id: 11, hours: { timezone: 'UTC', weekly: {} } }, // configured, but closed every day
  ],
});
const utcCall = (menuId: number) => ({ menu_id: menuId, timezone: 'UTC', customer_zones: ['UTC'] });

describe('explainCalling', () => {
  it('inside the window and the hours: allowed, nothing deferred, the call zone shown', () => {
    // 09:00 UTC = 10:00 Berlin on a Monday; 09:00 in the customer's zone (UTC) is inside 08:00-21:00.
    const answer = explainCalling(policy, utcCall(9), new Date('2030-01-07T09:00:00.000Z'));
    expect(answer).toEqual({ allowed: true, deferred_until: null, reason: null, timezone: 'UTC' });
    expect(() => explainCallingSchema.strict().parse(answer)).not.toThrow();
  });

  it("outside the menu's own window: deferred to its next start, reason calling_window", () => {
    expect(explainCalling(policy, utcCall(10), new Date('2030-01-07T12:00:00.000Z'))).toEqual({
      allowed: false,
      deferred_until: '2030-01-08T10:00:00.000Z', // end is exclusive: 12:00 is outside, the next start is tomorrow
      reason: 'calling_window',
      timezone: 'UTC',
    });
  });

  it('inside the window but the agents are gone: deferred to the next opening, reason business_hours', () => {
    // 17:00 UTC = 18:00 Berlin on Tuesday; Wednesday to Sunday closed, so next Monday 09:00 Berlin = 08:00 UTC.
    expect(explainCalling(policy, utcCall(9), new Date('2030-01-08T17:00:00.000Z'))).toEqual({
      allowed: false,
      deferred_until: '2030-01-14T08:00:00.000Z',
      reason: 'business_hours',
      timezone: 'UTC',
    });
  });

  it('both broken: the reason names both, the time is where both hold', () => {
    // 05:00 UTC: before 08:00 for the customer and before 09:00 in Berlin (06:00); both hold from 08:00 UTC (09:00 Berlin).
    expect(explainCalling(policy, utcCall(9), new Date('2030-01-07T05:00:00.000Z'))).toEqual({
      allowed: false,
      deferred_until: '2030-01-07T08:00:00.000Z',
      reason: 'calling_window_and_business_hours',
      timezone: 'UTC',
    });
  });

  it("reads the window in the customer's zones: every zone of a number without a single zone (timezone null)", () => {
    // 13:30 UTC = 08:30 in New York but 05:30 in Los Angeles: not yet; 16:00 UTC is 08:00 in Los Angeles.
    const call = { menu_id: 20, timezone: null, customer_zones: ['America/New_York', 'America/Los_Angeles'] };
    expect(explainCalling(policy, call, new Date('2030-01-07T13:30:00.000Z'))).toEqual({
      allowed: false,
      deferred_until: '2030-01-07T16:00:00.000Z',
      reason: 'calling_window',
      timezone: null,
    });
  });

  it('no allowed time at all (closed every day): not allowed, no time to defer to', () => {
    expect(explainCalling(policy, utcCall(11), new Date('2030-01-07T10:00:00.000Z'))).toEqual({
      allowed: false,
      deferred_until: null,
      reason: 'business_hours',
      timezone: 'UTC',
    });
  });

  it('no rule anywhere: allowed at any hour', () => {
    const none = new CallingPolicy({ defaultTimezone: 'America/New_York', menus: [{ id: 9 }] });
    for (const at of ['2030-01-07T03:00:00.000Z', '2030-01-12T23:59:00.000Z']) {
      expect(explainCalling(none, utcCall(9), new Date(at))).toEqual({
        allowed: true,
        deferred_until: null,
        reason: null,
        timezone: 'UTC',
      });
    }
  });
});
