import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { startTestApp, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';
import { CALLS, callBody, createCall, expectError, getCall, totalCalls } from './callApi.js';

/**
 * The create request's `timezone` and the zone a call shows when the request has none (SPEC 3.1, 9.3): the
 * request's zone, else the number's (libphonenumber), null for a number with several zones whose window has a
 * common instant, else `defaultTimezone` — whether or not any rule is configured.
 */

const LONDON = '+44 20 7946 0000';
const LOS_ANGELES = '+1 213 555 0123';
const US_TOLL_FREE = '+1 800 555 0123';
/** International freephone: libphonenumber maps it to no zone. */
const NO_ZONE = '+800 1234 5678';

const plainPrefix = uniquePrefix('tz-plain');
const rulesPrefix = uniquePrefix('tz-rules');
let plain: TestClient;
let rules: TestClient;

/** Menu 10's own narrow window in the rules app: one hour, opening two hours from now in its default zone. */
const RULES_DEFAULT_ZONE = 'Europe/Berlin';
const NARROW_MENU = 10;
let insideNarrowWindow: string;
/** When that window opens (UTC ISO with ms), as the API words the next allowed time. */
let narrowWindowOpens: string;

beforeAll(async () => {
  plain = await startTestApp(testConfig(plainPrefix));

  // A one-hour window cannot hold in every zone of a US toll-free number at once (Guam to Pago Pago).
  const opens = DateTime.now().setZone(RULES_DEFAULT_ZONE).plus({ hours: 2 }).startOf('minute').plus({ minutes: 1 });
  insideNarrowWindow = opens.plus({ minutes: 10 }).toUTC().toISO()!;
  narrowWindowOpens = opens.toJSDate().toISOString();
  const base = testConfig(rulesPrefix);
  rules = await startTestApp(
    testConfig(rulesPrefix, {
      defaultTimezone: RULES_DEFAULT_ZONE,
      menus: base.menus.map((menu) =>
        menu.id === NARROW_MENU
          ? { ...menu, callingWindow: { start: opens.toFormat('HH:mm'), end: opens.plus({ hours: 1 }).toFormat('HH:mm') } }
          : menu,
      ),
    }),
  );
});

afterAll(async () => {
  await plain?.app.close();
  await rules?.app.close();
  await deletePrefix(plainPrefix);
  await deletePrefix(rulesPrefix);
});

describe('timezone on create (SPEC 3.1)', () => {
  it.each(['Europe/London', 'America/Chicago', 'UTC'])('a valid IANA zone %j is kept and shown on the call', async (zone) => {
    const created = await createCall(plain, { end_user_number: LOS_ANGELES, timezone: zone });
    expect(created.timezone).toBe(zone);
    expect((await getCall(plain, created.id)).timezone).toBe(zone);
  });

  it('spaces around a valid zone are ignored, like around the other text fields', async () => {
    const created = await createCall(plain, { timezone: '  Europe/London ' });
    expect(created.timezone).toBe('Europe/London');
  });

  it.each([['Mars/Olympus'], [42], ['+01:00'], ['New York'], [true], [['Europe/London']], [{ zone: 'UTC' }]])(
    '%j is a 400 "timezone is not valid" and creates nothing',
    async (timezone) => {
      const before = await totalCalls(plain);
      await expectError(await plain.api('POST', CALLS, callBody({ timezone })), 400, 'timezone is not valid');
      expect(await totalCalls(plain)).toBe(before);
    },
  );

  it.each([[''], ['   '], [null]])('%j counts as not given (like every optional field): the number’s zone', async (timezone) => {
    const created = await createCall(plain, { end_user_number: LONDON, timezone });
    expect(created.timezone).toBe('Europe/London');
  });

  it('the request’s zone wins over the number’s', async () => {
    expect((await createCall(plain, { end_user_number: LONDON, timezone: 'Asia/Tokyo' })).timezone).toBe('Asia/Tokyo');
  });

  it('a bad timezone is reported after the fields before it (the create order of checks)', async () => {
    await expectError(
      await plain.api('POST', CALLS, callBody({ menu_id: 9999, timezone: 'Mars/Olympus' })),
      400,
      'menu_id 9999 is not found',
    );
  });
});

describe('timezone from the number when the request has none (SPEC 9.3)', () => {
  it.each([
    ['a London number → Europe/London', LONDON, 'Europe/London'],
    ['a Los Angeles number → America/Los_Angeles', LOS_ANGELES, 'America/Los_Angeles'],
    ['a US toll-free number (several zones, no window anywhere) → null', US_TOLL_FREE, null],
    ['a number with no zone → the default defaultTimezone, America/New_York', NO_ZONE, 'America/New_York'],
  ])('no rules configured: %s', async (_case, number, zone) => {
    const created = await createCall(plain, { end_user_number: number });
    expect(created.timezone).toBe(zone);
    expect((await getCall(plain, created.id)).timezone).toBe(zone);
  });

  it('a toll-free number on a menu whose window no instant satisfies in all its zones → defaultTimezone', async () => {
    const created = await createCall(rules, { menu_id: NARROW_MENU, end_user_number: US_TOLL_FREE, scheduled_at: insideNarrowWindow });
    expect(created.timezone).toBe(RULES_DEFAULT_ZONE);
  });

  it('that toll-free number’s window is read in defaultTimezone: before it opens in Berlin, refused with that opening', async () => {
    const before = await totalCalls(rules);
    const res = await rules.api(
      'POST',
      CALLS,
      callBody({ menu_id: NARROW_MENU, end_user_number: US_TOLL_FREE, scheduled_at: new Date(Date.now() + 60 * 60_000).toISOString() }),
    );
    await expectError(res, 400, `scheduled_at is outside the calling window; next allowed time is ${narrowWindowOpens}`);
    expect(await totalCalls(rules)).toBe(before);
  });

  it('a number with no zone → the configured defaultTimezone', async () => {
    const created = await createCall(rules, { menu_id: NARROW_MENU, end_user_number: NO_ZONE, scheduled_at: insideNarrowWindow });
    expect(created.timezone).toBe(RULES_DEFAULT_ZONE);
  });

  it('the same toll-free number on a menu without a window (no global one either) → null', async () => {
    expect((await createCall(rules, { menu_id: 9, end_user_number: US_TOLL_FREE })).timezone).toBeNull();
  });

  it('a London number keeps its own zone in the app with rules too', async () => {
    expect((await createCall(rules, { menu_id: 9, end_user_number: LONDON })).timezone).toBe('Europe/London');
  });
});
