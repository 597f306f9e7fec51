import { createDirect } from './createDirect.js';
import {
  createBody,
  envNumber,
  int,
  progress,
  runInFlight,
  sleep,
  splitRows,
  startProduct,
  type BenchMode,
  type BenchRedis,
  type ModeResult,
} from './support.js';

const CALLBACKS = envNumber('BENCH_MILLION_CALLBACKS', 1_000_000);
/** Stops creating after this long and projects to CALLBACKS from what was created. */
const TIME_BUDGET_S = envNumber('BENCH_MILLION_SECONDS', 900);
const IN_FLIGHT = envNumber('BENCH_MILLION_CONCURRENCY', 256);
const DAY_MS = 86_400_000;
const MIB = 2 ** 20;

/**
 * SPEC 10: 1,000,000 scheduled callbacks fit in one Redis. Created through the product's own create path
 * without HTTP (createDirect), provider `none`, each with its own ticket, due within the next weeks.
 */
async function run(redis: BenchRedis): Promise<ModeResult> {
  await redis.flush();
  await sleep(500);
  const before = await redis.usedMemory();
  const app = await startProduct(redis.url, { api: false, worker: false });
  while (app.services.redis.status !== 'ready') await sleep(20); // no role waits for it here (the API role would)
  const base = Date.now() + 30 * DAY_MS;
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;
  const step = Math.max(1, Math.floor(CALLBACKS / 20));
  let created = 0;
  try {
    await runInFlight(
      CALLBACKS,
      IN_FLIGHT,
      async (n) => {
        await createDirect(app.services, createBody(n, new Date(base + (n % 1_000_000) * 1000)));
        created += 1;
        if (created % step === 0) {
          const line = `${int(created)} created in ${elapsedS().toFixed(0)} s (${int(created / elapsedS())}/s)`;
          progress(`${line}, used_memory ${((await redis.usedMemory()) / MIB).toFixed(0)} MiB`);
        }
      },
      () => elapsedS() > TIME_BUDGET_S,
    );
  } finally {
    await app.close();
  }
  const seconds = elapsedS();
  await sleep(2000);
  const after = await redis.usedMemory();
  const perCallback = (after - before) / created;
  progress('measuring MEMORY USAGE by key pattern');
  const split = await redis.keySplit();
  const complete = created >= CALLBACKS;
  return {
    rows: [
      {
        figure: `scheduled callbacks created (createDirect, ${IN_FLIGHT} in flight)`,
        value: `${int(created)} in ${seconds.toFixed(0)} s (${int(created / seconds)}/s)${complete ? '' : `, stopped at the ${TIME_BUDGET_S} s budget`}`,
      },
      { figure: 'used_memory total', value: `${(after / MIB).toFixed(0)} MiB` },
      { figure: 'used_memory per scheduled callback', value: `${int(perCallback)} B` },
      ...(complete
        ? []
        : [{ figure: `projected for ${int(CALLBACKS)}`, value: `${((before + perCallback * CALLBACKS) / MIB).toFixed(0)} MiB` }]),
      ...splitRows(split, after - before, created),
    ],
    summary: {
      callbacks: created,
      complete,
      usedMemoryMiB: Math.round(after / MIB),
      bytesPerCallback: Math.round(perCallback),
      ...(complete ? {} : { projectedMiB: Math.round((before + perCallback * CALLBACKS) / MIB) }),
    },
  };
}

export const millionMode: BenchMode = { name: 'million', quick: false, run };
