import {
  IN_FLIGHT,
  measureBurst,
  measureCreates,
  measureRequests,
  measureSteady,
  type BurstFigures,
  type CommandCounter,
  type RequestFigures,
  type SteadyFigures,
} from './measureThroughput.js';
import { NoopServer } from './NoopServer.js';
import { RawBullmq } from './RawBullmq.js';
import { StackFloorServer } from './StackFloorServer.js';
import { ApiClient, int, ms, percentile, progress, WORKER_CONCURRENCY } from './support.js';

const HOUR_MS = 3_600_000;

/** What the product is compared with: its floor, measured by the same code in the same run. */
export interface FloorFigures {
  /** A no-op node:http server driven by the product's API client with the same bodies. */
  noop: RequestFigures;
  /** Raw BullMQ `queue.add` of delayed jobs (due in an hour). */
  adds: RequestFigures;
  /** Raw BullMQ: due → processor start, worker concurrency 100 (issue 9's floor). */
  burst: BurstFigures;
  steady: SteadyFigures;
  /** The least any design on the product's stack pays (see StackFloorServer, RawBullmq's storeSteps). */
  design: {
    /** POST /calls: fastify, the product's validation, one BullMQ add. */
    creates: RequestFigures;
    /** Raw BullMQ whose processor makes an exactly-once fire step's three store round trips: due → their end. */
    burst: BurstFigures;
  };
}

/** The floor on `redisUrl` (its own queue prefix; the caller flushes before the product's turn). */
export async function measureFloor(redisUrl: string, commands: CommandCounter): Promise<FloorFigures> {
  const server = new NoopServer();
  await server.start();
  const client = new ApiClient(server.url, IN_FLIGHT);
  let noop: RequestFigures;
  try {
    noop = await measureCreates(client);
    progress(`no-op server: ${int(noop.perSecond)}/s`);
  } finally {
    client.close();
    await server.stop();
  }

  const raw = new RawBullmq(redisUrl, WORKER_CONCURRENCY);
  try {
    await raw.ready();
    const adds = await measureRequests(() => raw.add(new Date(Date.now() + HOUR_MS)), commands);
    progress(`raw queue.add: ${int(adds.perSecond)}/s`);
    const schedule = (_n: number, dueAt: Date) => raw.add(dueAt);
    const burst = await measureBurst(schedule, raw.stopwatch, commands);
    progress(`raw burst: lag p99 ${ms(percentile(burst.lags, 99))}, ${int(burst.drainPerSecond)}/s`);
    const steady = await measureSteady(schedule, raw.stopwatch, burst.schedulePerSecond);
    progress(`raw steady: lag p99 ${ms(percentile(steady.lags, 99))}`);
    return { noop, adds, burst, steady, design: await measureDesignFloor(redisUrl, commands) };
  } finally {
    await raw.close();
  }
}

/** The design floor on `redisUrl` (its own queue prefix). */
async function measureDesignFloor(redisUrl: string, commands: CommandCounter): Promise<FloorFigures['design']> {
  const raw = new RawBullmq(redisUrl, WORKER_CONCURRENCY, { prefix: 'bench-design', storeSteps: 3 });
  const server = new StackFloorServer((dueAt) => raw.add(dueAt));
  try {
    await Promise.all([raw.ready(), server.start()]);
    const client = new ApiClient(server.url, IN_FLIGHT);
    let creates: RequestFigures;
    try {
      creates = await measureCreates(client, commands);
    } finally {
      client.close();
    }
    progress(`design floor, creates: ${int(creates.perSecond)}/s`);
    const burst = await measureBurst((_n, dueAt) => raw.add(dueAt), raw.stopwatch, commands);
    progress(`design floor, burst: lag p99 ${ms(percentile(burst.lags, 99))}, ${int(burst.drainPerSecond)}/s`);
    return { creates, burst };
  } finally {
    await server.stop();
    await raw.close();
  }
}
