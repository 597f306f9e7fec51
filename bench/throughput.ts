import { decideOnFire } from '../src/policy/decideOnFire.js';
import { LateCrm } from './LateCrm.js';
import { measureFloor, type FloorFigures } from './measureFloor.js';
import {
  BURST,
  burstRows,
  costSummary,
  measureBurstOnly,
  measureThroughput,
  requestRows,
  round1,
  STEADY_PER_SECOND,
  steadyRows,
  steadySummary,
  throughputSummary,
  type ThroughputFigures,
} from './measureThroughput.js';
import {
  envNumber,
  int,
  ms,
  percentile,
  progress,
  verdict,
  type BenchMode,
  type BenchRedis,
  type ModeResult,
  type Row,
} from './support.js';

/** Issue 9: every CRM request this late in the slow-CRM burst. */
const CRM_DELAY_MS = envNumber('BENCH_CRM_DELAY_MS', 50);
/** Issue 9's targets: reported, not yet enforced (see targetRows). */
const TARGETS = { burstP99Ratio: 1.5, lateCrmDrainPerSecond: 2_000, lateCrmReadsPerCallback: 0.05, steadyLagP99Ms: 20, createsVsNoop: 0.5 };

type SlowCrmFigures = Pick<ThroughputFigures, 'burst' | 'crmReadsPerCallback'>;

/**
 * The product next to its floor, on the bench's Redis (shards 1), each side measured by the same code
 * (measureThroughput.ts) with the same warm-up:
 * - floor: a no-op node:http server driven by the product's API client; raw BullMQ `queue.add`, a raw burst due at
 *   one instant and a raw steady stream (due → processor start, worker concurrency 100);
 * - design floor: the least any design on this stack pays (StackFloorServer; RawBullmq with the three store round
 *   trips of an exactly-once fire step), with issue 9's ratios (1) and (4) for it and the product's distance from it;
 * - product: POST /calls, a burst due at one instant and a steady stream (scheduled_at → dialer), an in-memory
 *   Zendesk stand-in answering at once; then a burst on a fresh process whose CRM answers CRM_DELAY_MS late;
 * - Redis commands (INFO commandstats) and CPU time of the bench process, per create and per fired callback;
 * - issue 9's four targets, report-only; and the pure decision (decideOnFire) per second.
 * The floor goes first, so the libraries both sides share (ioredis, BullMQ, node:http) are warm for the product.
 */
async function run(redis: BenchRedis): Promise<ModeResult> {
  const commands = () => redis.commandsByName();
  await redis.flush();
  progress('floor: no-op HTTP server, raw BullMQ');
  const floor = await measureFloor(redis.url, commands);
  await redis.flush();
  progress('product, CRM answering at once');
  const product = await measureThroughput(redis.url, { commands, steady: true });
  await redis.flush();
  progress(`product, every CRM request ${CRM_DELAY_MS} ms late`);
  const slowCrm = await measureBurstOnly(redis.url, new LateCrm(CRM_DELAY_MS), commands);
  const decisionsPerSecond = decisionRate();
  const callback = 'fired callback';
  return {
    rows: [
      ...requestRows('product: POST /calls, keep-alive', product.creates, 'create'),
      ...burstRows('product', product.burst, 'dialer', callback),
      { figure: '  CRM read requests per fired callback', value: product.crmReadsPerCallback.toFixed(3) },
      ...steadyRows('product', product.steady!),
      ...burstRows(`product, CRM ${CRM_DELAY_MS} ms late`, slowCrm.burst, 'dialer', callback),
      { figure: '  CRM read requests per fired callback', value: slowCrm.crmReadsPerCallback.toFixed(3) },
      ...requestRows('floor: no-op HTTP server (201 {}), same client', floor.noop, 'request'),
      ...requestRows('floor: raw BullMQ queue.add, delayed', floor.adds, 'add'),
      ...burstRows('floor: raw BullMQ, worker concurrency 100', floor.burst, 'processor start', 'job'),
      ...steadyRows('floor: raw BullMQ', floor.steady),
      ...requestRows("design floor: fastify + the product's validation + one BullMQ add", floor.design.creates, 'request'),
      ...burstRows('design floor: raw BullMQ + 3 store round trips a job', floor.design.burst, 'its 3rd round trip', 'job'),
      ...targetRows(product, slowCrm, floor),
      ...designFloorRows(product, floor),
      { figure: 'decideOnFire (pure policy)', value: `${(decisionsPerSecond / 1e6).toFixed(1)} M/s` },
    ],
    notes: [
      'CPU per create / request / add / fired callback / job is process.cpuUsage() of the bench process over that phase ' +
        '(the creates; a burst from its due instant until its last job settled), divided by the items: the product runs ' +
        'in-process, so its figure includes the stand-in CRM and dialer and the API client; the floor is measured the same way.',
      'lag ends at the dialer for the product (scheduled_at → StopwatchDialer.offer) and at the processor start for raw BullMQ.',
      'Redis commands are INFO commandstats after minus before the same phases; like INFO, they count the commands run inside ' +
        'Lua scripts too (evalsha is one round trip).',
      "the design floor is the least any design on the product's stack pays, with none of the product's own work: for a create, " +
        "fastify, the product's validation (zod, libphonenumber) and one BullMQ add (no auth, store, guard, log); for a fired " +
        'callback, raw BullMQ plus the three store round trips an exactly-once fire step needs in turn (read the call, store ' +
        'the decision with `firing`, store `queued`), each a small Lua step on a call document. Where it misses a target of ' +
        'issue 9 itself, no product on this stack can meet that target on this machine.',
    ],
    summary: {
      ...throughputSummary(product),
      slowCrm: {
        crmDelayMs: CRM_DELAY_MS,
        burstFired: slowCrm.burst.lags.length,
        fireLagP99Ms: round1(percentile(slowCrm.burst.lags, 99)),
        drainPerSecond: Math.round(slowCrm.burst.drainPerSecond),
        crmReadsPerCallback: Number(slowCrm.crmReadsPerCallback.toFixed(3)),
      },
      floor: {
        noopPerSecond: Math.round(floor.noop.perSecond),
        noopP99Ms: round1(percentile(floor.noop.latencies, 99)),
        addsPerSecond: Math.round(floor.adds.perSecond),
        ...costSummary(floor.adds.cost, 'Add'),
        burstFired: floor.burst.lags.length,
        fireLagP50Ms: round1(percentile(floor.burst.lags, 50)),
        fireLagP99Ms: round1(percentile(floor.burst.lags, 99)),
        drainPerSecond: Math.round(floor.burst.drainPerSecond),
        ...costSummary(floor.burst.cost, 'Job'),
        ...steadySummary(floor.steady),
        design: {
          createsPerSecond: Math.round(floor.design.creates.perSecond),
          ...costSummary(floor.design.creates.cost, 'Create'),
          fireLagP99Ms: round1(percentile(floor.design.burst.lags, 99)),
          drainPerSecond: Math.round(floor.design.burst.drainPerSecond),
          ...costSummary(floor.design.burst.cost, 'Job'),
          burstP99Ratio: Number(designRatios(product, floor).burstFloorVsRaw.toFixed(2)),
          createsVsNoop: Number(designRatios(product, floor).createsFloorVsNoop.toFixed(2)),
        },
      },
      issue9: targetSummary(product, slowCrm, floor),
    },
  };
}

interface Verdicts {
  figures: {
    burstP99Ratio: number;
    lateCrmDrainPerSecond: number;
    lateCrmReadsPerCallback: number;
    steadyLagP99Ms: number;
    createsVsNoop: number;
  };
  pass: { burst: boolean; slowCrm: boolean; steady: boolean; creates: boolean };
}

/** A target on a phase that did not fire everything fails, whatever its percentiles say. */
function verdicts(product: ThroughputFigures, slowCrm: SlowCrmFigures, floor: FloorFigures): Verdicts {
  const steady = product.steady!;
  const figures = {
    burstP99Ratio: percentile(product.burst.lags, 99) / percentile(floor.burst.lags, 99),
    lateCrmDrainPerSecond: slowCrm.burst.drainPerSecond,
    lateCrmReadsPerCallback: slowCrm.crmReadsPerCallback,
    steadyLagP99Ms: percentile(steady.lags, 99),
    createsVsNoop: product.creates.perSecond / floor.noop.perSecond,
  };
  const complete = (lags: number[], due: number) => lags.length === due;
  return {
    figures,
    pass: {
      burst: complete(product.burst.lags, BURST) && complete(floor.burst.lags, BURST) && figures.burstP99Ratio <= TARGETS.burstP99Ratio,
      slowCrm:
        complete(slowCrm.burst.lags, BURST) &&
        figures.lateCrmDrainPerSecond >= TARGETS.lateCrmDrainPerSecond &&
        figures.lateCrmReadsPerCallback <= TARGETS.lateCrmReadsPerCallback,
      steady: complete(steady.lags, steady.due) && figures.steadyLagP99Ms <= TARGETS.steadyLagP99Ms,
      creates: figures.createsVsNoop >= TARGETS.createsVsNoop,
    },
  };
}

/** Issue 9's targets, report-only for now: run.ts leaves their FAIL out of the exit code and says so. */
function targetRows(product: ThroughputFigures, slowCrm: SlowCrmFigures, floor: FloorFigures): Row[] {
  const { figures: f, pass } = verdicts(product, slowCrm, floor);
  const p99 = (lags: number[]) => ms(percentile(lags, 99));
  return [
    {
      figure: `issue 9 (1): burst of ${int(BURST)}, lag p99 product ÷ raw BullMQ`,
      value: `${p99(product.burst.lags)} ÷ ${p99(floor.burst.lags)} = ${f.burstP99Ratio.toFixed(2)}×`,
      target: `≤ ${TARGETS.burstP99Ratio.toFixed(2)}×`,
      verdict: verdict(pass.burst),
    },
    {
      figure: `issue 9 (2): CRM ${CRM_DELAY_MS} ms late, dialled per second · CRM reads per callback`,
      value: `${int(f.lateCrmDrainPerSecond)}/s · ${f.lateCrmReadsPerCallback.toFixed(3)}`,
      target: `≥ ${int(TARGETS.lateCrmDrainPerSecond)}/s · ≤ ${TARGETS.lateCrmReadsPerCallback}`,
      verdict: verdict(pass.slowCrm),
    },
    {
      figure: `issue 9 (3): steady ${int(STEADY_PER_SECOND)} due per second, lag p99`,
      value: ms(f.steadyLagP99Ms),
      target: `≤ ${TARGETS.steadyLagP99Ms} ms`,
      verdict: verdict(pass.steady),
    },
    {
      figure: 'issue 9 (4): POST /calls per second, product ÷ no-op server',
      value: `${int(product.creates.perSecond)} ÷ ${int(floor.noop.perSecond)} = ${f.createsVsNoop.toFixed(2)}×`,
      target: `≥ ${TARGETS.createsVsNoop}×`,
      verdict: verdict(pass.creates),
    },
  ].map((row) => ({ ...row, reportOnly: true }));
}

/** The design floor against issue 9's own floor, and the product against the design floor. */
function designRatios(product: ThroughputFigures, floor: FloorFigures) {
  const p99 = (lags: number[]) => percentile(lags, 99);
  return {
    burstFloorVsRaw: p99(floor.design.burst.lags) / p99(floor.burst.lags),
    burstProductVsFloor: p99(product.burst.lags) / p99(floor.design.burst.lags),
    createsFloorVsNoop: floor.design.creates.perSecond / floor.noop.perSecond,
    createsProductVsFloor: product.creates.perSecond / floor.design.creates.perSecond,
  };
}

/** Where issue 9's targets (1) and (4) stand for the design floor itself, and how far the product is from it. */
function designFloorRows(product: ThroughputFigures, floor: FloorFigures): Row[] {
  const r = designRatios(product, floor);
  const p99 = (lags: number[]) => ms(percentile(lags, 99));
  return [
    {
      figure: 'issue 9 (1) for the design floor: its burst lag p99 ÷ raw BullMQ',
      value: `${p99(floor.design.burst.lags)} ÷ ${p99(floor.burst.lags)} = ${r.burstFloorVsRaw.toFixed(2)}×`,
      target: `≤ ${TARGETS.burstP99Ratio.toFixed(2)}×`,
    },
    { figure: '  product ÷ design floor, burst lag p99', value: `${r.burstProductVsFloor.toFixed(2)}×` },
    {
      figure: 'issue 9 (4) for the design floor: its POST /calls per second ÷ no-op server',
      value: `${int(floor.design.creates.perSecond)} ÷ ${int(floor.noop.perSecond)} = ${r.createsFloorVsNoop.toFixed(2)}×`,
      target: `≥ ${TARGETS.createsVsNoop}×`,
    },
    { figure: '  product ÷ design floor, POST /calls per second', value: `${r.createsProductVsFloor.toFixed(2)}×` },
  ];
}

function targetSummary(product: ThroughputFigures, slowCrm: SlowCrmFigures, floor: FloorFigures): Record<string, unknown> {
  const { figures, pass } = verdicts(product, slowCrm, floor);
  return {
    reportOnly: true,
    burstP99Ratio: Number(figures.burstP99Ratio.toFixed(2)),
    lateCrmDrainPerSecond: Math.round(figures.lateCrmDrainPerSecond),
    lateCrmReadsPerCallback: Number(figures.lateCrmReadsPerCallback.toFixed(3)),
    steadyLagP99Ms: round1(figures.steadyLagP99Ms),
    createsVsNoop: Number(figures.createsVsNoop.toFixed(2)),
    pass,
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
