import { InMemoryCrm } from '../test/support/InMemoryCrm.js';
import { StopwatchDialer } from './StopwatchDialer.js';
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
  type BenchRedisConfig,
  type Row,
} from './support.js';

export const IN_FLIGHT = envNumber('BENCH_CONCURRENCY', 64);
export const WARM_UP = envNumber('BENCH_WARMUP', 2_000);
export const CREATES = envNumber('BENCH_CREATES', 10_000);
export const BURST = envNumber('BENCH_BURST', 2_000);
const HOUR_MS = 3_600_000;
const ZENDESK = { provider: 'zendesk', zendesk: { url: 'http://127.0.0.1:1/api/v2', email: 'a@example.com', token: 'unused' } };

/** What one product process on one Redis setup achieved (the throughput and cluster modes' figures). */
export interface ThroughputFigures {
  createsPerSecond: number;
  /** Sorted, ms. */
  createLatencies: number[];
  /** Whether the whole burst was stored before it was due (otherwise its lags include the late creates). */
  burstCreatedInTime: boolean;
  /** Sorted, ms: scheduled_at → dialer, one per fired callback. */
  fireLags: number[];
  drainPerSecond: number;
  crmReadsPerCallback: number;
}

/**
 * One process running API and worker on `redis` (a URL or a cluster section), an in-memory Zendesk stand-in
 * (every fired callback looks its record up), then closed:
 * 1. POST /calls with IN_FLIGHT requests in flight over keep-alive, after a warm-up: rate and latency;
 * 2. BURST callbacks due at one instant: scheduled_at → dialer receives it.
 * The caller gives it an empty store.
 */
export async function measureThroughput(redis: BenchRedisConfig): Promise<ThroughputFigures> {
  const crm = new InMemoryCrm('zendesk');
  const dialer = new StopwatchDialer();
  const app = await startProduct(redis, { api: true, worker: true, crmAdapter: crm, dialer }, { crm: ZENDESK });
  const client = new ApiClient(app.url!, IN_FLIGHT);
  try {
    return { ...(await measureCreates(client)), ...(await measureBurst(client, crm, dialer)) };
  } finally {
    client.close();
    await app.close();
  }
}

async function measureCreates(client: ApiClient): Promise<Pick<ThroughputFigures, 'createsPerSecond' | 'createLatencies'>> {
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
  progress(`creates: ${int(createsPerSecond)}/s`);
  return { createsPerSecond, createLatencies: latencies.sort((a, b) => a - b) };
}

async function measureBurst(
  client: ApiClient,
  crm: InMemoryCrm,
  dialer: StopwatchDialer,
): Promise<Pick<ThroughputFigures, 'burstCreatedInTime' | 'fireLags' | 'drainPerSecond' | 'crmReadsPerCallback'>> {
  const dueAt = Date.now() + 3_000 + BURST * 2; // after the last create of the burst
  for (let n = 0; n < BURST; n += 1) crm.records.set(`B${n}`, { closed: false, status: 'open' });
  await runInFlight(BURST, IN_FLIGHT, (n) => client.create(createBody(n, new Date(dueAt), 'B')));
  const burstCreatedInTime = Date.now() < dueAt;
  const deadline = dueAt + 60_000;
  while (dialer.lagsMs.length < BURST && Date.now() < deadline) await sleep(50);
  const fireLags = [...dialer.lagsMs].sort((a, b) => a - b);
  progress(`burst: ${int(fireLags.length)} / ${int(BURST)} reached the dialer`);
  return {
    burstCreatedInTime,
    fireLags,
    drainPerSecond: fireLags.length / Math.max(0.001, (dialer.lastOfferAt - dueAt) / 1000),
    crmReadsPerCallback: crm.readBatches.length / Math.max(1, fireLags.length),
  };
}

/** The table rows of one measurement. */
export function throughputRows(f: ThroughputFigures): Row[] {
  const lags = f.fireLags;
  return [
    {
      figure: `POST /calls, ${IN_FLIGHT} in flight, keep-alive (${int(CREATES)} after ${int(WARM_UP)} warm-up)`,
      value: `${int(f.createsPerSecond)}/s`,
    },
    { figure: '  latency p50 / p99', value: `${ms(percentile(f.createLatencies, 50))} / ${ms(percentile(f.createLatencies, 99))}` },
    {
      figure: `burst of ${int(BURST)} due at one instant: reached the dialer${f.burstCreatedInTime ? '' : ' (created late!)'}`,
      value: `${int(lags.length)} / ${int(BURST)}`,
    },
    {
      figure: '  lag p50 / p99 / max (scheduled_at → dialer)',
      value: `${ms(percentile(lags, 50))} / ${ms(percentile(lags, 99))} / ${ms(lags.at(-1) ?? NaN)}`,
    },
    { figure: '  drain rate', value: `${int(f.drainPerSecond)}/s` },
    { figure: '  CRM read requests per fired callback', value: f.crmReadsPerCallback.toFixed(3) },
  ];
}

/** The JSON summary of one measurement. */
export function throughputSummary(f: ThroughputFigures): Record<string, number | boolean> {
  return {
    createsPerSecond: Math.round(f.createsPerSecond),
    createP99Ms: round1(percentile(f.createLatencies, 99)),
    burst: BURST,
    burstFired: f.fireLags.length,
    ...(f.burstCreatedInTime ? {} : { burstCreatedLate: true }),
    fireLagP50Ms: round1(percentile(f.fireLags, 50)),
    fireLagP99Ms: round1(percentile(f.fireLags, 99)),
    drainPerSecond: Math.round(f.drainPerSecond),
    crmReadsPerCallback: Number(f.crmReadsPerCallback.toFixed(3)),
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
