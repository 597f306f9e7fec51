import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallView } from '../../src/calls/callView.js';
import { signBody } from '../../src/dialer/WebhookDialer.js';
import { DialerStub } from '../support/DialerStub.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type ErrorBody, type TestClient } from '../support/testApp.js';
import { DIALER_SECRET, testConfig } from '../support/testConfig.js';

const prefix = uniquePrefix('e2e-dial');
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

const schedule = async (inMillis: number) => {
  const res = await t.api('POST', '/apps/api/v1/calls', {
    call_type: 'Voice Scheduled (API)',
    menu_id: 9,
    end_user_number: '+18596579625',
    scheduled_at: inMs(inMillis),
  });
  expect(res.status).toBe(201);
  return jsonBody<CallView>(res);
};
const getCall = async (id: number) => jsonBody<CallView>(await t.api('GET', `/apps/api/v1/calls/${id}`));
const queued = (id: number) =>
  waitFor(async () => ((await getCall(id)).status === 'queued' ? getCall(id) : null), 15_000, `call ${id} queued`);

describe('a scheduled callback fires and reaches the dialer', () => {
  it('waits until scheduled_at, then POSTs the signed call object and becomes queued', async () => {
    const res = await t.api('POST', '/apps/api/v1/calls', {
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: '+1 859-657-9625',
      scheduled_at: inMs(1500),
    });
    expect(res.status).toBe(201);
    const call = await jsonBody<CallView>(res);
    expect(call.status).toBe('scheduled');
    expect(dialer.forCall(call.id)).toHaveLength(0);

    const [dial] = await waitFor(() => (dialer.forCall(call.id).length ? dialer.forCall(call.id) : null), 10_000, 'dial');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(call.scheduled_at));
    expect(dial!.headers['x-signature']).toBe(signBody(dial!.rawBody, DIALER_SECRET));
    expect(dial!.headers['idempotency-key']).toBe(`call-${call.id}`);
    expect(dial!.body.end_user_number).toBe('+18596579625');

    const after = await waitFor(async () => {
      const c = await getCall(call.id);
      return c.status === 'queued' ? c : null;
    });
    expect(after.queued_at).not.toBeNull();
    expect(after.events.map((e) => e.type)).toEqual(['scheduled', 'fired', 'decision', 'dialed', 'status']);
    expect(dialer.forCall(call.id)).toHaveLength(1);
  });
});

describe('dialer trouble and races', () => {
  it('retries a dialer that fails, with the same Idempotency-Key and a valid signature each time, and queues once', async () => {
    dialer.nextStatuses.push(503, 500);
    const { id } = await schedule(500);
    const call = await queued(id);
    const offers = dialer.forCall(id);
    expect(offers).toHaveLength(3);
    for (const offer of offers) {
      expect(offer.headers['idempotency-key']).toBe(`call-${id}`);
      expect(offer.headers['x-signature']).toBe(signBody(offer.rawBody, DIALER_SECRET));
    }
    expect(call.events.filter((e) => e.type === 'dialed')).toHaveLength(1);
  });

  it("answers 409 to a cancel that races the running fire job, and the job's outcome stands", async () => {
    dialer.delayMs = 1500; // the dial is in flight while we cancel
    try {
      const { id } = await schedule(400);
      await waitFor(() => dialer.forCall(id).length > 0, 10_000, 'the dial to start');
      const cancel = await t.api('PATCH', `/apps/api/v1/calls/scheduled/${id}/cancel`);
      expect(cancel.status).toBe(409);
      expect((await jsonBody<ErrorBody>(cancel)).message).toMatch(/already being processed/);
      const call = await queued(id);
      expect(call.fail_reason).toBe('nothing');
      expect(call.events.map((e) => e.type)).not.toContain('canceled');
    } finally {
      dialer.delayMs = 0;
    }
  });
});
