import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialerStub } from '../support/DialerStub.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { basic, inMs, jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { API_USER, DIALER_SECRET, testConfig } from '../support/testConfig.js';
import { WebhookReceiver } from '../support/WebhookReceiver.js';
import { CALLS, HOUR_MS, ISO_UTC_MS, anonymous, createCall, expectError, getCall, waitForStatus, type Call } from './callApi.js';

/** SPEC 9.1: PATCH /apps/api/v1/calls/scheduled/{id} with {"scheduled_at"}, against the real app, worker and Redis. */

const prefix = uniquePrefix('api-reschedule');
const dialer = new DialerStub();
const receiver = new WebhookReceiver(`whsec_${Buffer.from('reschedule-test-secret-0123456789').toString('base64')}`);
let t: TestClient;

beforeAll(async () => {
  await dialer.start();
  await receiver.start();
  t = await startTestApp(
    testConfig(prefix, {
      dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET },
      webhooks: [{ url: receiver.url, secret: receiver.secret, events: ['call.rescheduled'] }],
    }),
  );
});

afterAll(async () => {
  await t?.app.close();
  await dialer.stop();
  await receiver.stop();
  await deletePrefix(prefix);
});

const reschedulePath = (id: number | string) => `${CALLS}/scheduled/${id}`;
const reschedule = (id: number | string, body: unknown) => t.api('PATCH', reschedulePath(id), body);
const NOT_RESCHEDULABLE = 'Only a scheduled call can be rescheduled';
const REQUIRED = 'scheduled_at is required';
const INVALID = 'scheduled_at must be a valid future time';

/** Waits until the wall clock reaches `ms` (the delayed job runs on the real clock). */
const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms - Date.now())));
const eventsOf = (call: Call, type: string) => call.events.filter((e) => e.type === type);

describe('a scheduled call moved to another time (SPEC 9.1)', () => {
  it('later: 200 with the call still scheduled at the new time, event rescheduled old → new; fires once, at the new time only', async () => {
    const created = await createCall(t, { scheduled_at: inMs(1500) });
    const oldAt = created.scheduled_at;
    const newAt = new Date(Date.parse(oldAt) + 2500).toISOString();

    const res = await reschedule(created.id, { scheduled_at: newAt.replace('Z', '+00:00') });
    expect(res.status).toBe(200);
    const moved = await jsonBody<Call>(res);
    expect(moved).toMatchObject({ id: created.id, status: 'scheduled', scheduled_at: newAt });
    expect(moved.scheduled_at).toMatch(ISO_UTC_MS);
    const [event, ...more] = eventsOf(moved, 'rescheduled');
    expect(more).toEqual([]);
    expect(event).toMatchObject({ type: 'rescheduled', detail: `${oldAt} → ${newAt}` });
    expect(event!.at).toMatch(ISO_UTC_MS);
    expect(await getCall(t, created.id)).toEqual(moved);

    // The outcome event reaches the contact center's systems, signed, with the moved call.
    const delivery = await waitFor(
      () => receiver.deliveries.find((d) => (JSON.parse(d.rawBody) as { data: { call: Call } }).data.call.id === created.id),
      10_000,
      'the call.rescheduled webhook',
    );
    expect(delivery.verified).toBe(true);
    expect(delivery.headers['webhook-id']).toMatch(new RegExp(`^msg_${created.id}-rescheduled-\\d+$`));
    const sent = JSON.parse(delivery.rawBody) as { type: string; data: { call: Call } };
    expect(sent.type).toBe('call.rescheduled');
    expect(sent.data.call).toMatchObject({ status: 'scheduled', scheduled_at: newAt });

    await until(Date.parse(oldAt) + 1000);
    expect(dialer.forCall(created.id)).toEqual([]);
    expect((await getCall(t, created.id)).status).toBe('scheduled');

    const queued = await waitForStatus(t, created.id, 'queued', 10_000);
    expect(dialer.forCall(created.id)).toHaveLength(1);
    const [fired] = eventsOf(queued, 'fired');
    expect(Date.parse(fired!.at)).toBeGreaterThanOrEqual(Date.parse(newAt));
    expect(eventsOf(queued, 'fired')).toHaveLength(1);
    expect(eventsOf(queued, 'dialed')).toHaveLength(1);
  });

  it('earlier: fires at the new time, once', async () => {
    const created = await createCall(t, { scheduled_at: inMs(HOUR_MS) });
    const newAt = inMs(1500);
    const res = await reschedule(created.id, { scheduled_at: newAt });
    expect(res.status).toBe(200);
    expect(await jsonBody<Call>(res)).toMatchObject({ status: 'scheduled', scheduled_at: newAt });

    const queued = await waitForStatus(t, created.id, 'queued', 10_000);
    expect(Date.parse(eventsOf(queued, 'fired')[0]!.at)).toBeGreaterThanOrEqual(Date.parse(newAt));
    // Well before the old time: the job really moved.
    expect(Date.now()).toBeLessThan(Date.parse(created.scheduled_at) - HOUR_MS / 2);
    expect(dialer.forCall(created.id)).toHaveLength(1);
    expect(eventsOf(queued, 'fired')).toHaveLength(1);
  });

  it('twice: each move is an event, and the call is due at the last time', async () => {
    const created = await createCall(t);
    const first = inMs(2 * HOUR_MS);
    const second = inMs(3 * HOUR_MS);
    expect((await reschedule(created.id, { scheduled_at: first })).status).toBe(200);
    expect((await reschedule(created.id, { scheduled_at: second })).status).toBe(200);
    const call = await getCall(t, created.id);
    expect(call.scheduled_at).toBe(second);
    expect(eventsOf(call, 'rescheduled').map((e) => e.detail)).toEqual([`${created.scheduled_at} → ${first}`, `${first} → ${second}`]);
  });
});

describe('refused reschedules change nothing', () => {
  it('answers every body problem with the create messages, and the call stays as it was', async () => {
    const created = await createCall(t);
    const before = await getCall(t, created.id);
    const cases: Array<[body: unknown, message: string]> = [
      [undefined, REQUIRED],
      [{}, REQUIRED],
      [{ scheduled_at: null }, REQUIRED],
      [{ scheduled_at: '' }, REQUIRED],
      [{ scheduled_at: '   ' }, REQUIRED],
      ['[]', REQUIRED],
      ['null', REQUIRED],
      ['"2030-01-01T10:00:00Z"', REQUIRED],
      [{ scheduledAt: inMs(HOUR_MS) }, REQUIRED],
      [{ scheduled_at: 'tomorrow' }, INVALID],
      [{ scheduled_at: 1893492000000 }, INVALID],
      [{ scheduled_at: '2030-01-01T10:00:00' }, INVALID], // no offset: ambiguous
      [{ scheduled_at: '2030-02-30T10:00:00Z' }, INVALID], // no such day
      [{ scheduled_at: inMs(-60_000) }, INVALID],
      [{ scheduled_at: '2020-01-01T10:00:00+02:00' }, INVALID],
    ];
    for (const [body, message] of cases) {
      await expectError(await reschedule(created.id, body), 400, message);
    }
    await expectError(await reschedule(created.id, '{"scheduled_at": '), 400, 'Malformed JSON request body');
    expect(await getCall(t, created.id)).toEqual(before);
  });

  it('an unknown call, or an id that cannot name one: 404 Call not found', async () => {
    const body = { scheduled_at: inMs(HOUR_MS) };
    for (const id of ['99999999', '0', 'abc', '-1', '1.5']) {
      await expectError(await reschedule(id, body), 404, 'Call not found');
    }
  });

  it('checks the body before the call: a bad body for an unknown call is the 400', async () => {
    await expectError(await reschedule(99999999, {}), 400, REQUIRED);
    await expectError(await reschedule('abc', { scheduled_at: 'soon' }), 400, INVALID);
  });

  it('a canceled call: 409, and it stays canceled', async () => {
    const created = await createCall(t);
    expect((await t.api('PATCH', `${reschedulePath(created.id)}/cancel`)).status).toBe(200);
    const before = await getCall(t, created.id);
    await expectError(await reschedule(created.id, { scheduled_at: inMs(2 * HOUR_MS) }), 409, NOT_RESCHEDULABLE);
    expect(await getCall(t, created.id)).toEqual(before);
  });

  it('a call already handed to the dialer (queued): 409, dialled once', async () => {
    const created = await createCall(t, { scheduled_at: inMs(300) });
    const before = await waitForStatus(t, created.id, 'queued');
    await expectError(await reschedule(created.id, { scheduled_at: inMs(HOUR_MS) }), 409, NOT_RESCHEDULABLE);
    expect(await getCall(t, created.id)).toEqual(before);
    expect(dialer.forCall(created.id)).toHaveLength(1);
  });

  it('without credentials, or with wrong ones: 401, and the call stays as it was', async () => {
    const created = await createCall(t);
    const before = await getCall(t, created.id);
    const body = { scheduled_at: inMs(2 * HOUR_MS) };
    await expectError(await anonymous(t, 'PATCH', reschedulePath(created.id), body), 401);
    await expectError(
      await t.api('PATCH', reschedulePath(created.id), body, { authorization: basic({ ...API_USER, password: 'nope' }) }),
      401,
    );
    expect(await getCall(t, created.id)).toEqual(before);
  });
});

describe('the bulk cancel path is not a reschedule of a call named "cancel"', () => {
  it('PATCH /calls/scheduled/cancel still starts a bulk cancel', async () => {
    const created = await createCall(t);
    const res = await t.api('PATCH', `${CALLS}/scheduled/cancel`, { call_ids: [created.id] });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toMatch(/^\/apps\/api\/v1\/calls\/scheduled\/cancel\/[0-9a-f-]{36}$/);
    await waitForStatus(t, created.id, 'canceled');
    // A reschedule body sent there is a bad bulk cancel, not a reschedule.
    await expectError(
      await t.api('PATCH', `${CALLS}/scheduled/cancel`, { scheduled_at: inMs(HOUR_MS) }),
      400,
      'call_ids must be a non-empty array of call ids',
    );
  });
});

describe('outside the calling rules (SPEC 9.3)', () => {
  const windowPrefix = uniquePrefix('api-reschedule-window');
  let w: TestClient;
  // A window in UTC built around the current time: open from the last full hour minus one to three hours after it.
  const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const hh = (ms: number) => `${String(new Date(ms).getUTCHours()).padStart(2, '0')}:00`;

  beforeAll(async () => {
    w = await startTestApp(
      testConfig(windowPrefix, { callingWindow: { start: hh(hourStart - HOUR_MS), end: hh(hourStart + 3 * HOUR_MS) } }),
      {
        worker: false,
      },
    );
  });

  afterAll(async () => {
    await w?.app.close();
    await deletePrefix(windowPrefix);
  });

  it("refuses a time outside the window in the call's zone with the next allowed time, and changes nothing", async () => {
    const created = await createCall(w, { scheduled_at: inMs(HOUR_MS), timezone: 'UTC' });
    expect(created.timezone).toBe('UTC');
    const before = await getCall(w, created.id);

    const outside = new Date(hourStart + 4.5 * HOUR_MS).toISOString();
    const nextOpening = new Date(hourStart - HOUR_MS + 24 * HOUR_MS).toISOString();
    await expectError(
      await w.api('PATCH', reschedulePath(created.id), { scheduled_at: outside }),
      400,
      `scheduled_at is outside the calling window; next allowed time is ${nextOpening}`,
    );
    expect(await getCall(w, created.id)).toEqual(before);

    // The next allowed time itself is accepted.
    const res = await w.api('PATCH', reschedulePath(created.id), { scheduled_at: nextOpening });
    expect(res.status).toBe(200);
    expect((await jsonBody<Call>(res)).scheduled_at).toBe(nextOpening);
  });
});
