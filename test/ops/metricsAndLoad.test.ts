import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallView } from '../../src/calls/callView.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type ErrorBody, type TestClient } from '../support/testApp.js';
import { API_USER, testConfig } from '../support/testConfig.js';

const prefix = uniquePrefix('metrics');
let t: TestClient;

beforeAll(async () => {
  // Only the in-flight cap sheds load here, whatever the machine's load does to the event loop.
  t = await startTestApp(testConfig(prefix, { server: { host: '127.0.0.1', port: 0, maxConcurrentRequests: 3, maxEventLoopDelayMs: 0 } }));
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

describe('GET /metrics', () => {
  it('exposes scheduled, fired-by-outcome, fire lag and queue depth in Prometheus format', async () => {
    const res = await t.api('POST', '/apps/api/v1/calls', {
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: '+18596579625',
      scheduled_at: inMs(300),
    });
    const { id } = await jsonBody<CallView>(res);
    await waitFor(async () => (await jsonBody<CallView>(await t.api('GET', `/apps/api/v1/calls/${id}`))).status === 'queued');
    const later = await t.api('POST', '/apps/api/v1/calls', {
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: '+18596579625',
      scheduled_at: inMs(600_000),
    });
    expect(later.status).toBe(201);

    const metrics = await fetch(`${t.url}/metrics`); // no credentials needed
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/^callbacks_scheduled_total\{source="api"\} 2$/m);
    expect(text).toMatch(/^callbacks_fired_total\{outcome="dial",fail_reason="none"\} 1$/m);
    expect(text).toMatch(/^callback_fire_lag_seconds_count 1$/m);
    expect(text).toMatch(/^callback_queue_jobs\{queue="\{callbacks\}",state="delayed"\} 1$/m);
  });

  it('healthz and readyz answer without credentials', async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
  });
});

describe('load shedding', () => {
  it('answers 503 with Retry-After once too many requests are in flight, and serves again after', async () => {
    const { port } = new URL(t.url);
    // Requests whose bodies never finish arriving stay in flight.
    const sockets = Array.from({ length: 3 }, () => {
      const s = net.connect(Number(port), '127.0.0.1');
      s.write(
        `POST /apps/api/v1/calls HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from(`${API_USER.username}:${API_USER.password}`).toString('base64')}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
      );
      return s;
    });
    try {
      // The server holds all three (probes and metrics stay outside the cap, so they still answer).
      await waitFor(
        async () => /^http_requests_in_flight 3$/m.test(await (await fetch(`${t.url}/metrics`)).text()),
        20_000,
        '3 requests in flight',
      );
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
      const shed = await waitFor(async () => {
        const r = await fetch(`${t.url}/apps/api/v1/calls`, {
          headers: { authorization: `Basic ${Buffer.from(`${API_USER.username}:${API_USER.password}`).toString('base64')}` },
        });
        return r.status === 503 ? r : null;
      });
      expect(shed.headers.get('retry-after')).toBe('1');
      expect((await jsonBody<ErrorBody>(shed)).message).toMatch(/retry later/);
    } finally {
      sockets.forEach((s) => s.destroy());
    }
    await waitFor(async () => (await t.api('GET', '/apps/api/v1/calls')).status === 200);
  });
});
