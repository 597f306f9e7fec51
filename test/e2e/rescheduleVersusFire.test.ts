import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmRequestContext, RecordLookup } from '../../src/crm/CrmAdapter.js';
import { fireJobId } from '../../src/queue/queueNames.js';
import { CALLS, createCall, expectError, getCall, waitForStatus, type Call } from '../api/callApi.js';
import { DialerStub } from '../support/DialerStub.js';
import { InMemoryCrm } from '../support/InMemoryCrm.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { DIALER_SECRET, testConfig } from '../support/testConfig.js';

/**
 * SPEC 9.1: "Reschedule and fire never both happen." The fire step stores its decision with `firing` in one step
 * guarded by the `scheduled_at` it read; the reschedule is one step guarded by `firing` and the `scheduled_at` it
 * checked. Whichever comes first wins: a call is dialled once, at the old time (reschedule 409) or at the new one.
 */

/** A CRM whose reads take a while: the fire step is caught between reading the call and storing its decision. */
class SlowCrm extends InMemoryCrm {
  readDelayMs = 0;
  readonly readsStarted: string[] = [];

  override async readRecords(ids: readonly string[], ctx: CrmRequestContext): Promise<Map<string, RecordLookup>> {
    this.readsStarted.push(...ids);
    await new Promise((resolve) => setTimeout(resolve, this.readDelayMs));
    return super.readRecords(ids, ctx);
  }
}

const prefix = uniquePrefix('e2e-reschedule');
const dialer = new DialerStub();
const crm = new SlowCrm('salesforce');
let t: TestClient;

const config = (p: string, dialerUrl: string) =>
  testConfig(p, {
    dialer: { kind: 'webhook', url: dialerUrl, secret: DIALER_SECRET },
    crm: {
      provider: 'salesforce',
      lookup: { timeoutMs: 5000, attempts: 1, budgetMs: 6000 },
      // The adapter is the in-memory one; this section only satisfies the config schema.
      salesforce: { instanceUrl: 'http://127.0.0.1:1', accessToken: 'unused' },
    },
  });

beforeAll(async () => {
  await dialer.start();
  t = await startTestApp(config(prefix, dialer.url), { crmAdapter: crm });
});

afterAll(async () => {
  await t?.app.close();
  await dialer.stop();
  await deletePrefix(prefix);
});

const reschedule = (client: TestClient, id: number, scheduledAt: string) =>
  client.api('PATCH', `${CALLS}/scheduled/${id}`, { scheduled_at: scheduledAt });
const eventsOf = (call: Call, type: string) => call.events.filter((e) => e.type === type);
const firedAt = (call: Call) => Date.parse(eventsOf(call, 'fired')[0]!.at);
let ticketSeq = 0;
const openTicket = () => {
  const ticket = `RESCHED${Date.now() % 1_000_000}${++ticketSeq}`;
  crm.records.set(ticket, { closed: false, status: 'New' });
  return ticket;
};

describe('reschedule versus the fire job', () => {
  it('the fire job has decided (the dial is in flight): 409, the call is dialled once at its old time', async () => {
    dialer.delayMs = 1500;
    try {
      const created = await createCall(t, { scheduled_at: inMs(400), ticket_id: openTicket() });
      await waitFor(() => dialer.forCall(created.id).length > 0, 10_000, 'the dial to start');
      await expectError(await reschedule(t, created.id, inMs(60_000)), 409, 'Only a scheduled call can be rescheduled');
      const queued = await waitForStatus(t, created.id, 'queued', 15_000);
      expect(queued.scheduled_at).toBe(created.scheduled_at);
      expect(eventsOf(queued, 'rescheduled')).toEqual([]);
      expect(dialer.forCall(created.id)).toHaveLength(1);
    } finally {
      dialer.delayMs = 0;
    }
  });

  it('the fire job is reading the CRM (not yet decided): the reschedule wins, and the call fires only at the new time', async () => {
    crm.readDelayMs = 800;
    try {
      const ticket = openTicket();
      const created = await createCall(t, { scheduled_at: inMs(300), ticket_id: ticket });
      await waitFor(() => crm.readsStarted.includes(ticket), 10_000, 'the fire step to read the CRM');
      const newAt = inMs(2500);
      const res = await reschedule(t, created.id, newAt);
      expect(res.status).toBe(200);
      expect(await jsonBody<Call>(res)).toMatchObject({ status: 'scheduled', scheduled_at: newAt });

      // The fire step that read the old time stops; nothing is dialled before the new time.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(dialer.forCall(created.id)).toEqual([]);

      const queued = await waitForStatus(t, created.id, 'queued', 15_000);
      expect(firedAt(queued)).toBeGreaterThanOrEqual(Date.parse(newAt));
      expect(dialer.forCall(created.id)).toHaveLength(1);
      expect(eventsOf(queued, 'decision')).toHaveLength(1);
    } finally {
      crm.readDelayMs = 0;
    }
  });

  it('racing at the due time, over and over: each call is either rescheduled or dialled at its old time, never both', async () => {
    const calls = await Promise.all(Array.from({ length: 6 }, () => createCall(t, { scheduled_at: inMs(700) })));
    const newAt = inMs(3500);
    // Requests spread around the due time: some land before the fire job decides, some after.
    const answers = await Promise.all(
      calls.map(async (c, i) => {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(c.scheduled_at) - Date.now() - 60 + i * 25)));
        return (await reschedule(t, c.id, newAt)).status;
      }),
    );
    for (const [i, c] of calls.entries()) {
      const queued = await waitForStatus(t, c.id, 'queued', 15_000);
      expect(dialer.forCall(c.id)).toHaveLength(1);
      expect(eventsOf(queued, 'fired')).toHaveLength(1);
      if (answers[i] === 200) {
        expect(queued.scheduled_at).toBe(newAt);
        expect(eventsOf(queued, 'rescheduled')).toHaveLength(1);
        expect(firedAt(queued)).toBeGreaterThanOrEqual(Date.parse(newAt));
      } else {
        expect(answers[i]).toBe(409);
        expect(queued.scheduled_at).toBe(c.scheduled_at);
        expect(eventsOf(queued, 'rescheduled')).toEqual([]);
        expect(firedAt(queued)).toBeLessThan(Date.parse(newAt));
      }
    }
  });
});

describe('a fire job that is not delayed any more when the call is rescheduled', () => {
  const apiPrefix = uniquePrefix('e2e-reschedule-due');
  const ownDialer = new DialerStub(); // call ids start again at 1 under this prefix
  let api: TestClient;
  let worker: TestClient | undefined;

  beforeAll(async () => {
    await ownDialer.start();
    // The API alone first: no worker picks the jobs up until the test starts one.
    api = await startTestApp(config(apiPrefix, ownDialer.url), { worker: false, crmAdapter: crm });
  });

  afterAll(async () => {
    await worker?.app.close();
    await api?.app.close();
    await ownDialer.stop();
    await deletePrefix(apiPrefix);
  });

  const jobOf = (id: number) => api.app.services.queues.fireQueueOf(id).getJob(fireJobId(id));

  it('due and waiting: the fire step finds the call not due and puts the job back until the new time; a missing job is added', async () => {
    const waiting = await createCall(api, { scheduled_at: inMs(60 * 60_000) });
    await (await jobOf(waiting.id))!.promote();
    expect(await (await jobOf(waiting.id))!.getState()).toBe('waiting');

    const missing = await createCall(api, { scheduled_at: inMs(60 * 60_000) });
    await (await jobOf(missing.id))!.remove();

    const newAt = inMs(2500);
    for (const id of [waiting.id, missing.id]) {
      const res = await reschedule(api, id, newAt);
      expect(res.status).toBe(200);
    }
    expect(await (await jobOf(waiting.id))!.getState()).toBe('waiting');
    const added = (await jobOf(missing.id))!;
    expect(await added.getState()).toBe('delayed');
    expect(added.timestamp + added.delay).toBeGreaterThanOrEqual(Date.parse(newAt));

    worker = await startTestApp(config(apiPrefix, ownDialer.url), { api: false, worker: true, crmAdapter: crm });
    await waitFor(async () => (await (await jobOf(waiting.id))!.getState()) === 'delayed', 5000, 'the job back in delayed');
    expect(ownDialer.forCall(waiting.id)).toEqual([]);

    for (const id of [waiting.id, missing.id]) {
      const queued = await waitForStatus(api, id, 'queued', 15_000);
      expect(firedAt(queued)).toBeGreaterThanOrEqual(Date.parse(newAt));
      expect(ownDialer.forCall(id)).toHaveLength(1);
      expect(eventsOf(queued, 'fired')).toHaveLength(1);
    }
    expect((await getCall(api, waiting.id)).scheduled_at).toBe(newAt);
  });
});
