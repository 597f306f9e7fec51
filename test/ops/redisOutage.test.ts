import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallView } from '../../src/calls/callView.js';
import { PrivateRedis } from '../support/privateRedis.js';
import { inMs, jsonBody, startTestApp, waitFor, type ErrorBody, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

/** SPEC 8: when Redis goes away the process stays up, answers 503, and resumes by itself losing nothing. */
const redis = new PrivateRedis();
let t: TestClient;

beforeAll(async () => {
  await redis.start();
  const config = testConfig('cbo-outage', { redis: { url: redis.url, prefix: 'cbo-outage' } });
  t = await startTestApp(config);
});

afterAll(async () => {
  await t?.app.close();
  await redis.stop();
});

const body = (scheduledAt: string) => ({
  call_type: 'Voice Scheduled (API)',
  menu_id: 9,
  end_user_number: '+18596579625',
  scheduled_at: scheduledAt,
});

describe('Redis outage', () => {
  it('answers 503 while Redis is down and fires a callback scheduled before the outage once it is back', async () => {
    const before = await t.api('POST', '/apps/api/v1/calls', body(inMs(2500)));
    expect(before.status).toBe(201);
    const { id } = await jsonBody<CallView>(before);

    await redis.stop();
    const ready = await waitFor(async () => {
      const r = await fetch(`${t.url}/readyz`);
      return r.status === 503 ? r : null;
    });
    expect((await jsonBody<ErrorBody>(ready)).message).toMatch(/Redis/);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200); // the process is alive

    const during = await t.api('POST', '/apps/api/v1/calls', body(inMs(60_000)));
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).not.toBeNull();
    expect((await jsonBody<ErrorBody>(during)).message).toMatch(/retry/i);
    expect((await t.api('GET', `/apps/api/v1/calls/${id}`)).status).toBe(503);

    await new Promise((r) => setTimeout(r, 3000)); // the callback comes due while Redis is away
    await redis.start();
    await waitFor(async () => (await fetch(`${t.url}/readyz`)).status === 200, 15_000, 'readyz to recover');
    const fired = await waitFor(
      async () => {
        const r = await t.api('GET', `/apps/api/v1/calls/${id}`);
        if (r.status !== 200) return null;
        const call = await jsonBody<CallView>(r);
        return call.status === 'queued' ? call : null;
      },
      20_000,
      'the callback to fire after the outage',
    );
    expect(fired.events.filter((e) => e.type === 'dialed')).toHaveLength(1);
    expect((await t.api('POST', '/apps/api/v1/calls', body(inMs(60_000)))).status).toBe(201);
  });
});
