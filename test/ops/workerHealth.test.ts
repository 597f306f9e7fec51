import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/App.js';
import type { CallView } from '../../src/calls/callView.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

/** API and worker split (ROLE=api / ROLE=worker): the worker serves its own health and fire metrics. */
const prefix = uniquePrefix('worker-health');
let api: TestClient;
let worker: RunningApp;

beforeAll(async () => {
  const config = testConfig(prefix, { worker: { concurrency: 5, batchWindowMs: 10, healthPort: 0 } });
  api = await startTestApp(config, { worker: false });
  worker = await startApp(config, { api: false, worker: true, stalledIntervalMs: 1000 });
});

afterAll(async () => {
  await api?.app.close();
  await worker?.close();
  await deletePrefix(prefix);
});

describe('a worker-only process', () => {
  it('fires what the API-only process scheduled, and reports it on its own /healthz, /readyz and /metrics', async () => {
    expect(worker.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await api.api('POST', '/apps/api/v1/calls', {
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: '+18596579625',
      scheduled_at: inMs(300),
    });
    const { id } = await jsonBody<CallView>(res);
    await waitFor(async () => (await jsonBody<CallView>(await api.api('GET', `/apps/api/v1/calls/${id}`))).status === 'queued');

    expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toMatch(/^callbacks_fired_total\{outcome="dial",fail_reason="none"\} 1$/m);
    expect(metrics).toMatch(/^callback_fire_lag_seconds_count 1$/m);
    expect((await fetch(`${worker.url}/apps/api/v1/calls`)).status).toBe(404); // no API here
  });
});
