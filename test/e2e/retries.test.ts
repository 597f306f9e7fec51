import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallView } from '../../src/calls/callView.js';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';
import { DialerStub } from '../support/DialerStub.js';
import { InMemoryCrm } from '../support/InMemoryCrm.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { DIALER_SECRET, testConfig } from '../support/testConfig.js';
import { WebhookReceiver } from '../support/WebhookReceiver.js';

/**
 * SPEC 9.2 retries and the dialer reports' outcome events (9.4), through the API with the real worker: a retry is
 * an ordinary scheduled call that fires, meets the SPEC 4 checks (an in-test CRM) and reaches the dialer.
 */

const CALLS = '/apps/api/v1/calls';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const minuteFloor = (ms: number) => Math.floor(ms / 60_000) * 60_000;
const timeOfDayUtc = (at: Date) => at.toISOString().slice(11, 16);

const prefix = uniquePrefix('e2e-retries');
const plainPrefix = uniquePrefix('e2e-no-retries');
const dialer = new DialerStub();
const receiver = new WebhookReceiver(`whsec_${randomBytes(24).toString('base64')}`);
const crm = new InMemoryCrm('zendesk');
/** Menu 11's calling window, in UTC: open from 10 minutes ago for 70 minutes, every day. */
const windowOpens = new Date(minuteFloor(Date.now() - 10 * 60_000));
let t: TestClient;
let plain: TestClient;

beforeAll(async () => {
  await dialer.start();
  await receiver.start();
  t = await startTestApp(
    testConfig(prefix, {
      crm: {
        provider: 'zendesk',
        lookup: { timeoutMs: 300, attempts: 2, budgetMs: 1000 },
        zendesk: { url: 'http://127.0.0.1:1/api/v2', email: 'a@example.com', token: 'unused' },
      },
      dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET },
      retries: { maxAttempts: 3, intervalSeconds: 1, on: ['no_answer', 'busy'] },
      menus: [
        { id: 9, name: 'Lock Star', type: 'web', languages: ['en', 'es'] },
        // Its own retries: fewer attempts, and only `busy` earns one.
        { id: 10, name: 'App Support', type: 'mobile', languages: ['en'], retries: { maxAttempts: 2, intervalSeconds: 1, on: ['busy'] } },
        {
          id: 11,
          name: 'Day Desk',
          type: 'web',
          languages: ['en'],
          callingWindow: { start: timeOfDayUtc(windowOpens), end: timeOfDayUtc(new Date(windowOpens.getTime() + 70 * 60_000)) },
          retries: { maxAttempts: 2, intervalSeconds: 3 * 60 * 60, on: ['no_answer'] },
        },
      ],
      webhooks: [{ url: receiver.url, secret: receiver.secret, events: ['call.failed', 'call.finished', 'call.retry_scheduled'] }],
    }),
    { crmAdapter: crm },
  );
  // The seeds' behaviour: no `retries` anywhere (the log dialer accepts every call).
  plain = await startTestApp(testConfig(plainPrefix, { dialer: { kind: 'log' } }));
});

afterAll(async () => {
  await t?.app.close();
  await plain?.app.close();
  await dialer.stop();
  await receiver.stop();
  await deletePrefix(prefix);
  await deletePrefix(plainPrefix);
});

let seq = 0;
/** A new open record in the CRM. */
function openRecord(): string {
  seq += 1;
  const id = `R${seq}x${Date.now() % 100000}`;
  crm.records.set(id, { closed: false, status: 'open' });
  return id;
}

async function create(app: TestClient, fields: Record<string, unknown>, inMillis = 500): Promise<CallView> {
  const res = await app.api('POST', CALLS, {
    call_type: 'Voice Scheduled (API)',
    menu_id: 9,
    end_user_number: '+18596579625',
    scheduled_at: inMs(inMillis),
    ...fields,
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as CallView;
}

async function getCall(app: TestClient, id: number): Promise<CallView> {
  const res = await app.api('GET', `${CALLS}/${id}`);
  expect(res.status).toBe(200);
  return jsonBody<CallView>(res);
}

const inStatus = (app: TestClient, id: number, status: string) =>
  waitFor(
    async () => {
      const call = await getCall(app, id);
      return call.status === status ? call : null;
    },
    15_000,
    `call ${id} to become ${status}`,
  );

/** A call that has fired and been handed to the dialer. */
async function dialed(fields: Record<string, unknown>, app = t): Promise<CallView> {
  const call = await create(app, fields);
  return inStatus(app, call.id, 'queued');
}

const report = (app: TestClient, id: number, body: Record<string, unknown>) => app.api('PATCH', `${CALLS}/${id}`, body);

async function fail(id: number, failReason: string, app = t): Promise<CallView> {
  const res = await report(app, id, { status: 'failed', fail_reason: failReason });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as CallView;
}

const eventsOf = (call: CallView, type: string) => call.events.filter((e) => e.type === type);
const retryEvents = (call: CallView) =>
  call.events.filter((e) => ['retry_scheduled', 'retry_skipped', 'retries_exhausted'].includes(e.type));

function retryIdOf(failed: CallView): number {
  const scheduled = eventsOf(failed, 'retry_scheduled');
  expect(scheduled).toHaveLength(1);
  return Number(scheduled[0]!.detail);
}

async function callsOfRecord(ticketId: string): Promise<CallView[]> {
  const res = await t.api('GET', `${CALLS}?ticket_id=${ticketId}&per_page=100`);
  expect(res.status).toBe(200);
  return jsonBody<CallView[]>(res);
}

/** Every call of the retries app whose parent is `id` (calls without a record cannot be listed by it). */
async function retriesOf(id: number): Promise<CallView[]> {
  const res = await t.api('GET', `${CALLS}?per_page=100`);
  expect(res.status).toBe(200);
  return (await jsonBody<CallView[]>(res)).filter((c) => c.parent_id === id);
}

interface EventBody {
  type: string;
  data: { call: CallView };
}

/** The one delivery of an outcome event (by its webhook-id), once it has arrived, verified. */
async function delivered(webhookId: string): Promise<EventBody> {
  const [delivery] = await waitFor(
    () => (receiver.deliveriesOf(webhookId).length ? receiver.deliveriesOf(webhookId) : null),
    15_000,
    webhookId,
  );
  expect(delivery!.verified, delivery!.verifyError).toBe(true);
  return JSON.parse(delivery!.rawBody) as EventBody;
}

describe('no retries configured (the seeds’ behaviour)', () => {
  it('a failed no_answer report makes no new call and no retry event', async () => {
    const call = await dialed({}, plain);
    const failed = await fail(call.id, 'no_answer', plain);
    expect(failed.status).toBe('failed');
    expect(retryEvents(failed)).toEqual([]);
    const list = await plain.api('GET', CALLS);
    expect(list.headers.get('x-total-count')).toBe('1');
    expect((await jsonBody<CallView[]>(list)).map((c) => c.id)).toEqual([call.id]);
  });
});

describe('retries (maxAttempts 3, every second, on no_answer and busy)', () => {
  it('schedules attempt 2 and 3 as ordinary calls that reach the dialer, then records retries_exhausted', async () => {
    const ticketId = openRecord();
    const first = await dialed({ ticket_id: ticketId, lang: 'es', recording_permission: 'recording_permission_granted' });
    expect(first.attempt).toBe(1);

    const failed = await fail(first.id, 'no_answer');
    expect(failed.status).toBe('failed');
    const secondId = retryIdOf(failed);
    const second = await getCall(t, secondId);
    expect(second).toMatchObject({
      parent_id: first.id,
      attempt: 2,
      status: 'scheduled',
      end_user_number: first.end_user_number,
      out_ticket_id: ticketId,
      lang: 'es',
      recording_permission: 'granted',
      timezone: first.timezone,
      selected_menu: { id: 9 },
    });
    // intervalSeconds after the report (the failed call's ends_at is the report's time).
    expect(Date.parse(second.scheduled_at)).toBe(Date.parse(failed.ends_at!) + 1000);

    // It fires and goes through the whole fire path: the CRM is read, the dialer gets it.
    const secondQueued = await inStatus(t, secondId, 'queued');
    expect(secondQueued.events.map((e) => e.type)).toEqual(['scheduled', 'fired', 'crm_lookup', 'decision', 'dialed', 'status']);
    expect(dialer.forCall(secondId)).toHaveLength(1);
    expect(dialer.forCall(secondId)[0]!.body.attempt).toBe(2);

    const thirdId = retryIdOf(await fail(secondId, 'busy'));
    const third = await getCall(t, thirdId);
    expect(third).toMatchObject({ parent_id: secondId, attempt: 3 });
    await inStatus(t, thirdId, 'queued');
    expect(dialer.forCall(thirdId)).toHaveLength(1);

    const last = await fail(thirdId, 'no_answer');
    expect(retryEvents(last).map((e) => [e.type, e.detail])).toEqual([['retries_exhausted', 'attempt 3 of 3']]);
    const calls = await callsOfRecord(ticketId);
    expect(calls.map((c) => [c.id, c.attempt, c.status])).toEqual([
      [thirdId, 3, 'failed'],
      [secondId, 2, 'failed'],
      [first.id, 1, 'failed'],
    ]);
  });

  it('publishes call.failed and call.retry_scheduled for the failed call, call.finished for a finished one', async () => {
    const call = await dialed({ ticket_id: openRecord() });
    const failed = await fail(call.id, 'busy');
    const retryId = retryIdOf(failed);

    const failedEvent = await delivered(`msg_${call.id}-failed`);
    expect(failedEvent.type).toBe('call.failed');
    expect(failedEvent.data.call).toMatchObject({ id: call.id, status: 'failed', fail_reason: 'busy' });
    const retryEvent = await delivered(`msg_${call.id}-retry_scheduled`);
    expect(retryEvent.type).toBe('call.retry_scheduled');
    expect(retryEvent.data.call.id).toBe(call.id);
    expect(eventsOf(retryEvent.data.call, 'retry_scheduled').map((e) => e.detail)).toEqual([String(retryId)]);

    const answered = await dialed({ ticket_id: openRecord() });
    expect((await report(t, answered.id, { status: 'connected' })).status).toBe(200);
    expect((await report(t, answered.id, { status: 'finished' })).status).toBe(200);
    const finishedEvent = await delivered(`msg_${answered.id}-finished`);
    expect(finishedEvent.type).toBe('call.finished');
    expect(finishedEvent.data.call).toMatchObject({ id: answered.id, status: 'finished' });
  });

  it('a retry that fires when its record is closed is canceled with the comment, like any call (SPEC 4)', async () => {
    const ticketId = openRecord();
    const call = await dialed({ ticket_id: ticketId });
    const retryId = retryIdOf(await fail(call.id, 'no_answer'));
    crm.records.set(ticketId, { closed: true, status: 'closed' });

    const retry = await inStatus(t, retryId, 'canceled');
    expect(retry.fail_reason).toBe('record_closed');
    await waitFor(() => crm.commentsOn(ticketId).includes(CRM_COMMENTS.record_closed_not_created), 15_000, 'the closed-record comment');
    expect(dialer.forCall(retryId)).toEqual([]);
  });

  it('a fail_reason the config does not list (invalid_number) makes no retry', async () => {
    const ticketId = openRecord();
    const call = await dialed({ ticket_id: ticketId });
    const failed = await fail(call.id, 'invalid_number');
    expect(retryEvents(failed)).toEqual([]);
    expect((await callsOfRecord(ticketId)).map((c) => c.id)).toEqual([call.id]);
  });

  it('the same failed report twice in a row makes one retry; the second is a 409 (failed is final)', async () => {
    const ticketId = openRecord();
    const call = await dialed({ ticket_id: ticketId });
    const first = await fail(call.id, 'no_answer');
    const again = await report(t, call.id, { status: 'failed', fail_reason: 'no_answer' });
    expect(again.status).toBe(409);
    const stored = await getCall(t, call.id);
    expect(retryEvents(stored)).toEqual(retryEvents(first));
    expect(eventsOf(stored, 'status').map((e) => e.detail)).toEqual(['queued', 'failed']);
    const calls = await callsOfRecord(ticketId);
    expect(calls.map((c) => c.id)).toEqual([retryIdOf(first), call.id]);
    // Another report on the failed call is refused as well.
    expect((await report(t, call.id, { status: 'failed', fail_reason: 'busy' })).status).toBe(409);
  });

  it.each([
    ['with a CRM record', true],
    ['without a CRM record (no duplicate guard to lean on)', false],
  ])('the same failed report sent concurrently makes one retry (%s)', async (_what, withRecord) => {
    const call = await dialed(withRecord ? { ticket_id: openRecord() } : {});
    const answers = await Promise.all(Array.from({ length: 5 }, () => report(t, call.id, { status: 'failed', fail_reason: 'no_answer' })));
    // One report moves the call; the others find it final (409) and make no second retry.
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const failed = await getCall(t, call.id);
    const retries = await retriesOf(call.id);
    expect(retries.map((c) => c.id)).toEqual([retryIdOf(failed)]);
    expect(retryEvents(failed).map((e) => e.type)).toEqual(['retry_scheduled']);
  });

  it('records retry_skipped, and makes no call and no CRM comment, when the record already has a scheduled call', async () => {
    const ticketId = openRecord();
    const call = await dialed({ ticket_id: ticketId });
    const booked = await create(t, { ticket_id: ticketId }, HOUR_MS);

    const failed = await fail(call.id, 'no_answer');
    expect(retryEvents(failed).map((e) => [e.type, e.detail])).toEqual([
      ['retry_skipped', `the record already has a scheduled call: ${booked.id}`],
    ]);
    expect((await callsOfRecord(ticketId)).map((c) => c.id)).toEqual([booked.id, call.id]);

    // A refused request does write the comment (SPEC 3.1); once that one is in, the skipped retry's would be too.
    const control = openRecord();
    await create(t, { ticket_id: control }, HOUR_MS);
    const refused = await t.api('POST', CALLS, {
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: '+18596579625',
      scheduled_at: inMs(HOUR_MS),
      ticket_id: control,
    });
    expect(refused.status).toBe(409);
    await waitFor(() => crm.commentsOn(control).includes(CRM_COMMENTS.active_call_exists), 15_000, 'the refusal comment');
    expect(crm.commentsOn(ticketId)).toEqual([]);
  });

  it("a menu's own retries replace the global ones (its `on` and its maxAttempts)", async () => {
    const notListed = await dialed({ menu_id: 10, ticket_id: openRecord() });
    expect(retryEvents(await fail(notListed.id, 'no_answer'))).toEqual([]);

    const call = await dialed({ menu_id: 10, ticket_id: openRecord() });
    const retryId = retryIdOf(await fail(call.id, 'busy'));
    expect((await getCall(t, retryId)).attempt).toBe(2);
    await inStatus(t, retryId, 'queued');
    const last = await fail(retryId, 'busy');
    expect(retryEvents(last).map((e) => [e.type, e.detail])).toEqual([['retries_exhausted', 'attempt 2 of 2']]);
  });

  it('a retry due outside the calling window is moved to the next allowed time, with a deferred event', async () => {
    // Menu 11: window open now (from 10 minutes ago, for 70 minutes, in UTC), retry 3 hours after the failure.
    const call = await dialed({ menu_id: 11, ticket_id: openRecord(), timezone: 'UTC' });
    const failed = await fail(call.id, 'no_answer');
    const retry = await getCall(t, retryIdOf(failed));

    const due = Date.parse(failed.ends_at!) + 3 * HOUR_MS;
    let next = windowOpens.getTime();
    while (next < due) next += DAY_MS;
    const nextIso = new Date(next).toISOString();
    expect(retry).toMatchObject({ status: 'scheduled', attempt: 2, parent_id: call.id, timezone: 'UTC', scheduled_at: nextIso });
    expect(eventsOf(retry, 'deferred').map((e) => e.detail)).toEqual([`outside the calling window; moved to ${nextIso}`]);
  });
});
