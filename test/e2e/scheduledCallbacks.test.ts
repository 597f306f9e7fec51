import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/dialer/WebhookDialer.js';
import { DialerStub } from '../support/DialerStub.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { startTestApp, waitFor, inMs, type TestClient } from '../support/testApp.js';
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

describe('a scheduled callback fires and reaches the dialer', () => {
  it('waits until scheduled_at, then POSTs the signed call object and becomes queued', async () => {
    const res = await t.api('POST', '/apps/api/v1/calls', {
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: '+1 859-657-9625',
      scheduled_at: inMs(1500),
    });
    expect(res.status).toBe(201);
    const call = await res.json();
    expect(call.status).toBe('scheduled');
    expect(dialer.forCall(call.id)).toHaveLength(0);

    const [dial] = await waitFor(() => (dialer.forCall(call.id).length ? dialer.forCall(call.id) : null), 10_000, 'dial');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(call.scheduled_at));
    expect(dial!.headers['x-signature']).toBe(signBody(dial!.rawBody, DIALER_SECRET));
    expect(dial!.headers['idempotency-key']).toBe(`call-${call.id}`);
    expect(dial!.body.end_user_number).toBe('+18596579625');

    const after = await waitFor(async () => {
      const c = await (await t.api('GET', `/apps/api/v1/calls/${call.id}`)).json();
      return c.status === 'queued' ? c : null;
    });
    expect(after.queued_at).not.toBeNull();
    expect(after.events.map((e: { type: string }) => e.type)).toEqual(['scheduled', 'fired', 'decision', 'dialed', 'status']);
    expect(dialer.forCall(call.id)).toHaveLength(1);
  });
});
