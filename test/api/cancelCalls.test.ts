import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fireJobId } from '../../src/queue/queueNames.js';
import { DialerStub } from '../support/DialerStub.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { basic, inMs, jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { API_USER, DIALER_SECRET, testConfig } from '../support/testConfig.js';
import { CALLS, createCall, expectError, getCall, waitForStatus, type BulkCancelView, type Call } from './callApi.js';

const prefix = uniquePrefix('api-cancel');
const dialer = new DialerStub();
let t: TestClient;

const cancelOne = (id: number | string) => t.api('PATCH', `${CALLS}/scheduled/${id}/cancel`);
const bulkCancel = (body: unknown) => t.api('PATCH', `${CALLS}/scheduled/cancel`, body);

beforeAll(async () => {
  await dialer.start();
  t = await startTestApp(testConfig(prefix, { dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET } }));
});

afterAll(async () => {
  await t?.app.close();
  await dialer.stop();
  await deletePrefix(prefix);
});

describe('PATCH /apps/api/v1/calls/scheduled/{id}/cancel', () => {
  it('cancels a scheduled call: 200 with the call object, canceled_by_request', async () => {
    const call = await createCall(t);
    const res = await cancelOne(call.id);
    expect(res.status).toBe(200);
    const body = await jsonBody<Call>(res);
    expect(body).toMatchObject({ id: call.id, status: 'canceled', fail_reason: 'canceled_by_request', scheduled_at: call.scheduled_at });
    expect(body.events.map((e) => e.type)).toEqual(['scheduled', 'canceled']);
    expect(await getCall(t, call.id)).toEqual(body);
    expect(await t.app.services.queues.fireQueueOf(call.id).getJob(fireJobId(call.id))).toBeUndefined();
  });

  it('404 {"message": "Call not found"} for an unknown or malformed id', async () => {
    for (const id of ['987654321', 'abc', '0']) {
      await expectError(await cancelOne(id), 404, 'Call not found');
    }
  });

  it('409 when the call is already canceled, and the call stays as it was', async () => {
    const call = await createCall(t);
    expect((await cancelOne(call.id)).status).toBe(200);
    const canceled = await getCall(t, call.id);
    await expectError(await cancelOne(call.id), 409);
    expect(await getCall(t, call.id)).toEqual(canceled);
  });

  it('a call canceled before it is due never reaches the dialer (its delayed job is removed)', async () => {
    const doomed = await createCall(t, { scheduled_at: inMs(1500) });
    const control = await createCall(t, { scheduled_at: inMs(1500) });
    expect(await t.app.services.queues.fireQueueOf(doomed.id).getJob(fireJobId(doomed.id))).toBeDefined();
    expect((await cancelOne(doomed.id)).status).toBe(200);
    expect(await t.app.services.queues.fireQueueOf(doomed.id).getJob(fireJobId(doomed.id))).toBeUndefined();

    // The control call due at the same moment does get dialed; then give the canceled one extra time to show up.
    await waitFor(() => dialer.forCall(control.id).length > 0, 10_000, 'the control call to be dialed');
    await new Promise((r) => setTimeout(r, 1500));
    expect(dialer.forCall(doomed.id)).toHaveLength(0);
    expect((await getCall(t, doomed.id)).status).toBe('canceled');

    // Once handed to the dialer a call is no longer scheduled: canceling it is a 409.
    await waitForStatus(t, control.id, 'queued');
    await expectError(await cancelOne(control.id), 409);
    expect((await getCall(t, control.id)).status).toBe('queued');
  });

  it('works when the client sends Content-Type: application/json with no body', async () => {
    const call = await createCall(t);
    const res = await fetch(`${t.url}${CALLS}/scheduled/${call.id}/cancel`, {
      method: 'PATCH',
      headers: { authorization: basic(API_USER), 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect((await jsonBody<Call>(res)).status).toBe('canceled');
  });
});

describe('PATCH /apps/api/v1/calls/scheduled/cancel (bulk)', () => {
  it('202 with a Location; the operation completes with a result per id', async () => {
    const a = await createCall(t);
    const b = await createCall(t);
    const done = await createCall(t);
    expect((await cancelOne(done.id)).status).toBe(200);
    const unknown = 987654321;

    const res = await bulkCancel({ call_ids: [a.id, b.id, done.id, unknown] });
    expect(res.status).toBe(202);
    const location = res.headers.get('location');
    expect(location).toMatch(/^\/apps\/api\/v1\/calls\/scheduled\/cancel\/[0-9a-f-]{36}$/);
    const accepted = await jsonBody<BulkCancelView>(res);
    expect(location!.endsWith(`/${accepted.id}`)).toBe(true);
    expect(['in_progress', 'completed']).toContain(accepted.status);

    const op = await waitFor(
      async () => {
        const r = await t.api('GET', location!);
        expect(r.status).toBe(200);
        const body = await jsonBody<BulkCancelView>(r);
        return body.status === 'completed' ? body : null;
      },
      10_000,
      'the bulk cancel to complete',
    );
    expect(op).toEqual({
      id: accepted.id,
      status: 'completed',
      results: [
        { call_id: a.id, result: 'canceled' },
        { call_id: b.id, result: 'canceled' },
        { call_id: done.id, result: 'not_scheduled' },
        { call_id: unknown, result: 'not_found' },
      ],
    });
    for (const id of [a.id, b.id]) {
      const call = await getCall(t, id);
      expect(call.status).toBe('canceled');
      expect(call.fail_reason).toBe('canceled_by_request');
      expect(await t.app.services.queues.fireQueueOf(id).getJob(fireJobId(id))).toBeUndefined();
    }
  });

  it('accepts exactly 1,000 ids', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => 50_000_000 + i);
    const res = await bulkCancel({ call_ids: ids });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    const op = await waitFor(
      async () => {
        const body = await jsonBody<BulkCancelView>(await t.api('GET', location));
        return body.status === 'completed' ? body : null;
      },
      15_000,
      'the 1,000-id bulk cancel to complete',
    );
    expect(op.results).toHaveLength(1000);
    expect(op.results.every((r) => r.result === 'not_found')).toBe(true);
  });

  it.each<[string, unknown]>([
    ['no call_ids', {}],
    ['an empty list', { call_ids: [] }],
    ['call_ids not an array', { call_ids: '1,2' }],
    ['call_ids an object', { call_ids: { 0: 1 } }],
    ['a fractional id', { call_ids: [1.5] }],
    ['a word', { call_ids: ['abc'] }],
    ['zero', { call_ids: [0] }],
    ['a negative id', { call_ids: [-4] }],
    ['null in the list', { call_ids: [null] }],
    ['a nested list', { call_ids: [[1]] }],
    ['1,001 ids', { call_ids: Array.from({ length: 1001 }, (_, i) => i + 1) }],
    ['a JSON array body', [1, 2]],
  ])('400 for %s', async (_what, body) => {
    await expectError(await bulkCancel(body), 400);
  });

  it('a refused bulk request cancels nothing, not even its valid ids', async () => {
    const call = await createCall(t);
    await expectError(await bulkCancel({ call_ids: [call.id, 'x'] }), 400);
    const tooMany = [call.id, ...Array.from({ length: 1000 }, (_, i) => 70_000_000 + i)];
    await expectError(await bulkCancel({ call_ids: tooMany }), 400);
    // No background job could have picked it up: the call is still scheduled after the queue is idle.
    await waitFor(async () => {
      const counts = await t.app.services.queues.bulkCancel.getJobCounts('waiting', 'active');
      return Object.values(counts).every((n) => n === 0);
    });
    expect((await getCall(t, call.id)).status).toBe('scheduled');
  });

  it('404 for an unknown operation', async () => {
    await expectError(await t.api('GET', `${CALLS}/scheduled/cancel/3f1c2b9e-1111-4aaa-8bbb-123456789abc`), 404);
    await expectError(await t.api('GET', `${CALLS}/scheduled/cancel/not-an-operation`), 404);
  });
});
