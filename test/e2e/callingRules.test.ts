import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MenuConfig } from '../../src/config/schema.js';
import { fireJobId } from '../../src/queue/queueNames.js';
import { CALLS, callBody, createCall, expectError, getCall, totalCalls, waitForStatus, type Call } from '../api/callApi.js';
import { DialerStub } from '../support/DialerStub.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { DIALER_SECRET, OTHER_SKILL_TOKEN, SKILL_TOKEN, testConfig } from '../support/testConfig.js';

/**
 * SPEC 9.3 end to end through HTTP, with the real worker and Redis: calling windows in the customer's zone and
 * business hours in the menu's, on create (refused with the next allowed time), on the skill callback (deferred),
 * at fire time after a config change (deferred, the job back in the delayed set), and no change without rules.
 *
 * No test waits for a wall-clock hour: every window and business day is built relative to now, in "UTC" or a
 * zone the request names, and each expected "next allowed time" is found by a brute-force walk over minutes
 * (an oracle independent of the product's interval arithmetic).
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

const LONDON = '+44 20 7946 0000';
const LOS_ANGELES = '+1 213 555 0123';
const NEW_YORK = '+1 859-657-9625';
const US_TOLL_FREE = '+1 800 555 0123';
/** International freephone: no zone, so the config's defaultTimezone. */
const NO_ZONE = '+800 1234 5678';

type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A daily "HH:MM" window in `zone` that opens `inMs` from now (on a whole minute) and lasts `lengthMs`. */
function windowFromNow(zone: string, inMs: number, lengthMs: number) {
  const opens = DateTime.now().setZone(zone).plus({ milliseconds: inMs }).startOf('minute').plus({ minutes: 1 });
  return { start: opens.toFormat('HH:mm'), end: opens.plus({ milliseconds: lengthMs }).toFormat('HH:mm') };
}

/** Business hours in `zone` open on one day only, from `inMs` from now, for `lengthMs` (cut at that day's midnight). */
function hoursFromNow(zone: string, inMs: number, lengthMs: number) {
  const opens = DateTime.now().setZone(zone).plus({ milliseconds: inMs }).startOf('minute').plus({ minutes: 1 });
  const closes = opens.plus({ milliseconds: lengthMs });
  const end = closes.hasSame(opens, 'day') ? closes.toFormat('HH:mm') : '24:00';
  return { timezone: zone, weekly: { [WEEKDAYS[opens.weekday - 1]!]: [[opens.toFormat('HH:mm'), end]] } };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether the daily window holds at `at` in `zone` (end exclusive; start > end crosses midnight). */
function inWindow(window: { start: string; end: string }, zone: string, at: Date): boolean {
  const local = DateTime.fromJSDate(at, { zone });
  const minute = local.hour * 60 + local.minute;
  const [start, end] = [minutesOf(window.start), minutesOf(window.end)];
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** Whether the business is open at `at` (ranges include their start, exclude their end). */
function inHours(hours: ReturnType<typeof hoursFromNow>, at: Date): boolean {
  const local = DateTime.fromJSDate(at, { zone: hours.timezone });
  const ranges = (hours.weekly as Partial<Record<Weekday, string[][]>>)[WEEKDAYS[local.weekday - 1]!] ?? [];
  const minute = local.hour * 60 + local.minute;
  return ranges.some(([start, end]) => minute >= minutesOf(start!) && minute < minutesOf(end!));
}

/**
 * The oracle: `from` itself when allowed, else the first whole minute after it that is (every rule here opens on a
 * whole minute), walking at most two days.
 */
function firstAllowed(from: Date, allowed: (at: Date) => boolean): Date {
  if (allowed(from)) return from;
  for (let at = Math.ceil(from.getTime() / MINUTE_MS) * MINUTE_MS; at < from.getTime() + 2 * 24 * HOUR_MS; at += MINUTE_MS) {
    if (allowed(new Date(at))) return new Date(at);
  }
  throw new Error('test setup: no allowed minute within two days');
}

const outsideMessage = (next: Date) => `scheduled_at is outside the calling window; next allowed time is ${next.toISOString()}`;

const redis = new Redis(TEST_REDIS_URL);
afterAll(() => redis.disconnect());

/** The due time of the call's fire job in the delayed set (BullMQ scores delayed jobs as dueMs * 0x1000 + n). */
async function delayedFireJobDueMs(t: TestClient, callId: number): Promise<number | null> {
  const queue = t.app.services.queues.fireQueueOf(callId);
  const score = await redis.zscore(queue.keys.delayed!, fireJobId(callId));
  return score === null ? null : Math.floor(Number(score) / 0x1000);
}

const withRules = (base: readonly MenuConfig[], rules: Record<number, Partial<MenuConfig>>, extra: MenuConfig[] = []) => [
  ...base.map((menu) => ({ ...menu, ...rules[menu.id] })),
  ...extra,
];

/**
 * The app with rules. Menu 9: a window (customer zone) opening in 2 h; menu 10: business hours (UTC) opening in
 * 2.5 h; menu 11: both; menu 12: a window written in Los Angeles time. defaultTimezone is UTC.
 */
describe('with calling rules', () => {
  const prefix = uniquePrefix('rules-e2e');
  let t: TestClient;
  const window = windowFromNow('UTC', 2 * HOUR_MS, HOUR_MS);
  const hours = hoursFromNow('UTC', 2.5 * HOUR_MS, HOUR_MS);
  const laWindow = windowFromNow('America/Los_Angeles', 2 * HOUR_MS, HOUR_MS);
  const utcWindowAllows = (at: Date) => inWindow(window, 'UTC', at);
  const bothAllow = (at: Date) => utcWindowAllows(at) && inHours(hours, at);

  beforeAll(async () => {
    const base = testConfig(prefix);
    t = await startTestApp(
      testConfig(prefix, {
        defaultTimezone: 'UTC',
        menus: withRules(base.menus, { 9: { callingWindow: window }, 10: { hours } }, [
          { id: 11, name: 'Both rules', type: 'web', state: 'open', languages: ['en'], callingWindow: window, hours },
          { id: 12, name: 'LA desk', type: 'web', state: 'open', languages: ['en'], callingWindow: laWindow },
        ]),
      }),
    );
  });

  afterAll(async () => {
    await t?.app.close();
    await deletePrefix(prefix);
  });

  describe('create outside the rules is refused with the next allowed time (nothing created)', () => {
    const soon = () => new Date(Date.now() + HOUR_MS);

    it.each([
      ['the calling window (menu 9, zone from the request)', { menu_id: 9, timezone: 'UTC' }, utcWindowAllows],
      ['business hours (menu 10, UTC hours)', { menu_id: 10, end_user_number: NEW_YORK }, (at: Date) => inHours(hours, at)],
      ['both rules (menu 11): the first instant where both hold', { menu_id: 11, timezone: 'UTC' }, bothAllow],
      [
        'the calling window in the number’s zone (menu 12, Los Angeles number)',
        { menu_id: 12, end_user_number: LOS_ANGELES },
        (at: Date) => inWindow(laWindow, 'America/Los_Angeles', at),
      ],
      [
        'the calling window in the request’s zone, not the number’s (menu 12, London number, Los Angeles timezone)',
        { menu_id: 12, end_user_number: LONDON, timezone: 'America/Los_Angeles' },
        (at: Date) => inWindow(laWindow, 'America/Los_Angeles', at),
      ],
    ])('%s', async (_case, fields, allowed) => {
      const before = await totalCalls(t);
      const requested = soon();
      const res = await t.api('POST', CALLS, callBody({ ...fields, scheduled_at: requested.toISOString() }));
      await expectError(res, 400, outsideMessage(firstAllowed(requested, allowed)));
      expect(await totalCalls(t)).toBe(before);
    });

    it('inside the window but before business hours (menu 11): the same message, the time business opens', async () => {
      const requested = new Date(firstAllowed(new Date(), utcWindowAllows).getTime() + 10 * MINUTE_MS);
      expect(inHours(hours, requested)).toBe(false);
      const res = await t.api('POST', CALLS, callBody({ menu_id: 11, timezone: 'UTC', scheduled_at: requested.toISOString() }));
      await expectError(res, 400, outsideMessage(firstAllowed(requested, bothAllow)));
    });

    it('after today’s window has closed: the next allowed time is the next day’s opening', async () => {
      const closesAt = firstAllowed(firstAllowed(new Date(), utcWindowAllows), (at) => !utcWindowAllows(at));
      const requested = new Date(closesAt.getTime() + 5 * MINUTE_MS);
      const next = firstAllowed(requested, utcWindowAllows);
      expect(next.getTime() - requested.getTime()).toBeGreaterThan(20 * HOUR_MS);
      const res = await t.api('POST', CALLS, callBody({ menu_id: 9, timezone: 'UTC', scheduled_at: requested.toISOString() }));
      await expectError(res, 400, outsideMessage(next));
    });

    it('an offset in scheduled_at is the same instant: refused the same way', async () => {
      const requested = soon();
      const offset = DateTime.fromJSDate(requested, { zone: 'Asia/Kolkata' }).toISO()!;
      expect(offset).toMatch(/\+05:30$/);
      const res = await t.api('POST', CALLS, callBody({ menu_id: 9, timezone: 'UTC', scheduled_at: offset }));
      await expectError(res, 400, outsideMessage(firstAllowed(requested, utcWindowAllows)));
    });
  });

  describe('create inside the rules', () => {
    it('inside both the window and business hours (menu 11): 201, scheduled as asked', async () => {
      // Half a minute in: business hours cut at midnight may last only a minute.
      const requested = new Date(firstAllowed(new Date(), bothAllow).getTime() + 30_000);
      const call = await createCall(t, { menu_id: 11, timezone: 'UTC', scheduled_at: requested.toISOString() });
      expect(call.status).toBe('scheduled');
      expect(call.scheduled_at).toBe(requested.toISOString());
      expect(call.timezone).toBe('UTC');
      expect(call.events.map((e) => e.type)).toEqual(['scheduled']);
      expect(await delayedFireJobDueMs(t, call.id)).toBe(requested.getTime());
    });

    it('inside the window at its very first instant (start inclusive): 201', async () => {
      const opens = firstAllowed(new Date(), utcWindowAllows);
      const call = await createCall(t, { menu_id: 9, timezone: 'UTC', scheduled_at: opens.toISOString() });
      expect(call.scheduled_at).toBe(opens.toISOString());
    });

    it('at the window’s end (exclusive): refused with the next day’s opening', async () => {
      const opens = firstAllowed(new Date(), utcWindowAllows);
      const closes = firstAllowed(opens, (at) => !utcWindowAllows(at));
      const res = await t.api('POST', CALLS, callBody({ menu_id: 9, timezone: 'UTC', scheduled_at: closes.toISOString() }));
      await expectError(res, 400, outsideMessage(new Date(opens.getTime() + 24 * HOUR_MS)));
    });
  });

  describe('skill callback (due now) outside the rules: 204, deferred to the next allowed time', () => {
    const latestCall = async (): Promise<Call> => {
      const res = await t.api('GET', `${CALLS}?per_page=1`);
      expect(res.status).toBe(200);
      const [call] = (await res.json()) as Call[];
      return call!;
    };
    const callback = (token: string, skill: string, callbackNumber: string) =>
      fetch(`${t.url}/rest/api/v1/callback`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ skill, callbackNumber }),
      });

    it.each([
      ['outside the calling window (menu 9, a number with no zone: defaultTimezone UTC)', SKILL_TOKEN, 'Online Requests', NO_ZONE, 'UTC'],
      ['outside business hours (menu 10)', OTHER_SKILL_TOKEN, 'Billing', NEW_YORK, 'America/New_York'],
    ])('%s', async (_case, token, skill, number, zone) => {
      const before = await totalCalls(t);
      const asked = new Date();
      const res = await callback(token, skill, number);
      expect(res.status, await res.text()).toBe(204);
      expect(await totalCalls(t)).toBe(before + 1);

      const call = await latestCall();
      const allowed = skill === 'Billing' ? (at: Date) => inHours(hours, at) : utcWindowAllows;
      const next = firstAllowed(new Date(Date.parse(call.created_at)), allowed);
      expect(next.getTime()).toBeGreaterThan(asked.getTime() + HOUR_MS);
      expect(call.status).toBe('scheduled');
      expect(call.attempt).toBe(1);
      expect(call.timezone).toBe(zone);
      expect(call.scheduled_at).toBe(next.toISOString());
      const reason = skill === 'Billing' ? 'outside business hours' : 'outside the calling window';
      expect(call.events.map((e) => [e.type, e.detail])).toEqual([
        ['scheduled', expect.any(String)],
        ['deferred', `${reason}; moved to ${next.toISOString()}`],
      ]);
      // Not dialled now: its fire job waits in the delayed set until the allowed time.
      expect(await delayedFireJobDueMs(t, call.id)).toBe(next.getTime());
    });
  });
});

describe('at fire time, after the config changed: deferred, not dialled', () => {
  const prefix = uniquePrefix('rules-fire');
  const dialer = new DialerStub();
  let app: TestClient | undefined;

  beforeAll(() => dialer.start());
  afterAll(async () => {
    await app?.app.close();
    await dialer.stop();
    await deletePrefix(prefix);
  });

  it('a call made without rules, due while the restarted app has a window that excludes now', async () => {
    const dialerConfig = { dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET } };
    // App A: no rules. The calls are accepted at any time and their fire jobs stored.
    app = await startTestApp(testConfig(prefix, dialerConfig));
    const dueAt = new Date(Date.now() + 3000);
    const inUtc = await createCall(app, { end_user_number: NEW_YORK, timezone: 'UTC', scheduled_at: dueAt.toISOString() });
    const tollFree = await createCall(app, { end_user_number: US_TOLL_FREE, scheduled_at: dueAt.toISOString() });
    expect(tollFree.timezone).toBeNull(); // several zones, and no window then
    await app.app.close();
    app = undefined;
    expect(Date.now(), 'test setup: app A closed before the calls were due').toBeLessThan(dueAt.getTime() - 500);

    // App B on the same Redis: a window (UTC, the default zone too) opening in two hours.
    const window = windowFromNow('UTC', 2 * HOUR_MS, HOUR_MS);
    app = await startTestApp(testConfig(prefix, { ...dialerConfig, defaultTimezone: 'UTC', callingWindow: window }));
    const b = app;
    const deferred = async (id: number) =>
      waitFor(
        async () => {
          const call = await getCall(b, id);
          return call.events.some((e) => e.type === 'deferred') ? call : null;
        },
        15_000,
        `call ${id} deferred`,
      );

    // The toll-free number's zones have no common instant in a one-hour window: read in defaultTimezone (SPEC 9.3).
    for (const created of [inUtc, tollFree]) {
      const call = await deferred(created.id);
      const next = firstAllowed(dueAt, (at) => inWindow(window, 'UTC', at));
      expect(next.getTime()).toBeGreaterThan(Date.now() + HOUR_MS);
      expect(call.status).toBe('scheduled');
      expect(call.fail_reason).toBe('nothing');
      expect(call.scheduled_at).toBe(next.toISOString());
      expect(call.events.map((e) => [e.type, e.detail])).toEqual([
        ['scheduled', expect.any(String)],
        ['deferred', `outside the calling window; moved to ${next.toISOString()}`],
      ]);
      // The fire job is back in the delayed set, due at the new time: it fires then.
      expect(await waitFor(async () => (await delayedFireJobDueMs(b, call.id)) ?? false, 5000, 'the job delayed')).toBe(next.getTime());
      expect(dialer.forCall(call.id)).toHaveLength(0);
    }
  });
});

describe('without any of the new keys: the seeds’ behaviour', () => {
  const prefix = uniquePrefix('rules-none');
  const dialer = new DialerStub();
  let t: TestClient;

  beforeAll(async () => {
    await dialer.start();
    t = await startTestApp(testConfig(prefix, { dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET } }));
  });
  afterAll(async () => {
    await t?.app.close();
    await dialer.stop();
    await deletePrefix(prefix);
  });

  it('a create at any time of day succeeds, the call showing its zone', async () => {
    // Every hour of the next day, on the quarter hour past: every local time of day is asked for once.
    for (let hour = 1; hour <= 24; hour++) {
      const scheduledAt = new Date(Date.now() + hour * HOUR_MS + 15 * MINUTE_MS).toISOString();
      const call = await createCall(t, { scheduled_at: scheduledAt });
      expect(call.scheduled_at).toBe(scheduledAt);
      expect(call.timezone).toBe('America/New_York');
      expect(call.events.map((e) => e.type)).toEqual(['scheduled']);
    }
  });

  it('a due call fires and reaches the dialer, never deferred', async () => {
    const call = await createCall(t, { end_user_number: US_TOLL_FREE, scheduled_at: new Date(Date.now() + 1000).toISOString() });
    expect(call).toHaveProperty('timezone', null);
    const queued = await waitForStatus(t, call.id, 'queued', 15_000);
    expect(queued.events.map((e) => e.type)).toEqual(['scheduled', 'fired', 'decision', 'dialed', 'status']);
    expect(dialer.forCall(call.id)).toHaveLength(1);
  });

  it('the skill callback is due now and dialled now', async () => {
    const res = await fetch(`${t.url}/rest/api/v1/callback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SKILL_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ skill: 'Online Requests', callbackNumber: '3855551234' }),
    });
    expect(res.status).toBe(204);
    const [latest] = (await (await t.api('GET', `${CALLS}?per_page=1`)).json()) as Call[];
    expect(latest!.timezone).toBe('America/Denver');
    expect(Date.parse(latest!.scheduled_at)).toBeLessThanOrEqual(Date.now());
    await waitForStatus(t, latest!.id, 'queued', 15_000);
  });
});
