import { rmSync } from 'node:fs';
import http from 'node:http';
import { Redis } from 'ioredis';
import { startApp, type AppOptions, type RunningApp } from '../src/App.js';
import { parseConfig } from '../src/config/loadConfig.js';
import { pino } from 'pino';
import { createLogger } from '../src/observability/logger.js';
import { PrivateRedis } from '../test/support/privateRedis.js';

/** One figure of the table; `verdict` only for figures with a target. */
export interface Row {
  figure: string;
  value: string;
  target?: string;
  verdict?: 'PASS' | 'FAIL';
  /** A target reported but not yet enforced: its FAIL does not change the exit code. */
  reportOnly?: boolean;
}

export interface ModeResult {
  rows: Row[];
  /** This mode's part of the one-line JSON summary. */
  summary: Record<string, unknown>;
  /** Printed under the table: how to read some of its figures. */
  notes?: string[];
}

export interface BenchMode {
  name: string;
  /** Part of the default run (which must stay under three minutes on the 2-core machine). */
  quick: boolean;
  run(redis: BenchRedis): Promise<ModeResult>;
}

export const CALLS_PATH = '/apps/api/v1/calls';
export const API_USER = { username: 'bench', password: 'bench-secret-1' };
export const PREFIX = 'bench';
/** The raw BullMQ worker's concurrency (issue 9's floor); the product runs with its own default. */
export const WORKER_CONCURRENCY = 100;

/**
 * What a mode started besides the bench's Redis (a cluster) and must stop if the bench is interrupted:
 * run.ts's SIGINT/SIGTERM handler awaits each before exiting. A mode adds its stop and deletes it in `finally`.
 */
export const stopOnInterrupt = new Set<() => Promise<void>>();

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const envNumber = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const verdict = (ok: boolean): 'PASS' | 'FAIL' => (ok ? 'PASS' : 'FAIL');
export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const ms = (n: number) => `${n.toFixed(1)} ms`;
export const progress = (line: string) => process.stderr.write(`  … ${line}\n`);

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * The bench's own redis-server on a free loopback port (the tests' PrivateRedis), never the shared one.
 * No persistence and `hz 100`, set before any data is written (PrivateRedis starts with an append-only file).
 */
export class BenchRedis {
  private readonly server = new PrivateRedis();
  private client!: Redis;

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<void> {
    await this.server.start();
    this.client = new Redis(this.url);
    await this.client.config('SET', 'appendonly', 'no', 'save', '', 'hz', '100');
  }

  async stop(): Promise<void> {
    this.client?.disconnect();
    await this.server.stop();
    rmSync(this.server.dir, { recursive: true, force: true });
  }

  /** Each mode starts from an empty Redis, so its memory and command figures are its own. */
  async flush(): Promise<void> {
    await this.client.flushall();
    await this.client.config('RESETSTAT');
  }

  async info(section: string): Promise<Map<string, string>> {
    const text = await this.client.info(section);
    return new Map(text.split('\r\n').flatMap((line) => (line.includes(':') ? [line.split(':', 2) as [string, string]] : [])));
  }

  async usedMemory(): Promise<number> {
    return Number((await this.info('memory')).get('used_memory'));
  }

  async keyCount(): Promise<number> {
    return this.client.dbsize();
  }

  /** Sum of `calls` over INFO commandstats (the INFO asking is counted only after it answers). */
  async commandCalls(): Promise<number> {
    let sum = 0;
    for (const calls of (await this.commandsByName()).values()) sum += calls;
    return sum;
  }

  /** `calls` of each command in INFO commandstats (`evalsha`, `client|setname`, …) since the start or RESETSTAT. */
  async commandsByName(): Promise<Map<string, number>> {
    const stats = await this.info('commandstats');
    return new Map([...stats].map(([name, text]) => [name.replace(/^cmdstat_/, ''), Number(/calls=(\d+)/.exec(text)?.[1] ?? 0)]));
  }

  async resetStats(): Promise<void> {
    await this.client.config('RESETSTAT');
  }

  /**
   * Where the bytes go: every key grouped by its name with digit runs as `*` (call:17 → call:*), each group's
   * `MEMORY USAGE` (key, value and its dict entry) measured on a sample and scaled to the group's key count.
   */
  async keySplit(samplePerGroup = 300): Promise<KeyGroup[]> {
    const groups = new Map<string, string[]>();
    const counts = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'COUNT', 5000);
      cursor = next;
      for (const key of keys) {
        const pattern = key.replace(/\d+/g, '*');
        counts.set(pattern, (counts.get(pattern) ?? 0) + 1);
        const sample = groups.get(pattern);
        if (!sample) groups.set(pattern, [key]);
        else if (sample.length < samplePerGroup) sample.push(key);
      }
    } while (cursor !== '0');

    const split: KeyGroup[] = [];
    for (const [pattern, sample] of groups) {
      const pipeline = this.client.pipeline();
      for (const key of sample) pipeline.memory('USAGE', key, 'SAMPLES', 0);
      const sizes = ((await pipeline.exec()) ?? []).map(([, bytes]) => Number(bytes ?? 0));
      const count = counts.get(pattern)!;
      const type = await this.client.type(sample[0]!);
      split.push({ pattern, type, count, bytes: (sizes.reduce((a, b) => a + b, 0) / sample.length) * count });
    }
    return split.sort((a, b) => b.bytes - a.bytes);
  }
}

export interface KeyGroup {
  pattern: string;
  type: string;
  count: number;
  /** Estimated total bytes of the group (sample mean × count). */
  bytes: number;
}

/** Rows of a key split, per callback, plus what MEMORY USAGE does not see (keyspace tables, allocator slack). */
export function splitRows(split: KeyGroup[], growth: number, callbacks: number): Row[] {
  const perCallback = (bytes: number) => `${int(bytes / callbacks)} B/callback`;
  const [large, small] = [split.filter((g) => g.bytes >= callbacks), split.filter((g) => g.bytes < callbacks)];
  const rows: Row[] = large.map((g) => ({ figure: `  ${g.pattern} (${g.type}, ${int(g.count)} keys)`, value: perCallback(g.bytes) }));
  const smallBytes = small.reduce((sum, g) => sum + g.bytes, 0);
  if (small.length) rows.push({ figure: `  ${small.length} other key patterns (under 1 B/callback each)`, value: perCallback(smallBytes) });
  const accounted = split.reduce((sum, g) => sum + g.bytes, 0);
  rows.push({ figure: '  not in MEMORY USAGE (keyspace tables, buffers)', value: perCallback(growth - accounted) });
  return rows;
}

/** Where the product keeps its data: the URL of one Redis, or a `redis` config section (a cluster, shards). */
export type BenchRedisConfig = string | { url?: string; cluster?: string[]; shards?: number };

/** The product's config for the bench: one web menu, one API user, provider `none` unless overridden. */
export function benchConfig(redis: BenchRedisConfig, overrides: Record<string, unknown> = {}) {
  return parseConfig(
    {
      server: { host: '127.0.0.1', port: 0, maxConcurrentRequests: 10_000 },
      redis: typeof redis === 'string' ? { url: redis, prefix: PREFIX } : { ...redis, prefix: PREFIX },
      auth: { apiUsers: [API_USER] },
      menus: [{ id: 9, name: 'Bench', type: 'web', languages: ['en'] }],
      logLevel: 'silent',
      ...overrides,
    },
    {},
  );
}

export function startProduct(redis: BenchRedisConfig, options: AppOptions, overrides: Record<string, unknown> = {}): Promise<RunningApp> {
  // Logs as in production (level info), written nowhere: the product pays for its logging as it would there.
  return startApp(benchConfig(redis, overrides), {
    logger: createLogger('info', pino.destination({ dest: '/dev/null', sync: false })),
    ...options,
  });
}

/** A create body as a client would send it; `n` makes the number and ticket unique (each call gets its own guard). */
export function createBody(n: number, scheduledAt: Date, ticketPrefix = 'T'): Record<string, unknown> {
  return {
    call_type: 'Voice Scheduled (API)',
    menu_id: 9,
    lang: 'en',
    end_user_number: `+18592${String(n % 1_000_000).padStart(6, '0')}`,
    scheduled_at: scheduledAt.toISOString(),
    ticket_id: `${ticketPrefix}${n}`,
  };
}

/** HTTP/1.1 keep-alive client with one socket per request in flight (node:http: little client-side CPU). */
export class ApiClient {
  private readonly agent: http.Agent;
  private readonly auth = `Basic ${Buffer.from(`${API_USER.username}:${API_USER.password}`).toString('base64')}`;

  constructor(
    private readonly baseUrl: string,
    inFlight: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  }

  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        new URL(path, this.baseUrl),
        {
          method,
          agent: this.agent,
          headers: { authorization: this.auth, ...(payload ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async create(body: unknown): Promise<void> {
    const res = await this.request('POST', CALLS_PATH, body);
    if (res.status !== 201) throw new Error(`POST ${CALLS_PATH} answered ${res.status}: ${res.body}`);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs task(0..total-1) with `inFlight` at a time; stops at the first failure or when `until()` says so. */
export async function runInFlight(
  total: number,
  inFlight: number,
  task: (n: number) => Promise<void>,
  until: () => boolean = () => false,
): Promise<number> {
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, total) }, async () => {
      while (next < total && !failed && !until()) {
        const n = next++;
        await task(n).catch((err: unknown) => {
          failed = true;
          throw err;
        });
      }
    }),
  );
  return next;
}

/**
 * Schedules `count` callbacks through the HTTP API of an API-only product process (provider `none`), due
 * `dueInMs` from now and one second apart, then stops that process. Returns the creates per second.
 */
export async function populateThroughApi(redis: BenchRedis, count: number, dueInMs: number, inFlight = 64): Promise<number> {
  const app = await startProduct(redis.url, { api: true, worker: false });
  const client = new ApiClient(app.url!, inFlight);
  const base = Date.now() + dueInMs;
  const started = performance.now();
  try {
    const step = Math.max(1, Math.floor(count / 10));
    await runInFlight(count, inFlight, async (n) => {
      await client.create(createBody(n, new Date(base + n * 1000)));
      if ((n + 1) % step === 0) progress(`${int(n + 1)} / ${int(count)} created through the API`);
    });
    return count / ((performance.now() - started) / 1000);
  } finally {
    client.close();
    await app.close();
  }
}
