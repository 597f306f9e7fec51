import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/admin/explainRoutes.js';
import type { CallView } from '../../src/calls/callView.js';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';
import { SalesforceFakeServer } from '../fakes/SalesforceFakeServer.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type ErrorBody, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

const prefix = uniquePrefix('admin-explain');
const sf = new SalesforceFakeServer();
let t: TestClient;

beforeAll(async () => {
  await sf.start();
  t = await startTestApp(
    testConfig(prefix, {
      crm: { ...sf.crmConfig({ closedRecordPolicy: 'reopen' }), lookup: { timeoutMs: 400, attempts: 2, budgetMs: 1000 } },
    }),
  );
  await waitFor(async () => (await fetch(`${t.url}/readyz`)).ok, 5000, 'redis ready');
});

afterAll(async () => {
  await t?.app.close();
  await sf.stop();
  await deletePrefix(prefix);
});

const setPolicy = async (value: string) =>
  expect((await t.admin('PUT', '/admin/v1/settings/crm', { salesforce: { closedRecordPolicy: value } })).status).toBe(200);

const explain = async (body: unknown) => {
  const res = await t.admin('POST', '/admin/v1/explain', body);
  return { status: res.status, body: await jsonBody<Explanation | ErrorBody>(res) };
};

const getCall = async (id: number) => jsonBody<CallView>(await t.api('GET', `/apps/api/v1/calls/${id}`));

/** Requests that would change a record: a status change or a comment. */
const writes = () =>
  sf.requests.filter(
    (r) => r.method === 'PATCH' || r.method === 'DELETE' || (r.method === 'POST' && r.path.includes('/sobjects/CaseComment')),
  );

const schedule = async (ticketId: string, at: string) => {
  const res = await t.api('POST', '/apps/api/v1/calls', {
    call_type: 'Voice Scheduled (API)',
    menu_id: 9,
    end_user_number: '+1 859-657-9625',
    scheduled_at: at,
    ticket_id: ticketId,
  });
  expect(res.status).toBe(201);
  return jsonBody<CallView>(res);
};

describe('POST /admin/v1/explain on a closed Salesforce case', () => {
  it('policy reopen: would reopen and dial, with the reopened comment, and changes nothing', async () => {
    await setPolicy('reopen');
    const id = sf.addRecord({ id: '', closed: true });
    const res = await explain({ ticket_id: id });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      decision: 'dial',
      reopen: true,
      comment: 'The record was reopened at the time of a scheduled call.',
      fail_reason: null,
      crm_status: 'Closed',
      calling: null, // the record has no scheduled call: no calling rules to check
    });
    expect(sf.recordIsClosed(id)).toBe(true);
    expect(sf.recordStatus(id)).toBe('Closed');
    expect(sf.commentsOn(id)).toEqual([]);
    expect(writes()).toEqual([]);
    expect(await (await t.api('GET', `/apps/api/v1/calls?ticket_id=${id}`)).json()).toEqual([]);
  });

  it('policy cancel: would cancel with record_closed and the canceled comment', async () => {
    await setPolicy('cancel');
    const id = sf.addRecord({ id: '', closed: true });
    expect((await explain({ ticket_id: id })).body).toEqual({
      decision: 'cancel',
      reopen: false,
      comment: 'A scheduled call was canceled because the record is closed.',
      fail_reason: 'record_closed',
      crm_status: 'Closed',
      calling: null,
    });
    expect(sf.commentsOn(id)).toEqual([]);
  });

  it('policy dont_check: would dial without even reading the record', async () => {
    await setPolicy('dont_check');
    const id = sf.addRecord({ id: '', closed: true });
    const before = sf.requests.length;
    expect((await explain({ ticket_id: id })).body).toEqual({
      decision: 'dial',
      reopen: false,
      comment: null,
      fail_reason: null,
      crm_status: null,
      calling: null,
    });
    expect(sf.requests.length).toBe(before);
  });
});

describe('POST /admin/v1/explain, the other outcomes', () => {
  it('unknown record: cancel with record_not_found and no comment', async () => {
    await setPolicy('reopen');
    expect((await explain({ ticket_id: sf.newCaseId() })).body).toEqual({
      decision: 'cancel',
      reopen: false,
      comment: null,
      fail_reason: 'record_not_found',
      crm_status: null,
      calling: null,
    });
  });

  it('CRM unreachable: cancel with crm_unreachable and the unreachable comment', async () => {
    const id = sf.addRecord({ id: '', closed: false });
    await sf.setMode({ kind: 'down' });
    try {
      expect((await explain({ ticket_id: id })).body).toEqual({
        decision: 'cancel',
        reopen: false,
        comment: CRM_COMMENTS.crm_unreachable,
        fail_reason: 'crm_unreachable',
        crm_status: null,
        calling: null,
      });
    } finally {
      await sf.setMode({ kind: 'normal' });
    }
  });

  it('an open case with a scheduled call: skip for the ticket, but dial for that call itself (its own id is excluded)', async () => {
    await setPolicy('reopen');
    const id = sf.addRecord({ id: '', closed: false, status: 'Working' });
    const call = await schedule(id, inMs(60 * 60 * 1000));
    const eventsBefore = (await getCall(call.id)).events;
    // No calling window or business hours in this config: the record's scheduled call may be placed at any time.
    const calling = { allowed: true, deferred_until: null, reason: null, timezone: call.timezone };

    expect((await explain({ ticket_id: id })).body).toEqual({
      decision: 'skip',
      reopen: false,
      comment: 'A scheduled call was not created because the record already has an active scheduled call.',
      fail_reason: 'active_call_exists',
      crm_status: 'Working',
      calling,
    });
    for (const body of [{ call_id: call.id }, { call_id: String(call.id) }]) {
      expect((await explain(body)).body).toEqual({
        decision: 'dial',
        reopen: false,
        comment: null,
        fail_reason: null,
        crm_status: 'Working',
        calling,
      });
    }
    const after = await getCall(call.id);
    expect(after.status).toBe('scheduled');
    expect(after.events).toEqual(eventsBefore);
    expect(sf.commentsOn(id)).toEqual([]);
  });

  it('agrees with the worker: the call then fires and ends exactly as explained', async () => {
    await setPolicy('cancel');
    const id = sf.addRecord({ id: '', closed: true });
    const call = await schedule(id, inMs(1500));
    const explained = (await explain({ call_id: call.id })).body as Explanation; // checked just below
    expect(explained).toMatchObject({ decision: 'cancel', fail_reason: 'record_closed', crm_status: 'Closed' });
    expect(sf.commentsOn(id)).toEqual([]); // the dry run wrote nothing

    const fired = await waitFor(
      async () => {
        const c = await getCall(call.id);
        return c.status === 'canceled' ? c : null;
      },
      10_000,
      'the call to fire',
    );
    expect(fired.fail_reason).toBe(explained.fail_reason);
    await waitFor(() => sf.commentsOn(id).length > 0, 10_000, 'the comment');
    expect(sf.commentsOn(id)).toEqual([explained.comment]);
  });
});

describe('POST /admin/v1/explain, bad requests', () => {
  it.each([
    ['an empty object', {}, 400, 'ticket_id or call_id is required'],
    ['an array', [], 400, 'Request body must be a JSON object'],
    ['both ids', { ticket_id: '500Hs00001XyZaBIAV', call_id: 1 }, 400, 'Give either ticket_id or call_id, not both'],
    ['a ticket id with a quote', { ticket_id: "500Hs0000' OR Id != '" }, 400, 'ticket_id is not well formed'],
    ['a ticket id of the wrong length', { ticket_id: '500Hs0000' }, 400, 'ticket_id is not well formed'],
    ['a ticket id as an object', { ticket_id: { id: 1 } }, 400, 'ticket_id is not well formed'],
    ['an empty ticket id', { ticket_id: '' }, 400, 'ticket_id is not well formed'],
    ['a call id that is not a number', { call_id: 'abc' }, 400, 'call_id is not well formed'],
    ['a negative call id', { call_id: -3 }, 400, 'call_id is not well formed'],
    ['an unknown call', { call_id: 987654321 }, 404, 'call_id 987654321 is not found'],
  ])('%s → %i', async (_what, body, status, message) => {
    const before = sf.requests.length;
    const res = await explain(body);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ message });
    expect(sf.requests.length).toBe(before);
  });

  it('malformed JSON → 400', async () => {
    const res = await t.admin('POST', '/admin/v1/explain', '{"ticket_id":', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect((await jsonBody<ErrorBody>(res)).message).toBeTruthy();
  });
});
