import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';
import { CALLS, ISO_UTC_MS, createCall, expectError, getCall, waitForStatus, type Call, type CustomerFlag } from './callApi.js';

const prefix = uniquePrefix('api-updates');
let t: TestClient;

beforeAll(async () => {
  // The log dialer accepts every call, so a call due now becomes `queued` on its own.
  t = await startTestApp(testConfig(prefix, { dialer: { kind: 'log' } }));
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

const report = (id: number | string, body: unknown) => t.api('PATCH', `${CALLS}/${id}`, body);

/** `n` calls that have fired and been handed to the dialer (status `queued`). */
async function queuedCalls(n: number): Promise<Call[]> {
  const created = await Promise.all(Array.from({ length: n }, () => createCall(t, { scheduled_at: inMs(150) })));
  return Promise.all(created.map((c) => waitForStatus(t, c.id, 'queued')));
}

async function moveTo(id: number, status: string, extra: Record<string, unknown> = {}): Promise<Call> {
  const res = await report(id, { status, ...extra });
  const text = await res.text();
  expect(res.status, `${status}: ${text}`).toBe(200);
  return JSON.parse(text) as Call;
}

describe('PATCH /apps/api/v1/calls/{id}: the dialer reports progress', () => {
  it('walks queued → assigned → connecting → connected → finished, stamping the times', async () => {
    const [call] = await queuedCalls(1);
    expect(call!.queued_at).toMatch(ISO_UTC_MS);

    const assigned = await moveTo(call!.id, 'assigned');
    expect(assigned.status).toBe('assigned');
    expect(assigned.assigned_at).toMatch(ISO_UTC_MS);
    expect(assigned.connected_at).toBeNull();

    expect((await moveTo(call!.id, 'connecting')).status).toBe('connecting');

    const connected = await moveTo(call!.id, 'connected');
    expect(connected.connected_at).toMatch(ISO_UTC_MS);
    expect(Date.parse(connected.connected_at!)).toBeGreaterThanOrEqual(Date.parse(assigned.assigned_at!));
    expect(connected.ends_at).toBeNull();

    const finished = await moveTo(call!.id, 'finished');
    expect(finished.status).toBe('finished');
    expect(finished.ends_at).toMatch(ISO_UTC_MS);
    expect(finished.fail_reason).toBe('nothing');
    expect(finished.events.filter((e) => e.type === 'status').map((e) => e.detail)).toEqual([
      'queued',
      'assigned',
      'connecting',
      'connected',
      'finished',
    ]);
    expect(await getCall(t, call!.id)).toEqual(finished);

    // finished is final: nothing can follow it, the same report again included (SPEC 3.1), and nothing changes.
    for (const status of ['queued', 'assigned', 'connecting', 'connected', 'failed', 'scheduled', 'canceled', 'finished']) {
      await expectError(await report(call!.id, { status }), 409);
    }
    expect(await getCall(t, call!.id)).toEqual(finished);
  });

  it('may skip steps (queued → connected, queued → finished)', async () => {
    const [a, b] = await queuedCalls(2);
    const connected = await moveTo(a!.id, 'connected');
    expect(connected.status).toBe('connected');
    expect(connected.connected_at).toMatch(ISO_UTC_MS);
    expect(connected.assigned_at).toBeNull();
    const finished = await moveTo(b!.id, 'finished');
    expect(finished.status).toBe('finished');
    expect(finished.ends_at).toMatch(ISO_UTC_MS);
  });

  it('failed (with fail_reason) from every step before finished; failed is final', async () => {
    const calls = await queuedCalls(4);
    const steps = ['queued', 'assigned', 'connecting', 'connected'];
    for (const [i, call] of calls.entries()) {
      if (steps[i] !== 'queued') await moveTo(call.id, steps[i]!);
      const failed = await moveTo(call.id, 'failed', { fail_reason: 'no_answer' });
      expect(failed.status).toBe('failed');
      expect(failed.fail_reason).toBe('no_answer');
      expect(failed.ends_at).toMatch(ISO_UTC_MS);
    }
    const [first] = calls;
    const failed = await getCall(t, first!.id);
    // failed is final: any report after it is a 409, the same one again included, and nothing changes.
    for (const status of ['connected', 'finished', 'failed', 'queued']) {
      await expectError(await report(first!.id, { status }), 409);
    }
    await expectError(await report(first!.id, { status: 'failed', fail_reason: 'busy' }), 409);
    await expectError(await report(first!.id, { status: 'failed', fail_reason: 'no_answer' }), 409);
    expect(await getCall(t, first!.id)).toEqual(failed);
  });

  it('failed without a fail_reason still records one', async () => {
    const [call] = await queuedCalls(1);
    const failed = await moveTo(call!.id, 'failed');
    expect(failed.status).toBe('failed');
    expect(typeof failed.fail_reason).toBe('string');
    expect(failed.fail_reason).not.toBe('nothing');
  });

  it('never goes backward or stays in place (409, unchanged)', async () => {
    const [call] = await queuedCalls(1);
    await moveTo(call!.id, 'connected');
    const before = await getCall(t, call!.id);
    for (const status of ['assigned', 'connecting', 'queued', 'connected', 'scheduled']) {
      const message = await expectError(await report(call!.id, { status }), 409);
      expect(message).toContain('connected');
    }
    expect(await getCall(t, call!.id)).toEqual(before);
  });

  it('a scheduled call must first be queued: scheduled → anything is 409', async () => {
    const call = await createCall(t);
    for (const status of ['queued', 'assigned', 'connecting', 'connected', 'finished', 'failed', 'canceled']) {
      await expectError(await report(call.id, { status }), 409);
    }
    expect(await getCall(t, call.id)).toEqual(call);
  });

  it('a canceled call is final', async () => {
    const call = await createCall(t);
    expect((await t.api('PATCH', `${CALLS}/scheduled/${call.id}/cancel`)).status).toBe(200);
    const canceled = await getCall(t, call.id);
    for (const status of ['queued', 'assigned', 'connected', 'finished', 'failed', 'scheduled']) {
      await expectError(await report(call.id, { status }), 409);
    }
    expect(await getCall(t, call.id)).toEqual(canceled);
  });

  describe('bad input is a 400 and leaves the call as it was', () => {
    let queued: Call;
    beforeAll(async () => {
      [queued] = (await queuedCalls(1)) as [Call];
    });

    it.each<[string, unknown]>([
      ['no status', {}],
      ['a non-string status', { status: 3 }],
      ['a non-string fail_reason', { status: 'failed', fail_reason: 42 }],
      ['a JSON array body', ['assigned']],
    ])('%s', async (_what, body) => {
      await expectError(await report(queued.id, body), 400);
      expect(await getCall(t, queued.id)).toEqual(queued);
    });
  });

  it('an unknown status is not a legal move either (409, unchanged)', async () => {
    const [call] = await queuedCalls(1);
    for (const status of ['ringing', 'ASSIGNED']) {
      const message = await expectError(await report(call!.id, { status }), 409);
      expect(message).toBe(`Cannot change status from 'queued' to '${status}'`);
    }
    expect(await getCall(t, call!.id)).toEqual(call);
  });

  it('accepts progress reported while the call is still being handed to the dialer (before our webhook got its 2xx)', async () => {
    const call = await createCall(t);
    // What the fire step stores before it calls the dialer: firing, with a dial decision.
    await t.app.services.calls.transition(call.id, {
      from: ['scheduled'],
      patch: { firing: true, decision: { action: 'dial', reopen: false, comment: null, failReason: null, crmStatus: null } },
    });
    const assigned = await moveTo(call.id, 'assigned');
    expect(assigned.status).toBe('assigned');
    expect(assigned.queued_at).not.toBeNull();
    expect(assigned.assigned_at).not.toBeNull();
  });

  it('404 {"message": "Call not found"} for an unknown call', async () => {
    await expectError(await report(987654321, { status: 'assigned' }), 404, 'Call not found');
    await expectError(await report('abc', { status: 'assigned' }), 404, 'Call not found');
  });
});

describe('GET / PATCH /apps/api/v1/calls/{id}/customer_flag', () => {
  const flags = (id: number | string) => `${CALLS}/${id}/customer_flag`;

  it('all three flags default to false', async () => {
    const call = await createCall(t);
    const res = await t.api('GET', flags(call.id));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ verified_customer: false, bad_actor: false, repeat_customer: false });
  });

  it('PATCH sets the given flags, leaves the others, and GET and the call object show them', async () => {
    const call = await createCall(t);
    const res = await t.api('PATCH', flags(call.id), { verified_customer: true, bad_actor: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ verified_customer: true, bad_actor: true, repeat_customer: false });

    const cleared = await t.api('PATCH', flags(call.id), { bad_actor: false });
    expect(await cleared.json()).toEqual({ verified_customer: true, bad_actor: false, repeat_customer: false });

    expect(await (await t.api('GET', flags(call.id))).json()).toEqual({
      verified_customer: true,
      bad_actor: false,
      repeat_customer: false,
    });
    const stored = await getCall(t, call.id);
    expect(stored.customer_flag).toEqual({ verified_customer: true, bad_actor: false, repeat_customer: false });
    expect(stored.status).toBe('scheduled');
  });

  it("accepts the seed's repeat_customers spelling as well as repeat_customer", async () => {
    const a = await createCall(t);
    const res = await t.api('PATCH', flags(a.id), { repeat_customers: true });
    expect(res.status).toBe(200);
    expect((await jsonBody<CustomerFlag>(res)).repeat_customer).toBe(true);
    expect((await jsonBody<CustomerFlag>(await t.api('GET', flags(a.id)))).repeat_customer).toBe(true);

    const b = await createCall(t);
    expect((await jsonBody<CustomerFlag>(await t.api('PATCH', flags(b.id), { repeat_customer: true }))).repeat_customer).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a string', { bad_actor: 'true' }],
    ['a number', { verified_customer: 1 }],
    ['null', { repeat_customer: null }],
    ['a string under the seed spelling', { repeat_customers: 'yes' }],
    ['one good and one bad value', { verified_customer: true, bad_actor: 'no' }],
  ])('400 for %s, and nothing changes', async (_what, body) => {
    const call = await createCall(t);
    await expectError(await t.api('PATCH', flags(call.id), body), 400);
    expect(await (await t.api('GET', flags(call.id))).json()).toEqual({
      verified_customer: false,
      bad_actor: false,
      repeat_customer: false,
    });
  });

  it('404 for an unknown call on GET and PATCH', async () => {
    await expectError(await t.api('GET', flags(987654321)), 404, 'Call not found');
    await expectError(await t.api('PATCH', flags(987654321), { bad_actor: true }), 404, 'Call not found');
    await expectError(await t.api('GET', flags('abc')), 404, 'Call not found');
    // The PATCH on an unknown id created nothing.
    expect((await t.api('GET', `${CALLS}/987654321`)).status).toBe(404);
  });
});
