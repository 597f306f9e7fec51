import {
  envNumber,
  int,
  populateThroughApi,
  progress,
  sleep,
  splitRows,
  verdict,
  type BenchMode,
  type BenchRedis,
  type ModeResult,
} from './support.js';

const CALLBACKS = envNumber('BENCH_MEMORY_CALLBACKS', 100_000);
/** SPEC 10: at most 1.5 KB of used_memory per scheduled callback, everything counted. */
const TARGET_BYTES = 1536;
const DAY_MS = 86_400_000;

/**
 * Redis used_memory growth per scheduled callback over CALLBACKS created through the API (provider `none`,
 * each with its own ticket, due in 30 days so nothing fires). Measured with no client connected before and
 * after, so connection buffers are left out; then where the bytes go, by key pattern.
 */
async function run(redis: BenchRedis): Promise<ModeResult> {
  await redis.flush();
  await sleep(500);
  const before = await redis.usedMemory();
  const keysBefore = await redis.keyCount();
  const createsPerSecond = await populateThroughApi(redis, CALLBACKS, 30 * DAY_MS);
  await sleep(2000); // let Redis shrink its buffers (hz 100)
  const growth = (await redis.usedMemory()) - before;
  const keysPerCallback = ((await redis.keyCount()) - keysBefore) / CALLBACKS;
  progress('measuring MEMORY USAGE by key pattern');
  const split = await redis.keySplit();

  const bytesPerCallback = growth / CALLBACKS;
  return {
    rows: [
      { figure: `${int(CALLBACKS)} callbacks created through the API`, value: `${int(createsPerSecond)}/s` },
      { figure: 'used_memory growth', value: `${(growth / 2 ** 20).toFixed(1)} MiB` },
      {
        figure: 'used_memory per scheduled callback',
        value: `${int(bytesPerCallback)} B`,
        target: `≤ ${int(TARGET_BYTES)} B`,
        verdict: verdict(bytesPerCallback <= TARGET_BYTES),
      },
      { figure: 'keys per callback', value: keysPerCallback.toFixed(2) },
      ...splitRows(split, growth, CALLBACKS),
    ],
    summary: {
      callbacks: CALLBACKS,
      bytesPerCallback: Math.round(bytesPerCallback),
      pass: bytesPerCallback <= TARGET_BYTES,
      keysPerCallback: Number(keysPerCallback.toFixed(2)),
      split: Object.fromEntries(split.map((g) => [g.pattern, Math.round(g.bytes / CALLBACKS)])),
    },
  };
}

export const memoryMode: BenchMode = { name: 'memory', quick: true, run };
