import { afterAll, beforeAll, expect } from 'vitest';
import { CRM_COMMENTS, type CrmCommentKey } from '../../../src/policy/crmComments.js';
import type { FakeCrmServer, FakeMode } from '../../fakes/FakeCrmServer.js';
import { deletePrefix, uniquePrefix } from '../../support/redis.js';
import type { CallView } from '../../../src/calls/callView.js';
import { getCall, waitForStatus } from '../../api/callApi.js';
import { inMs, jsonBody, startTestApp, waitFor, type TestClient } from '../../support/testApp.js';
import { testConfig } from '../../support/testConfig.js';

/**
 * Shared steps of the per-provider end-to-end tests (test/e2e/providers/*.test.ts): the real adapter built from
 * config talks HTTP to a loopback vendor fake, and every assertion goes through the Call API.
 */

/** Lookup budget of these tests: two quick attempts, so that an outage is decided within ~1.5 s. */
export const FAST_LOOKUP = { timeoutMs: 500, attempts: 2, budgetMs: 1500 };

/**
 * The product's default worker settings (testConfig lowers concurrency to 20). With 20, thirty callbacks due
 * together are taken in two waves whose reads can split into three batches; the batching test is about the
 * shipped settings.
 */
export const PRODUCT_WORKER = { concurrency: 50, batchWindowMs: 25 };

/**
 * Starts the fake and the app (API + worker, the real adapter from `crm()`) before the file's tests, and stops
 * both and removes the file's Redis keys after them. `ready` receives the running app.
 */
export function useProviderApp(
  name: string,
  fake: FakeCrmServer,
  crm: () => Record<string, unknown>,
  ready: (t: TestClient) => void,
): void {
  const prefix = uniquePrefix(name);
  let t: TestClient | undefined;
  beforeAll(async () => {
    await fake.start();
    t = await startTestApp(testConfig(prefix, { crm: { ...crm(), lookup: FAST_LOOKUP }, worker: PRODUCT_WORKER })); // the fake's URL is known once it listens
    ready(t);
  });
  afterAll(async () => {
    await t?.app.close();
    await fake.stop();
    await deletePrefix(prefix);
  });
}

export const eventTypes = (call: CallView) => call.events.map((e) => e.type);

/** For proving that something did NOT happen (no second comment, no retry): a short, fixed wait. */
export const settle = (ms = 700) => new Promise((r) => setTimeout(r, ms));

export async function postCall(t: TestClient, ticketId: string | null, scheduledAt = inMs(1000)): Promise<Response> {
  return t.api('POST', '/apps/api/v1/calls', {
    call_type: 'Voice Scheduled (API)',
    menu_id: 9,
    end_user_number: '+18596579625',
    scheduled_at: scheduledAt,
    ...(ticketId === null ? {} : { ticket_id: ticketId }),
  });
}

/** Schedules a callback (201 expected) and returns its id. */
export async function schedule(t: TestClient, ticketId: string | null, scheduledAt = inMs(1000)): Promise<number> {
  const res = await postCall(t, ticketId, scheduledAt);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await jsonBody<CallView>(res)).id;
}

/** Waits until the call reaches `status` (the worker has fired it and decided). */
export function settled(t: TestClient, id: number, status: string, timeoutMs = 15_000): Promise<CallView> {
  return waitForStatus(t, id, status, timeoutMs);
}

/** Waits until the call carries an event of `type` (e.g. comment_written, written by the side-effect job). */
export function withEvent(t: TestClient, id: number, type: string, timeoutMs = 10_000): Promise<CallView> {
  return waitFor(
    async () => {
      const call = await getCall(t, id);
      return eventTypes(call).includes(type) ? call : null;
    },
    timeoutMs,
    `call ${id} to get a ${type} event`,
  );
}

/** Waits for the first comment on the record, lets any duplicate arrive, and returns all of them. */
export async function commentsAfterSettle(fake: FakeCrmServer, recordId: string, timeoutMs = 10_000): Promise<string[]> {
  await waitFor(() => fake.commentsOn(recordId).length > 0, timeoutMs, `a comment on ${recordId}`);
  await settle();
  return fake.commentsOn(recordId);
}

/** The BullMQ job of a call's side effect (see CrmEffects: `fx-<callId>-<effect>`). */
export async function effectJobState(t: TestClient, callId: number, effect: string, comment?: CrmCommentKey) {
  const effectName = comment ? `${effect}-${comment}` : effect;
  const job = await t.app.services.queues.crmEffects.getJob(`fx-${callId}-${effectName}`);
  return job ? { state: await job.getState(), attemptsMade: job.attemptsMade } : null;
}

/**
 * SPEC 4 step 4 on a real CRM: a callback for a record whose earlier call is still active (queued) is canceled
 * as `active_call_exists`, and the "already has an active scheduled call" comment lands once.
 */
export async function expectActiveCallSkipped(t: TestClient, fake: FakeCrmServer, recordId: string): Promise<void> {
  await settled(t, await schedule(t, recordId, inMs(800)), 'queued'); // the first one is now active (queued)
  const secondId = await schedule(t, recordId, inMs(800));
  expect((await settled(t, secondId, 'canceled')).fail_reason).toBe('active_call_exists');
  expect(await commentsAfterSettle(fake, recordId)).toEqual([CRM_COMMENTS.active_call_exists]);
  await withEvent(t, secondId, 'comment_written');
}

/**
 * The duplicate guard on a real CRM: three refused POSTs (409, exact message) for a record with a scheduled call
 * write one comment, in one write request (`writesOn` lists the fake's write requests for the record).
 */
export async function expectDuplicatesRefusedWithOneComment(
  t: TestClient,
  fake: FakeCrmServer,
  recordId: string,
  writesOn: (recordId: string) => unknown[],
): Promise<void> {
  const firstId = await schedule(t, recordId, inMs(60_000));
  for (let i = 0; i < 3; i++) {
    const res = await postCall(t, recordId, inMs(30_000));
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ message: CRM_COMMENTS.active_call_exists });
  }
  expect(await commentsAfterSettle(fake, recordId)).toEqual([CRM_COMMENTS.active_call_exists]);
  expect(writesOn(recordId)).toHaveLength(1);
  await withEvent(t, firstId, 'comment_written');
  expect((await getCall(t, firstId)).status).toBe('scheduled');
}

/**
 * The CRM outage on a real CRM: in `outage` the due call is canceled as `crm_unreachable` and its comment job
 * fails (`firstAttemptSeen`); once the CRM is back the unreachable comment lands exactly once. Returns the call
 * with its `comment_written` event, for the vendor's own checks.
 */
export async function expectUnreachableThenOneComment(
  t: TestClient,
  fake: FakeCrmServer,
  recordId: string,
  outage: FakeMode,
  firstAttemptSeen: () => boolean | Promise<boolean>,
): Promise<CallView> {
  await fake.setMode(outage);
  try {
    const callId = await schedule(t, recordId);
    const call = await settled(t, callId, 'canceled');
    expect(call.fail_reason).toBe('crm_unreachable');
    expect(call.events.find((e) => e.type === 'crm_lookup')?.detail).toBe('CRM unreachable');
    await waitFor(firstAttemptSeen, 5000, 'a first comment attempt');
    expect(fake.commentsOn(recordId)).toEqual([]);
    await fake.setMode({ kind: 'normal' });
    // The first retry comes within 5 s of the failed attempt.
    expect(await commentsAfterSettle(fake, recordId, 8000)).toEqual([CRM_COMMENTS.crm_unreachable]);
    return await withEvent(t, callId, 'comment_written');
  } finally {
    await fake.setMode({ kind: 'normal' });
  }
}
