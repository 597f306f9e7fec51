/**
 * `npm run bench`: speed targets live here, not in the tests. Loopback only, bounded in count and time.
 *  1. POST /apps/api/v1/calls: throughput and latency at a fixed concurrency.
 *  2. Fire lag: many callbacks due at the same instant (with a CRM lookup each, batched) — time from
 *     scheduled_at to the call being queued.
 *  3. decideOnFire: decisions per second (the pure policy module).
 */
import { Redis } from 'ioredis';
import { startApp } from '../src/App.js';
import { parseConfig } from '../src/config/loadConfig.js';
import { createLogger } from '../src/observability/logger.js';
import { decideOnFire } from '../src/policy/decideOnFire.js';
import { InMemoryCrm } from '../test/support/InMemoryCrm.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CREATES = Number(process.env.BENCH_CREATES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const DUE_TOGETHER = Number(process.env.BENCH_DUE_TOGETHER ?? 300);
const API = { username: 'bench', password: 'bench-secret-1' };
const auth = `Basic ${Buffer.from(`${API.username}:${API.password}`).toString('base64')}`;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main() {
  const prefix = `cbo-bench-${process.pid}`;
  const crm = new InMemoryCrm('zendesk');
  const config = parseConfig(
    {
      server: { host: '127.0.0.1', port: 0, maxConcurrentRequests: 10_000 },
      redis: { url: REDIS_URL, prefix },
      auth: { apiUsers: [API] },
      menus: [{ id: 9, name: 'Bench', type: 'web', languages: ['en'] }],
      crm: { provider: 'zendesk', zendesk: { url: 'http://127.0.0.1:1/api/v2', email: 'a@example.com', token: 'unused' } },
      worker: { concurrency: 100, batchWindowMs: 25 },
      logLevel: 'silent',
    },
    {},
  );
  const app = await startApp(config, { api: true, worker: true, crmAdapter: crm, logger: createLogger('silent') });
  const post = (body: object) =>
    fetch(`${app.url}/apps/api/v1/calls`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  try {
    // 1. create throughput
    const latencies: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CREATES) {
          next += 1;
          const start = performance.now();
          const res = await post({
            call_type: 'Voice Scheduled (API)',
            menu_id: 9,
            end_user_number: '+18596579625',
            scheduled_at: new Date(Date.now() + 3_600_000).toISOString(),
          });
          if (res.status !== 201) throw new Error(`create answered ${res.status}`);
          await res.arrayBuffer();
          latencies.push(performance.now() - start);
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(
      `create: ${CREATES} calls at concurrency ${CONCURRENCY}: ${(CREATES / secs).toFixed(0)} req/s, p50 ${fmt(pct(latencies, 50))}, p99 ${fmt(pct(latencies, 99))}`,
    );

    // 2. fire lag for callbacks due together
    const due = new Date(Date.now() + 4000).toISOString();
    const ids: number[] = [];
    for (let i = 0; i < DUE_TOGETHER; i += 1) {
      const ticket = `B${i}`;
      crm.records.set(ticket, { closed: false, status: 'open' });
      const res = await post({
        call_type: 'Voice Scheduled (API)',
        menu_id: 9,
        end_user_number: '+18596579625',
        scheduled_at: due,
        ticket_id: ticket,
      });
      ids.push(((await res.json()) as { id: number }).id);
    }
    const deadline = Date.now() + 60_000;
    let calls = await app.services.calls.getMany(ids);
    while (calls.some((c) => c.status !== 'queued') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      calls = await app.services.calls.getMany(ids);
    }
    const lags = calls
      .filter((c) => c.queued_at)
      .map((c) => Date.parse(c.queued_at!) - Date.parse(c.scheduled_at))
      .sort((a, b) => a - b);
    console.log(
      `fire: ${lags.length}/${DUE_TOGETHER} due together queued; lag p50 ${fmt(pct(lags, 50))}, p99 ${fmt(pct(lags, 99))}, max ${fmt(lags.at(-1) ?? NaN)}; CRM read requests: ${crm.readBatches.length}`,
    );
  } finally {
    await app.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }

  // 3. the pure decision
  const n = 1_000_000;
  const t1 = performance.now();
  for (let i = 0; i < n; i += 1) {
    decideOnFire({
      provider: 'salesforce',
      ticketId: 'x',
      salesforcePolicy: i % 2 ? 'reopen' : 'cancel',
      lookup: { kind: 'found', state: i % 3 ? 'open' : 'closed', rawStatus: 'x' },
      otherActiveCall: i % 5 === 0,
    });
  }
  console.log(`decideOnFire: ${(n / ((performance.now() - t1) / 1000) / 1e6).toFixed(1)} M decisions/s`);
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).message}`);
  process.exit(1);
});
