/**
 * The measuring code of the throughput and cluster modes, the same for the product and for its floor (raw
 * BullMQ, a no-op HTTP server): each phase takes what to send or schedule, and a stopwatch that sees the
 * fired jobs arrive.
 */
import type { InMemoryCrm } from '../test/support/InMemoryCrm.js';
import { BenchProduct } from './BenchProduct.js';
import type { LagStopwatch } from './LagStopwatch.js';
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
  type BenchRedisConfig,
  type Row,
} from './support.js';

export const IN_FLIGHT = envNumber('BENCH_CONCURRENCY', 64);
export const WARM_UP = envNumber('BENCH_WARMUP', 2_000);
export const CREATES = envNumber('BENCH_CREATES', 10_000);
export const BURST = envNumber('BENCH_BURST', 2_000);
/** Measured bursts a phase fires one after another (its figures are the median one's; see measureBurst). */
export const BURST_ROUNDS = envNumber('BENCH_BURST_ROUNDS', 3);
/** The ticket tags of the measured bursts (each burst its own records: the duplicate guard must not see the last). */
export const BURST_TAGS = ['B', 'D', 'E', 'F', 'G', 'H', 'J'].slice(0, Math.max(1, Math.min(7, BURST_ROUNDS)));
/** Fired before the measured bursts, so that every side's fire path runs warm (JIT), as its requests do. */
export const WARM_BURST = envNumber('BENCH_WARM_BURST', 500);
export const STEADY_PER_SECOND = envNumber('BENCH_STEADY_RATE', 200);
export const STEADY_SECONDS = envNumber('BENCH_STEADY_SECONDS', 10);
const HOUR_MS = 3_600_000;
/** A warm-up job is due this long after it is sent (a fresh process answers its first requests slowly). */
const WARM_DUE_MS = 2_000;
/** After the last event of a phase: the work that follows it (job completion, the call's last transition). */
const SETTLE_MS = 250;

/** Redis commands served so far, by name (BenchRedis.commandsByName); absent where a mode asks its servers itself. */
export type CommandCounter = () => Promise<Map<string, number>>;

/** One request or one scheduled job of a phase; `tag` tells the phases apart (ticket prefix, say). */
export type Send = (n: number, tag: string) => Promise<void>;
export type Schedule = (n: number, dueAt: Date, tag: string) => Promise<void>;

/** What a phase cost, per request or per fired job. */
export interface PhaseCost {
  /** CPU time of this process (user + system): the product or the floor runs in the bench's process. */
  cpuMsEach: number;
  /** INFO commandstats after minus before; null without a counter. */
  commandsEach: number | null;
  /** The commands behind commandsEach, most first. */
  topCommands: Array<[name: string, each: number]>;
}

export interface RequestFigures {
  perSecond: number;
  /** Sorted, ms. */
  latencies: number[];
  cost: PhaseCost;
}

export interface BurstFigures {
  /** Whether the whole burst was scheduled before it was due (otherwise its lags include the late ones). */
  createdInTime: boolean;
  /** Sorted, ms: due → the stopwatch, one per fired job. */
  lags: number[];
  drainPerSecond: number;
  /** Jobs scheduled per second during the warm-up (sets how far ahead the burst is due). */
  schedulePerSecond: number;
  /** From the due instant until the last fired job has settled. */
  cost: PhaseCost;
}

export interface SteadyFigures {
  due: number;
  createdInTime: boolean;
  /** Sorted, ms. */
  lags: number[];
}

/** WARM_UP requests, then CREATES timed ones, IN_FLIGHT at a time: rate, latency, cost. */
export async function measureRequests(send: Send, commands?: CommandCounter): Promise<RequestFigures> {
  await runInFlight(WARM_UP, IN_FLIGHT, (n) => send(n, 'W'));
  const latencies: number[] = [];
  const finish = await startCosting(commands);
  const started = performance.now();
  await runInFlight(CREATES, IN_FLIGHT, async (n) => {
    const t = performance.now();
    await send(n, 'C');
    latencies.push(performance.now() - t);
  });
  const perSecond = CREATES / ((performance.now() - started) / 1000);
  return { perSecond, latencies: latencies.sort((a, b) => a - b), cost: await finish(CREATES) };
}

/** POST /calls bodies, due in an hour, through `client`: the one client for the product and the no-op server. */
export function measureCreates(client: ApiClient, commands?: CommandCounter): Promise<RequestFigures> {
  const later = new Date(Date.now() + HOUR_MS);
  return measureRequests((n, tag) => client.create(createBody(n, later, tag)), commands);
}

/**
 * WARM_BURST jobs each due shortly after it is scheduled (warm-up), then BURST_ROUNDS bursts of BURST jobs, each
 * due at one instant far enough ahead for all of its jobs to be scheduled first: due → stopwatch for each. One
 * burst's p99 moves by a fifth from run to run on a shared machine, so the figures are those of the median burst
 * by p99; the cost is over every measured burst. Tags: `V` warm-up, BURST_TAGS the bursts.
 */
export async function measureBurst(schedule: Schedule, stopwatch: LagStopwatch, commands?: CommandCounter): Promise<BurstFigures> {
  const warmStarted = performance.now();
  await runInFlight(WARM_BURST, IN_FLIGHT, (n) => schedule(n, new Date(Date.now() + WARM_DUE_MS), 'V'));
  const schedulePerSecond = WARM_BURST / ((performance.now() - warmStarted) / 1000);
  await waitForFired(stopwatch, WARM_BURST, Date.now() + 60_000);
  await sleep(SETTLE_MS);

  const rounds: Array<Omit<BurstFigures, 'cost' | 'schedulePerSecond'> & { cost: PhaseCost; items: number }> = [];
  for (const tag of BURST_TAGS) {
    stopwatch.reset();
    const dueAt = Date.now() + leadMs(BURST, schedulePerSecond);
    await runInFlight(BURST, IN_FLIGHT, (n) => schedule(n, new Date(dueAt), tag));
    const createdInTime = Date.now() < dueAt;
    await sleep(dueAt - Date.now());
    const finish = await startCosting(commands);
    await waitForFired(stopwatch, BURST, dueAt + 60_000);
    await sleep(SETTLE_MS);
    const lags = [...stopwatch.lagsMs].sort((a, b) => a - b);
    const drainPerSecond = lags.length / Math.max(0.001, (stopwatch.lastAt - dueAt) / 1000);
    rounds.push({ createdInTime, lags, drainPerSecond, cost: await finish(lags.length), items: lags.length });
  }
  const median = [...rounds].sort((a, b) => percentile(a.lags, 99) - percentile(b.lags, 99))[Math.floor(rounds.length / 2)]!;
  return {
    createdInTime: rounds.every((r) => r.createdInTime),
    lags: median.lags,
    drainPerSecond: median.drainPerSecond,
    schedulePerSecond,
    cost: combineCosts(rounds),
  };
}

/** The cost of several phases as one: totals over total items. */
function combineCosts(phases: Array<{ cost: PhaseCost; items: number }>): PhaseCost {
  const items = Math.max(
    1,
    phases.reduce((total, p) => total + p.items, 0),
  );
  const weighted = (each: (p: { cost: PhaseCost; items: number }) => number) =>
    phases.reduce((total, p) => total + each(p) * Math.max(1, p.items), 0) / items;
  const byName = new Map<string, number>();
  for (const p of phases) for (const [name, n] of p.cost.topCommands) byName.set(name, (byName.get(name) ?? 0) + n * Math.max(1, p.items));
  const counted = phases.every((p) => p.cost.commandsEach !== null);
  return {
    cpuMsEach: weighted((p) => p.cost.cpuMsEach),
    commandsEach: counted ? weighted((p) => p.cost.commandsEach!) : null,
    topCommands: counted ? [...byName].map(([name, n]): [string, number] => [name, n / items]).sort((a, b) => b[1] - a[1]) : [],
  };
}

/**
 * STEADY_PER_SECOND jobs due per second for STEADY_SECONDS, all scheduled before the first is due (at the
 * rate `schedulePerSecond` the burst saw): due → stopwatch for each. Tag `S`.
 */
export async function measureSteady(schedule: Schedule, stopwatch: LagStopwatch, schedulePerSecond: number): Promise<SteadyFigures> {
  const due = STEADY_PER_SECOND * STEADY_SECONDS;
  stopwatch.reset();
  const start = Date.now() + leadMs(due, schedulePerSecond);
  await runInFlight(due, IN_FLIGHT, (n) => schedule(n, new Date(start + Math.round((n * 1000) / STEADY_PER_SECOND)), 'S'));
  const createdInTime = Date.now() < start;
  await waitForFired(stopwatch, due, start + STEADY_SECONDS * 1000 + 30_000);
  return { due, createdInTime, lags: [...stopwatch.lagsMs].sort((a, b) => a - b) };
}

/** How far ahead to schedule `count` jobs: a second plus 1.5 × the time scheduling them takes. */
const leadMs = (count: number, perSecond: number) => 1000 + Math.ceil((1.5 * count * 1000) / perSecond);

async function waitForFired(stopwatch: LagStopwatch, count: number, deadline: number): Promise<void> {
  while (stopwatch.lagsMs.length < count && Date.now() < deadline) await sleep(50);
}

/** Starts counting CPU time and Redis commands; the returned function stops and divides by the items done. */
async function startCosting(commands?: CommandCounter): Promise<(items: number) => Promise<PhaseCost>> {
  const before = await commands?.();
  const cpu = process.cpuUsage();
  return async (items) => {
    const used = process.cpuUsage(cpu);
    const after = await commands?.();
    const each = Math.max(1, items);
    const cpuMsEach = (used.user + used.system) / 1000 / each;
    if (!before || !after) return { cpuMsEach, commandsEach: null, topCommands: [] };
    const delta = [...after].map(([name, calls]): [string, number] => [name, (calls - (before.get(name) ?? 0)) / each]);
    const commandsEach = delta.reduce((total, [, n]) => total + n, 0);
    return { cpuMsEach, commandsEach, topCommands: delta.filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]) };
  };
}

/** What one product process on one Redis setup achieved (the throughput and cluster modes' figures). */
export interface ThroughputFigures {
  creates: RequestFigures;
  burst: BurstFigures;
  /** CRM read requests per fired callback of the burst. */
  crmReadsPerCallback: number;
  steady?: SteadyFigures;
}

/**
 * One process running API and worker on `redis` (a URL or a cluster section), an in-memory Zendesk stand-in
 * (every fired callback looks its record up), then closed:
 * 1. POST /calls with IN_FLIGHT requests in flight over keep-alive, after a warm-up: rate and latency;
 * 2. BURST callbacks due at one instant: scheduled_at → dialer receives it;
 * 3. with `steady`, STEADY_PER_SECOND callbacks due per second: scheduled_at → dialer.
 * `commands` adds Redis commands per create and per fired callback. The caller gives it an empty store.
 */
export async function measureThroughput(
  redis: BenchRedisConfig,
  options: { commands?: CommandCounter; steady?: boolean; crm?: InMemoryCrm } = {},
): Promise<ThroughputFigures> {
  const product = await BenchProduct.start(redis, IN_FLIGHT, options.crm);
  try {
    const creates = await measureCreates(product.client, options.commands);
    progress(`creates: ${int(creates.perSecond)}/s`);
    const figures = await measureProductBurst(product, options.commands);
    if (!options.steady) return { creates, ...figures };
    const steady = await measureSteady(product.schedule, product.dialer, figures.burst.schedulePerSecond);
    progress(`steady: lag p99 ${ms(percentile(steady.lags, 99))}`);
    return { creates, ...figures, steady };
  } finally {
    await product.close();
  }
}

/** Only the burst, on a product process of its own (the slow-CRM figures): `crm` answers as it likes. */
export async function measureBurstOnly(
  redis: BenchRedisConfig,
  crm: InMemoryCrm,
  commands?: CommandCounter,
): Promise<Pick<ThroughputFigures, 'burst' | 'crmReadsPerCallback'>> {
  const product = await BenchProduct.start(redis, IN_FLIGHT, crm);
  try {
    return await measureProductBurst(product, commands);
  } finally {
    await product.close();
  }
}

async function measureProductBurst(
  product: BenchProduct,
  commands?: CommandCounter,
): Promise<Pick<ThroughputFigures, 'burst' | 'crmReadsPerCallback'>> {
  const burst = await measureBurst(product.schedule, product.dialer, commands);
  progress(`burst: ${int(burst.lags.length)} / ${int(BURST)} reached the dialer, ${int(burst.drainPerSecond)}/s`);
  const reads = BURST_TAGS.reduce((total, tag) => total + product.crmReadsFor(tag), 0);
  return { burst, crmReadsPerCallback: reads / (BURST * BURST_TAGS.length) };
}

/** p50 / p99 / max of sorted lags or latencies. */
export const spread = (sorted: number[]) => `${ms(percentile(sorted, 50))} / ${ms(percentile(sorted, 99))} / ${ms(sorted.at(-1) ?? NaN)}`;

/** Rows of a request phase (POST /calls to the product or the no-op server, raw queue.add). */
export function requestRows(label: string, f: RequestFigures, each: string): Row[] {
  return [
    { figure: `${label}, ${IN_FLIGHT} in flight (${int(CREATES)} after ${int(WARM_UP)} warm-up)`, value: `${int(f.perSecond)}/s` },
    { figure: '  latency p50 / p99 / max', value: spread(f.latencies) },
    ...costRows(f.cost, each),
  ];
}

/** Rows of a burst phase; `until` names where its lag ends (the dialer, the processor start). */
export function burstRows(label: string, f: BurstFigures, until: string, each: string): Row[] {
  return [
    {
      figure: `${label}: burst of ${int(BURST)} due at one instant (median of ${BURST_TAGS.length} by p99), fired${f.createdInTime ? '' : ' (scheduled late!)'}`,
      value: `${int(f.lags.length)} / ${int(BURST)}`,
    },
    { figure: `  lag p50 / p99 / max (due → ${until})`, value: spread(f.lags) },
    { figure: '  drain rate', value: `${int(f.drainPerSecond)}/s` },
    ...costRows(f.cost, each),
  ];
}

export function steadyRows(label: string, f: SteadyFigures): Row[] {
  return [
    {
      figure: `${label}: ${int(STEADY_PER_SECOND)} due per second for ${STEADY_SECONDS} s, lag p50 / p99 / max${f.createdInTime ? '' : ' (scheduled late!)'}`,
      value: `${spread(f.lags)} (${int(f.lags.length)} / ${int(f.due)} fired)`,
    },
  ];
}

function costRows(cost: PhaseCost, each: string): Row[] {
  const top = cost.topCommands
    .slice(0, 5)
    .map(([name, n]) => `${name} ${n.toFixed(1)}`)
    .join(' · ');
  return [
    ...(cost.commandsEach === null ? [] : [{ figure: `  Redis commands per ${each}`, value: `${cost.commandsEach.toFixed(1)} (${top})` }]),
    { figure: `  CPU per ${each} (bench process)`, value: `${cost.cpuMsEach.toFixed(3)} ms` },
  ];
}

/** The JSON summary of one product measurement. */
export function throughputSummary(f: ThroughputFigures): Record<string, number | boolean> {
  return {
    createsPerSecond: Math.round(f.creates.perSecond),
    createP99Ms: round1(percentile(f.creates.latencies, 99)),
    ...costSummary(f.creates.cost, 'Create'),
    burst: BURST,
    burstFired: f.burst.lags.length,
    ...(f.burst.createdInTime ? {} : { burstCreatedLate: true }),
    fireLagP50Ms: round1(percentile(f.burst.lags, 50)),
    fireLagP99Ms: round1(percentile(f.burst.lags, 99)),
    drainPerSecond: Math.round(f.burst.drainPerSecond),
    ...costSummary(f.burst.cost, 'Callback'),
    crmReadsPerCallback: Number(f.crmReadsPerCallback.toFixed(3)),
    ...(f.steady ? steadySummary(f.steady) : {}),
  };
}

export function costSummary(cost: PhaseCost, each: string): Record<string, number> {
  return {
    ...(cost.commandsEach === null ? {} : { [`commandsPer${each}`]: round1(cost.commandsEach) }),
    [`cpuMsPer${each}`]: Number(cost.cpuMsEach.toFixed(3)),
  };
}

export function steadySummary(f: SteadyFigures): Record<string, number | boolean> {
  return {
    steadyPerSecond: STEADY_PER_SECOND,
    steadyFired: f.lags.length,
    ...(f.createdInTime ? {} : { steadyCreatedLate: true }),
    steadyLagP99Ms: round1(percentile(f.lags, 99)),
  };
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
