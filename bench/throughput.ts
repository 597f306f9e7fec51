import { decideOnFire } from '../src/policy/decideOnFire.js';
import { measureThroughput, throughputRows, throughputSummary } from './measureThroughput.js';
import type { BenchMode, BenchRedis, ModeResult } from './support.js';

/**
 * On the bench's Redis (shards 1): POST /calls rate and latency, and the fire lag of a burst due at one instant
 * (measureThroughput.ts, where its BENCH_* sizes are); then the pure decision (decideOnFire) per second.
 */
async function run(redis: BenchRedis): Promise<ModeResult> {
  await redis.flush();
  const figures = await measureThroughput(redis.url);
  const decisionsPerSecond = decisionRate();
  return {
    rows: [...throughputRows(figures), { figure: 'decideOnFire (pure policy)', value: `${(decisionsPerSecond / 1e6).toFixed(1)} M/s` }],
    summary: throughputSummary(figures),
  };
}

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
