import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEEKDAYS } from '../../src/config/schema.js';
import { CallStore } from '../../src/store/CallStore.js';
import { OUTBOX_GRACE_MS } from '../../src/worker/OutboxRelay.js';
import { CALLS, HOUR_MS, createCall, getCall, waitForStatus, type BulkCancelView, type Call } from '../api/callApi.js';
import { DialerStub } from '../support/DialerStub.js';
import { InMemoryCrm } from '../support/InMemoryCrm.js';
import { TEST_REDIS_URL, deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { DIALER_SECRET, OTHER_SKILL_TOKEN, testConfig } from '../support/testConfig.js';
import { WebhookReceiver } from '../support/WebhookReceiver.js';
import {
  acceptedEvents,
  newWebhookSecret,
  readDelivery,
  waitForEvent,
  waitForEvents,
  webhookIdOf,
  type ReceivedEvent,
} from '../support/webhookEvents.js';
import { killAllWorkerProcesses, startWorkerProcess } from './workerProcess.js';

/**
 * Outcome webhooks (SPEC 9.4) end to end: the real app through HTTP, the real worker (in this process, or in child
 * processes that get SIGKILLed), real Redis, and loopback receivers that verify every delivery with the
 * `standardwebhooks` package. The product's own backoff applies (first retry after 5 s, doubling), so outages
 * here last a few seconds.
 */

/** How far out the callbacks that should fire are due: time to create them on a busy machine. */
const DUE_MS = 2000;

const cleanups: Array<() => Promise<unknown>> = [];
const tempDir = mkdtempSync(join(tmpdir(), 'cbo-webhooks-e2e-'));

afterAll(async () => {
  killAllWorkerProcesses(); // none may outlive the file, also after a failed assertion
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(tempDir, { recursive: true, force: true });
}, 30_000);

/** A receiver listening on its own port, stopped after the file. */
async function startReceiver(): Promise<WebhookReceiver> {
  const receiver = new WebhookReceiver(newWebhookSecret());
  await receiver.start();
  cleanups.push(() => receiver.stop());
  return receiver;
}

async function startDialer(): Promise<DialerStub> {
  const dialer = new DialerStub();
  await dialer.start();
  cleanups.push(() => dialer.stop());
  return dialer;
}

const endpoint = (receiver: WebhookReceiver, events: string[]) => ({ url: receiver.url, secret: receiver.secret, events, timeoutMs: 2000 });

/** Business hours in UTC, every day, opening 2 hours from now for an hour: a skill callback (due now) is deferred. */
function hoursOpeningLater(now: Date) {
  const start = (now.getUTCHours() + 2) % 24;
  const hh = (hour: number) => `${String(hour).padStart(2, '0')}:00`;
  const range = [hh(start), start === 23 ? '24:00' : hh(start + 1)];
  return { timezone: 'UTC', weekly: Object.fromEntries(WEEKDAYS.map((day) => [day, [range]])) };
}

/** Announcements in the app's outbox (one shard): events whose step has not yet queued them. */
async function outboxSize(prefix: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*outbox*`);
    return keys.length === 0 ? 0 : await redis.zcard(keys[0]!);
  } finally {
    redis.disconnect();
  }
}

async function cancel(t: TestClient, id: number): Promise<Call> {
  const res = await t.api('PATCH', `${CALLS}/scheduled/${id}/cancel`);
  expect(res.status, await res.clone().text()).toBe(200);
  return jsonBody<Call>(res);
}

async function bulkCancel(t: TestClient, ids: number[]): Promise<BulkCancelView> {
  const res = await t.api('PATCH', `${CALLS}/scheduled/cancel`, { call_ids: ids });
  expect(res.status).toBe(202);
  const location = res.headers.get('location')!;
  return waitFor(
    async () => {
      const op = await jsonBody<BulkCancelView>(await t.api('GET', location));
      return op.status === 'completed' ? op : null;
    },
    10_000,
    'the bulk cancel to complete',
  );
}

async function reportStatus(t: TestClient, id: number, body: Record<string, unknown>): Promise<void> {
  const res = await t.api('PATCH', `${CALLS}/${id}`, body);
  expect(res.status, await res.clone().text()).toBe(200);
}

/** What every delivery must look like: signed and verified, body exactly `{type, timestamp, data: {call}}`. */
function expectWellFormed(event: ReceivedEvent, type: string): void {
  expect(event.delivery.verified, event.delivery.verifyError).toBe(true);
  expect(event.type).toBe(type);
  expect(event.bodyKeys).toEqual(['type', 'timestamp', 'data']);
  expect(event.dataKeys).toEqual(['call']);
  expect(event.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  expect(Math.abs(event.attemptAt * 1000 - Date.now())).toBeLessThan(60_000);
}

describe.concurrent('outcome webhooks end to end', { timeout: 60_000 }, () => {
  describe.sequential('one app with three endpoints: "*", "call.queued" and "call.*"', () => {
    const prefix = uniquePrefix('e2e-webhooks');
    const crm = new InMemoryCrm('zendesk');
    let t: TestClient;
    let every: WebhookReceiver;
    let queuedOnly: WebhookReceiver;
    let everyCall: WebhookReceiver;

    beforeAll(async () => {
      [every, queuedOnly, everyCall] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
      const dialer = await startDialer();
      const config = testConfig(prefix, {
        // The adapter is the in-memory one; the section only satisfies the config schema.
        crm: {
          provider: 'zendesk',
          lookup: { timeoutMs: 300, attempts: 2, budgetMs: 1000 },
          zendesk: { url: 'http://127.0.0.1:1/api/v2', email: 'a@example.com', token: 'unused' },
        },
        dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET },
        menus: [
          {
            id: 9,
            name: 'Lock Star',
            type: 'web',
            state: 'open',
            languages: ['en', 'es'],
            retries: { maxAttempts: 2, intervalSeconds: 3600, on: ['no_answer'] },
          },
          { id: 10, name: 'App Support', type: 'mobile', state: 'open', languages: ['en'], hours: hoursOpeningLater(new Date()) },
        ],
        webhooks: [endpoint(every, ['*']), endpoint(queuedOnly, ['call.queued']), endpoint(everyCall, ['call.*'])],
      });
      t = await startTestApp(config, { crmAdapter: crm });
      cleanups.push(async () => {
        await t.app.close();
        await deletePrefix(prefix);
      });
    });

    it('each event type reaches the "*" endpoint, signed and verified, with the call as it was at that event', async () => {
      every.nextStatuses.push(500); // the first delivery is refused: it must come again with the same webhook-id

      const created = await createCall(t);
      // The only event so far: the refused delivery is its call.created.
      await waitFor(() => every.deliveries.length === 1, 10_000, 'the first delivery');
      const canceled = await cancel(t, created.id);
      // Each step took its own announcement out once its event was queued (before answering): nothing for the relay.
      expect(await outboxSize(prefix)).toBe(0);
      const [bulk1, bulk2] = await Promise.all([createCall(t), createCall(t)]);
      const op = await bulkCancel(t, [bulk1.id, bulk2.id]);
      expect(op.results.map((r) => r.result)).toEqual(['canceled', 'canceled']);

      const due = inMs(DUE_MS);
      const [dialed, notFound] = await Promise.all([
        createCall(t, { scheduled_at: due }),
        createCall(t, { scheduled_at: due, ticket_id: `NF${Date.now()}` }), // a record the CRM does not have
      ]);
      const skill = await fetch(`${t.url}/rest/api/v1/callback`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OTHER_SKILL_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ skill: 'Billing', callbackNumber: '8596579625' }),
      });
      expect(skill.status).toBe(204);
      const queued = await waitForStatus(t, dialed.id, 'queued');
      const canceledAtFire = await waitForStatus(t, notFound.id, 'canceled');

      const got = await waitForEvents(
        every,
        [
          ...[created, bulk1, bulk2, dialed, notFound].map((c) => webhookIdOf(c.id, 'created')),
          ...[created, bulk1, bulk2, notFound].map((c) => webhookIdOf(c.id, 'canceled')),
          webhookIdOf(dialed.id, 'queued'),
        ],
        20_000,
      );
      const deferred = await waitFor(
        () => [...acceptedEvents(every).values()].find((e) => e.type === 'call.deferred'),
        10_000,
        'call.deferred',
      );
      const event = (callId: number, name: string) => got.get(webhookIdOf(callId, name))!;

      // call.created: the call as the 201 showed it; its first delivery was refused, the retry is the same event.
      expectWellFormed(event(created.id, 'created'), 'call.created');
      expect(event(created.id, 'created').call).toEqual(created);
      const attempts = every.deliveriesOf(webhookIdOf(created.id, 'created'));
      expect(attempts.map((d) => [d.status, d.verified])).toEqual([
        [500, true],
        [200, true],
      ]);
      expect(attempts[1]!.rawBody).toBe(attempts[0]!.rawBody);
      const retryAfterS = Number(attempts[1]!.headers['webhook-timestamp']) - Number(attempts[0]!.headers['webhook-timestamp']);
      expect(retryAfterS).toBeGreaterThanOrEqual(3); // backoff: first retry within 5 s
      expect(retryAfterS).toBeLessThanOrEqual(6);

      // call.canceled by request, single and bulk.
      expectWellFormed(event(created.id, 'canceled'), 'call.canceled');
      expect([canceled.status, canceled.fail_reason]).toEqual(['canceled', 'canceled_by_request']);
      expect(event(created.id, 'canceled').call).toEqual(canceled);
      for (const call of [bulk1, bulk2]) {
        const e = event(call.id, 'canceled');
        expectWellFormed(e, 'call.canceled');
        expect([e.call.status, e.call.fail_reason]).toEqual(['canceled', 'canceled_by_request']);
        expect(e.call).toEqual(await getCall(t, call.id));
      }

      // call.queued: handed to the dialer.
      expectWellFormed(event(dialed.id, 'queued'), 'call.queued');
      expect(event(dialed.id, 'queued').call).toEqual(queued);

      // call.canceled at fire (SPEC 4: record not found).
      expectWellFormed(event(notFound.id, 'canceled'), 'call.canceled');
      expect([event(notFound.id, 'canceled').call.status, event(notFound.id, 'canceled').call.fail_reason]).toEqual([
        'canceled',
        'record_not_found',
      ]);
      expect(event(notFound.id, 'canceled').call).toEqual(canceledAtFire);

      // call.deferred: the skill callback, due now, moved to the menu's next opening (about 2 hours away).
      expectWellFormed(deferred, 'call.deferred');
      expect(deferred.call.status).toBe('scheduled');
      expect(deferred.call.selected_menu?.id).toBe(10);
      expect(deferred.call.events.map((e) => e.type)).toContain('deferred');
      expect(Date.parse(deferred.call.scheduled_at)).toBeGreaterThan(Date.now() + 50 * 60_000);
      expectWellFormed(await waitForEvent(every, webhookIdOf(deferred.call.id, 'created')), 'call.created');

      expect(every.deliveries.every((d) => d.verified)).toBe(true);
    });

    it("the dialer's reports: call.finished, call.failed and call.retry_scheduled (with the retry's call.created)", async () => {
      const due = inMs(DUE_MS);
      const [finishing, failing] = await Promise.all([createCall(t, { scheduled_at: due }), createCall(t, { scheduled_at: due })]);
      await Promise.all([waitForStatus(t, finishing.id, 'queued'), waitForStatus(t, failing.id, 'queued')]);
      await reportStatus(t, finishing.id, { status: 'connected' });
      await reportStatus(t, finishing.id, { status: 'finished' });
      await reportStatus(t, failing.id, { status: 'failed', fail_reason: 'no_answer' });

      const got = await waitForEvents(every, [
        webhookIdOf(finishing.id, 'finished'),
        webhookIdOf(failing.id, 'failed'),
        webhookIdOf(failing.id, 'retry_scheduled'),
      ]);
      const finished = got.get(webhookIdOf(finishing.id, 'finished'))!;
      expectWellFormed(finished, 'call.finished');
      expect(finished.call).toEqual(await getCall(t, finishing.id));
      const failed = got.get(webhookIdOf(failing.id, 'failed'))!;
      expectWellFormed(failed, 'call.failed');
      expect([failed.call.status, failed.call.fail_reason]).toEqual(['failed', 'no_answer']);
      const retry = got.get(webhookIdOf(failing.id, 'retry_scheduled'))!;
      expectWellFormed(retry, 'call.retry_scheduled');
      const retryCall = (await jsonBody<Call[]>(await t.api('GET', `${CALLS}?per_page=100`))).find((c) => c.parent_id === failing.id);
      expect(retryCall?.attempt).toBe(2);
      expectWellFormed(await waitForEvent(every, webhookIdOf(retryCall!.id, 'created')), 'call.created');
    });

    it('a reschedule is told as call.rescheduled', async () => {
      const call = await createCall(t);
      const to = inMs(2 * HOUR_MS);
      const res = await t.api('PATCH', `${CALLS}/scheduled/${call.id}`, { scheduled_at: to });
      expect(res.status, await res.clone().text()).toBe(200);
      const rescheduled = await waitFor(
        () => [...acceptedEvents(every).values()].find((e) => e.webhookId.startsWith(`${webhookIdOf(call.id, 'rescheduled')}-`)),
        10_000,
        'call.rescheduled',
      );
      expectWellFormed(rescheduled, 'call.rescheduled');
      expect([rescheduled.call.status, rescheduled.call.scheduled_at]).toEqual(['scheduled', new Date(to).toISOString()]);
    });

    it("an event whose process died after the change (announced, never queued) is sent by the worker's outbox relay", async () => {
      const call = await createCall(t);
      // As a reschedule stores it, the process dying right after: the change and its announcement, no webhook job.
      const redis = new Redis(TEST_REDIS_URL);
      try {
        const store = new CallStore(redis, prefix);
        const announce = [{ type: 'call.rescheduled', eventKey: `${call.id}-rescheduled-1` }];
        expect(await store.transition(call.id, { from: ['scheduled'], patch: {}, announce })).toMatchObject({ result: 'ok' });
      } finally {
        redis.disconnect();
      }
      const relayed = await waitForEvent(every, `${webhookIdOf(call.id, 'rescheduled')}-1`, OUTBOX_GRACE_MS + 15_000);
      expectWellFormed(relayed, 'call.rescheduled');
      expect(relayed.call.id).toBe(call.id);
    });

    it('filters: "call.queued" gets only call.queued; "call.*" gets every event "*" got', async () => {
      const dialed = await createCall(t, { scheduled_at: inMs(DUE_MS) });
      await waitForStatus(t, dialed.id, 'queued');
      const queuedId = webhookIdOf(dialed.id, 'queued');
      await Promise.all([waitForEvent(every, queuedId), waitForEvent(queuedOnly, queuedId), waitForEvent(everyCall, queuedId)]);
      const everything = [...acceptedEvents(every).keys()];
      await waitForEvents(everyCall, everything);
      await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more is on its way

      const queuedIds = [...acceptedEvents(every).values()].filter((e) => e.type === 'call.queued').map((e) => e.webhookId);
      expect(queuedIds).toContain(queuedId);
      expect(new Set(queuedOnly.deliveries.map((d) => readDelivery(d).type))).toEqual(new Set(['call.queued']));
      expect([...acceptedEvents(queuedOnly).keys()].sort()).toEqual(queuedIds.sort());
      expect([...acceptedEvents(everyCall).keys()].sort()).toEqual([...acceptedEvents(every).keys()].sort());
      for (const receiver of [queuedOnly, everyCall]) expect(receiver.deliveries.every((d) => d.verified)).toBe(true);
    });
  });

  it('a receiver that is down delays no callback; back up, it gets exactly the events of the outage, verified', async () => {
    const prefix = uniquePrefix('e2e-webhooks-outage');
    const [receiver, dialer] = await Promise.all([startReceiver(), startDialer()]);
    const t = await startTestApp(
      testConfig(prefix, {
        dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET },
        webhooks: [endpoint(receiver, ['*'])],
      }),
    );
    cleanups.push(async () => {
      await t.app.close();
      await deletePrefix(prefix);
    });

    await receiver.stop();
    const due = inMs(DUE_MS);
    const fired = await Promise.all([1, 2, 3].map(() => createCall(t, { scheduled_at: due })));
    const kept = await createCall(t);
    await cancel(t, kept.id);
    const queued = await Promise.all(fired.map((c) => waitForStatus(t, c.id, 'queued')));
    // Callbacks kept firing on time while the receiver was down.
    expect(dialer.received.map((r) => r.body.id).sort()).toEqual(fired.map((c) => c.id).sort());
    for (const call of queued) expect(Date.parse(call.queued_at!) - Date.parse(call.scheduled_at)).toBeLessThan(3000);
    expect(receiver.deliveries).toHaveLength(0);

    await receiver.start();
    const expected = [
      ...[...fired, kept].map((c) => webhookIdOf(c.id, 'created')),
      ...fired.map((c) => webhookIdOf(c.id, 'queued')),
      webhookIdOf(kept.id, 'canceled'),
    ];
    const got = await waitForEvents(receiver, expected, 20_000);
    expect([...got.keys()].sort()).toEqual([...expected].sort());
    expect(receiver.deliveries.every((d) => d.verified && d.status === 200)).toBe(true);
    for (const event of got.values()) {
      expectWellFormed(
        event,
        event.webhookId.endsWith('-created') ? 'call.created' : event.webhookId.endsWith('-queued') ? 'call.queued' : 'call.canceled',
      );
      // A retry (signed when sent) of the event as it was when it happened (its timestamp, its webhook-id).
      expect(event.attemptAt * 1000 - Date.parse(event.timestamp)).toBeGreaterThanOrEqual(3000);
      const copies = receiver.deliveriesOf(event.webhookId);
      expect(new Set(copies.map((d) => d.rawBody)).size).toBe(1);
    }
    for (const call of fired) expect(got.get(webhookIdOf(call.id, 'queued'))!.call.status).toBe('queued');
  });

  it('a worker SIGKILLed with deliveries pending, receiver down: the next worker delivers every event', async () => {
    const prefix = uniquePrefix('e2e-webhooks-killed');
    const [receiver, dialer] = await Promise.all([startReceiver(), startDialer()]);
    const config = testConfig(prefix, {
      dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET },
      webhooks: [endpoint(receiver, ['*'])],
      // Calls the dialer never reports on are failed (dialer_timeout) by the next worker's first stale-call sweep.
      worker: { concurrency: 20, batchWindowMs: 20, activeCallTimeoutMinutes: 0.001 },
    });
    const t = await startTestApp(config, { worker: false }); // the API only: the workers are child processes
    cleanups.push(async () => {
      await t.app.close();
      await deletePrefix(prefix);
    });
    const configFile = join(tempDir, 'killed-worker.json');
    writeFileSync(configFile, JSON.stringify({ ...config, logLevel: 'info' }));
    await receiver.stop();

    const first = await startWorkerProcess(configFile);
    const due = inMs(DUE_MS);
    const fired = await Promise.all([createCall(t, { scheduled_at: due }), createCall(t, { scheduled_at: due })]);
    const canceledEarly = await createCall(t);
    await cancel(t, canceledEarly.id);
    await Promise.all(fired.map((c) => waitForStatus(t, c.id, 'queued')));
    expect(dialer.received).toHaveLength(2);
    // Every delivery has been tried once and waits for its retry when the worker dies.
    const webhookQueue = t.app.services.queues.webhooks!;
    await waitFor(async () => (await webhookQueue.getJobCounts('delayed')).delayed === 6, 15_000, 'six deliveries waiting to retry');
    await first.kill();

    // Events of a time without any worker.
    const canceledLate = await createCall(t);
    await cancel(t, canceledLate.id);

    const second = await startWorkerProcess(configFile);
    await receiver.start();
    const expected = [
      ...[...fired, canceledEarly, canceledLate].map((c) => webhookIdOf(c.id, 'created')),
      ...fired.map((c) => webhookIdOf(c.id, 'queued')),
      ...fired.map((c) => webhookIdOf(c.id, 'failed')),
      ...[canceledEarly, canceledLate].map((c) => webhookIdOf(c.id, 'canceled')),
    ];
    const got = await waitForEvents(receiver, expected, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\nsecond worker output:\n${second.output()}`);
    });
    expect([...got.keys()].sort()).toEqual([...expected].sort());
    expect(receiver.deliveries.every((d) => d.verified)).toBe(true);
    for (const id of expected) expect(new Set(receiver.deliveriesOf(id).map((d) => d.rawBody)).size).toBe(1); // one event, one body
    for (const call of fired) {
      const failed = got.get(webhookIdOf(call.id, 'failed'))!;
      expectWellFormed(failed, 'call.failed');
      expect([failed.call.status, failed.call.fail_reason]).toEqual(['failed', 'dialer_timeout']);
      expect(failed.call).toEqual(await getCall(t, call.id));
    }
    await second.kill();
  });

  it('with no webhooks configured, calls behave as before and nothing webhook-related is stored', async () => {
    const prefix = uniquePrefix('e2e-webhooks-none');
    const dialer = await startDialer();
    const t = await startTestApp(testConfig(prefix, { dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET } }));
    cleanups.push(async () => {
      await t.app.close();
      await deletePrefix(prefix);
    });
    const dialed = await createCall(t, { scheduled_at: inMs(DUE_MS) });
    const single = await createCall(t);
    const bulk = await createCall(t);
    expect((await cancel(t, single.id)).fail_reason).toBe('canceled_by_request');
    expect((await bulkCancel(t, [bulk.id])).results).toEqual([{ call_id: bulk.id, result: 'canceled' }]);
    expect((await waitForStatus(t, dialed.id, 'queued')).events.map((e) => e.type)).toContain('dialed');
    expect(dialer.forCall(dialed.id)).toHaveLength(1);

    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect(await redis.keys(`${prefix}:*webhooks*`)).toEqual([]);
      expect(await redis.keys(`${prefix}:*outbox*`)).toEqual([]);
      expect((await redis.keys(`${prefix}:*`)).length).toBeGreaterThan(0); // the prefix is the app's
    } finally {
      redis.disconnect();
    }
  });
});
