import {
  envNumber,
  int,
  populateThroughApi,
  progress,
  sleep,
  startProduct,
  verdict,
  type BenchMode,
  type BenchRedis,
  type ModeResult,
  type Row,
} from './support.js';

const BACKLOGS = [envNumber('BENCH_HOUSEKEEPING_SMALL', 1_000), envNumber('BENCH_HOUSEKEEPING_LARGE', 100_000)] as const;
/** After /healthz turns 200; SPEC 10 counts start-up and the first minute, so only ≥ 60 s gets a verdict. */
const WINDOW_S = envNumber('BENCH_HOUSEKEEPING_SECONDS', 60);
const MAX_DIFFERENCE = 0.2;
const DAY_MS = 86_400_000;

/**
 * Redis commands per minute of an idle worker process (startApp with worker only, its health server on) over
 * its start-up and the first WINDOW_S seconds after /healthz answers 200, with a small and a large backlog of
 * scheduled callbacks (created through the API, due in 30 days). SPEC 10: the two rates differ by < 20%.
 */
async function run(redis: BenchRedis): Promise<ModeResult> {
  const rates: number[] = [];
  const rows: Row[] = [];
  for (const backlog of BACKLOGS) {
    await redis.flush();
    await populateThroughApi(redis, backlog, 30 * DAY_MS);
    await sleep(1000);
    progress(`idle worker with ${int(backlog)} scheduled: measuring for ${WINDOW_S} s after /healthz`);
    const { commands, minutes } = await measureIdleWorker(redis);
    rates.push(commands / minutes);
    rows.push({
      figure: `idle worker, ${int(backlog)} scheduled: Redis commands per minute`,
      value: `${int(commands / minutes)} (${int(commands)} in ${(minutes * 60).toFixed(0)} s)`,
    });
  }
  const [small, large] = rates as [number, number];
  const ratio = large / small;
  const ok = Math.abs(ratio - 1) < MAX_DIFFERENCE;
  rows.push({
    figure: `ratio ${int(BACKLOGS[1])} / ${int(BACKLOGS[0])} scheduled`,
    value: `${ratio.toFixed(2)}×`,
    target: '0.80–1.20×, window ≥ 60 s',
    ...(WINDOW_S >= 60 ? { verdict: verdict(ok) } : {}),
  });
  return {
    rows,
    summary: {
      windowSeconds: WINDOW_S,
      commandsPerMinute: Object.fromEntries(BACKLOGS.map((b, i) => [b, Math.round(rates[i]!)])),
      ratio: Number(ratio.toFixed(2)),
      ...(WINDOW_S >= 60 ? { pass: ok } : {}),
    },
  };
}

/** Every Redis command from the worker's start until WINDOW_S seconds after its /healthz first answers 200. */
async function measureIdleWorker(redis: BenchRedis): Promise<{ commands: number; minutes: number }> {
  await redis.resetStats();
  const started = performance.now();
  const worker = await startProduct(redis.url, { api: false, worker: true }, { worker: { healthPort: 0 } });
  try {
    while ((await fetch(`${worker.url}/healthz`)).status !== 200) await sleep(100);
    await sleep(WINDOW_S * 1000);
    const commands = await redis.commandCalls();
    return { commands, minutes: (performance.now() - started) / 60_000 };
  } finally {
    await worker.close();
  }
}

export const housekeepingMode: BenchMode = { name: 'housekeeping', quick: false, run };
