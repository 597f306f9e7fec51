import type { CallView } from '../src/calls/callView.js';
import type { Dialer } from '../src/dialer/Dialer.js';
import { decideOnFire } from '../src/policy/decideOnFire.js';
import { InMemoryCrm } from '../test/support/InMemoryCrm.js';
import {
  ApiClient,
  createBody,
  envNumber,
  int,
  ms,
  percentile,
  progress,
  runInFlight,
  sleep,
  startProduct,
  type BenchMode,
  type BenchRedis,
  type ModeResult,
} from './support.js';

const IN_FLIGHT = envNumber('BENCH_CONCURRENCY', 64);
const WARM_UP = envNumber('BENCH_WARMUP', 2_000);
const CREATES = envNumber('BENCH_CREATES', 10_000);
const BURST = envNumber('BENCH_BURST', 2_000);
const HOUR_MS = 3_600_000;

/** Records when each callback reaches the dialer (the end of the fire lag). */
class StopwatchDialer implements Dialer {
  readonly lagsMs: number[] = [];
  lastOfferAt = 0;

  offer(call: CallView): Promise<void> {
    this.lastOfferAt = Date.now();
    this.lagsMs.push(this.lastOfferAt - Date.parse(call.scheduled_at));
    return Promise.resolve();
  }
}

/**
 * One process running API and worker, an in-memory Zendesk stand-in (every fired callback looks its record up):
 * 1. POST /calls with IN_FLIGHT requests in flight over keep-alive, after a warm-up: rate and latency;
 * 2. BURST callbacks due at one instant: scheduled_at → dialer receives it;
 * 3. the pure decision (decideOnFire) per second.
 */
async function run(redis: BenchRedis): Promise<ModeResult> {
  await redis.flush();
  const crm = new InMemoryCrm('zendesk');
  const dialer = new StopwatchDialer();
  const zendesk = { provider: 'zendesk', zendesk: { url: 'http://127.0.0.1:1/api/v2', email: 'a@example.com', token: 'unused' } };
  const app = await startProduct(redis.url, { api: true, worker: true, crmAdapter: crm, dialer }, { crm: zendesk });
  const client = new ApiClient(app.url!, IN_FLIGHT);
  try {
    const later = new Date(Date.now() + HOUR_MS);
    await runInFlight(WARM_UP, IN_FLIGHT, (n) => client.create(createBody(n, later, 'W')));
    const latencies: number[] = [];
    const started = performance.now();
    await runInFlight(CREATES, IN_FLIGHT, async (n) => {
      const t = performance.now();
      await client.create(createBody(n, later, 'C'));
      latencies.push(performance.now() - t);
    });
    const createsPerSecond = CREATES / ((performance.now() - started) / 1000);
    latencies.sort((a, b) => a - b);
    progress(`creates: ${int(createsPerSecond)}/s`);

    const dueAt = Date.now() + 3_000 + BURST * 2; // after the last create of the burst
    for (let n = 0; n < BURST; n += 1) crm.records.set(`B${n}`, { closed: false, status: 'open' });
    await runInFlight(BURST, IN_FLIGHT, (n) => client.create(createBody(n, new Date(dueAt), 'B')));
    const createdInTime = Date.now() < dueAt;
    const deadline = dueAt + 60_000;
    while (dialer.lagsMs.length < BURST && Date.now() < deadline) await sleep(50);
    const lags = [...dialer.lagsMs].sort((a, b) => a - b);
    const drainPerSecond = lags.length / Math.max(0.001, (dialer.lastOfferAt - dueAt) / 1000);
    const crmReadsPerCallback = crm.readBatches.length / Math.max(1, lags.length);

    const decisionsPerSecond = decisionRate();
    return {
      rows: [
        {
          figure: `POST /calls, ${IN_FLIGHT} in flight, keep-alive (${int(CREATES)} after ${int(WARM_UP)} warm-up)`,
          value: `${int(createsPerSecond)}/s`,
        },
        { figure: '  latency p50 / p99', value: `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))}` },
        {
          figure: `burst of ${int(BURST)} due at one instant: reached the dialer${createdInTime ? '' : ' (created late!)'}`,
          value: `${int(lags.length)} / ${int(BURST)}`,
        },
        {
          figure: '  lag p50 / p99 / max (scheduled_at → dialer)',
          value: `${ms(percentile(lags, 50))} / ${ms(percentile(lags, 99))} / ${ms(lags.at(-1) ?? NaN)}`,
        },
        { figure: '  drain rate', value: `${int(drainPerSecond)}/s` },
        { figure: '  CRM read requests per fired callback', value: crmReadsPerCallback.toFixed(3) },
        { figure: 'decideOnFire (pure policy)', value: `${(decisionsPerSecond / 1e6).toFixed(1)} M/s` },
      ],
      summary: {
        createsPerSecond: Math.round(createsPerSecond),
        createP99Ms: round1(percentile(latencies, 99)),
        burst: BURST,
        burstFired: lags.length,
        fireLagP50Ms: round1(percentile(lags, 50)),
        fireLagP99Ms: round1(percentile(lags, 99)),
        drainPerSecond: Math.round(drainPerSecond),
        crmReadsPerCallback: Number(crmReadsPerCallback.toFixed(3)),
      },
    };
  } finally {
    client.close();
    await app.close();
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function decisionRate(): number {
  const n = 1_000_000;
  const started = performance.now();
  for (let i = 0; i < n; i += 1) {
    decideOnFire({
      provider: 'salesforce',
      ticketId: 'x',
      salesforcePolicy: i % 2 ? 'reopen' : 'cancel',
      lookup: { kind: 'found', state: i % 3 ? 'open' : 'closed', rawStatus: 'x' },
      otherActiveCall: i % 5 === 0,
    });
  }
  return n / ((performance.now() - started) / 1000);
}

export const throughputMode: BenchMode = { name: 'throughput', quick: true, run };
