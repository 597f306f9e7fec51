import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryCrm } from '../support/InMemoryCrm.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type ErrorBody, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';
import { CALLS, callBody, createCall, expectError, getCall, totalCalls, waitForStatus, type Call } from './callApi.js';

const ACTIVE_CALL_MESSAGE = 'A scheduled call was not created because the record already has an active scheduled call.';

const prefix = uniquePrefix('api-dupguard');
const crm = new InMemoryCrm('zendesk');
let t: TestClient;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix), { crmAdapter: crm });
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** An open record in the CRM, so comments can land on it. */
function openRecord(id: string): string {
  crm.records.set(id, { closed: false, status: 'open' });
  return id;
}

/** Waits until no CRM side effect is waiting, running or delayed: every comment that will be written has been. */
async function crmEffectsSettled(): Promise<void> {
  await waitFor(
    async () => {
      const c = await t.app.services.queues.crmEffects.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(c).every((n) => n === 0);
    },
    10_000,
    'CRM side effects to settle',
  );
}

const activeComments = (ticket: string) => crm.commentsOn(ticket).filter((c) => c === ACTIVE_CALL_MESSAGE);

describe('duplicate guard: one scheduled call per CRM record', () => {
  it('the second create for a record is a 409 with the prescribed message and creates nothing', async () => {
    const ticket = openRecord('4001');
    const first = await createCall(t, { ticket_id: ticket });
    const before = await totalCalls(t);
    await expectError(await t.api('POST', CALLS, callBody({ ticket_id: ticket })), 409, ACTIVE_CALL_MESSAGE);
    // A numeric ticket_id names the same record as its string form.
    await expectError(await t.api('POST', CALLS, callBody({ ticket_id: 4001 })), 409, ACTIVE_CALL_MESSAGE);
    expect(await totalCalls(t)).toBe(before);
    expect(await totalCalls(t, `ticket_id=${ticket}`)).toBe(1);
    expect((await getCall(t, first.id)).status).toBe('scheduled');
  });

  it('three refused requests write the comment to the record exactly once', async () => {
    const ticket = openRecord('4002');
    const first = await createCall(t, { ticket_id: ticket });
    for (let i = 0; i < 3; i += 1) {
      await expectError(await t.api('POST', CALLS, callBody({ ticket_id: ticket })), 409, ACTIVE_CALL_MESSAGE);
    }
    await waitFor(() => activeComments(ticket).length > 0, 10_000, 'the refusal comment');
    await crmEffectsSettled();
    expect(activeComments(ticket)).toEqual([ACTIVE_CALL_MESSAGE]);
    expect(crm.commentsOn(ticket)).toHaveLength(1);
    // The comment is on the call's timeline too.
    const call = await waitFor(
      async () => {
        const c = await getCall(t, first.id);
        return c.events.some((e) => e.type === 'comment_written') ? c : null;
      },
      10_000,
      'the comment_written event',
    );
    expect(call.status).toBe('scheduled');
  });

  it('20 concurrent creates for one record: exactly one 201, nineteen 409s, one call and one comment', async () => {
    const ticket = openRecord('4003');
    const before = await totalCalls(t);
    const responses = await Promise.all(Array.from({ length: 20 }, () => t.api('POST', CALLS, callBody({ ticket_id: ticket }))));
    const bodies = await Promise.all(responses.map((r) => jsonBody<Call | ErrorBody>(r)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const [i, body] of bodies.entries()) {
      if (statuses[i] === 409) expect(body).toEqual({ message: ACTIVE_CALL_MESSAGE });
    }
    const created = bodies[statuses.indexOf(201)] as Call; // the one 201 answer
    expect(await totalCalls(t)).toBe(before + 1);
    const list = await jsonBody<Call[]>(await t.api('GET', `${CALLS}?ticket_id=${ticket}`));
    expect(list.map((c) => c.id)).toEqual([created.id]);

    await waitFor(() => activeComments(ticket).length > 0, 10_000, 'the refusal comment');
    await crmEffectsSettled();
    expect(activeComments(ticket)).toHaveLength(1);
  });

  it('after the scheduled call is canceled the record takes a new one; refusals against that one comment once more', async () => {
    const ticket = openRecord('4004');
    const first = await createCall(t, { ticket_id: ticket });
    await expectError(await t.api('POST', CALLS, callBody({ ticket_id: ticket })), 409, ACTIVE_CALL_MESSAGE);
    await waitFor(() => activeComments(ticket).length === 1, 10_000, 'the first refusal comment');

    expect((await t.api('PATCH', `${CALLS}/scheduled/${first.id}/cancel`)).status).toBe(200);
    const second = await createCall(t, { ticket_id: ticket });
    expect(second.id).not.toBe(first.id);
    expect(second.status).toBe('scheduled');

    await expectError(await t.api('POST', CALLS, callBody({ ticket_id: ticket })), 409, ACTIVE_CALL_MESSAGE);
    await expectError(await t.api('POST', CALLS, callBody({ ticket_id: ticket })), 409, ACTIVE_CALL_MESSAGE);
    await waitFor(() => activeComments(ticket).length === 2, 10_000, 'the refusal comment for the second call');
    await crmEffectsSettled();
    expect(activeComments(ticket)).toHaveLength(2);
    expect(await totalCalls(t, `ticket_id=${ticket}`)).toBe(2);
  });

  it('once the scheduled call has gone to the dialer (queued) the record is free for a new scheduled call', async () => {
    const ticket = openRecord('4005');
    const first = await createCall(t, { ticket_id: ticket, scheduled_at: inMs(150) });
    await waitForStatus(t, first.id, 'queued');
    const second = await createCall(t, { ticket_id: ticket });
    expect(second.status).toBe('scheduled');
  });

  it('different records, and calls without a record, do not block each other', async () => {
    const a = await createCall(t, { ticket_id: openRecord('4006') });
    const b = await createCall(t, { ticket_id: openRecord('4007') });
    expect(a.id).not.toBe(b.id);
    const c = await createCall(t);
    const d = await createCall(t);
    expect(c.id).not.toBe(d.id);
  });

  it("with a CRM configured, ticket_id must have that CRM's id format", async () => {
    const before = await totalCalls(t);
    await expectError(await t.api('POST', CALLS, callBody({ ticket_id: 'has-dash' })), 400, 'ticket_id is not well formed');
    await expectError(await t.api('POST', CALLS, callBody({ ticket_id: 'A'.repeat(19) })), 400, 'ticket_id is not well formed');
    expect(await totalCalls(t)).toBe(before);
  });
});
