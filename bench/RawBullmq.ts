import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { FIRE_JOBS_KEPT } from '../src/queue/CallQueues.js';
import { LagStopwatch } from './LagStopwatch.js';

/**
 * One step on a call's document, the least a store step can do: read it, or read it, change one field and write
 * it back (ARGV[1] = the field's new value, '' = read only). KEYS: the document.
 */
const DOCUMENT_STEP = `
local raw = redis.call('GET', KEYS[1])
if ARGV[1] == '' or not raw then return raw end
local doc = cjson.decode(raw)
doc.status = ARGV[1]
redis.call('SET', KEYS[1], cjson.encode(doc))
return 'OK'
`;

/** What the fire step of any design that is exactly-once must do in the store, in order (see `storeSteps`). */
const FIRE_STEPS = ['', 'firing', 'queued'] as const;

/** A call document of the product's size, the one the store steps work on. */
const DOCUMENT = JSON.stringify({
  lang: 'en',
  created_at: '2026-12-02T12:00:00.000Z',
  scheduled_at: '2026-12-02T13:00:00.000Z',
  menu_id: 9,
  end_user_number: '+18592000001',
  ticket_id: '1',
  record_key: '1',
  timezone: 'America/New_York',
});

export interface RawBullmqOptions {
  prefix?: string;
  /**
   * 0 (the floor of issue 9): the processor only notes the time. 3: it first makes the three store round trips
   * that an exactly-once fire step cannot do without, one after the other, on a call document of its own (read the
   * call; store the decision with `firing` before anything is carried out; store `queued` once the dialer took it),
   * then notes the time: the least any design on BullMQ and one Redis pays, with none of the product's work.
   */
  storeSteps?: 0 | 3;
}

/**
 * The floor of scheduling and firing: BullMQ alone on the same Redis (its own prefix), with the product's fire
 * job options (src/queue/CallQueues.ts: job id, timestamp + delay, attempts, backoff, jobs kept) and a worker
 * of the same concurrency whose processor only notes the time: due (timestamp + delay) → processor start.
 */
export class RawBullmq {
  readonly stopwatch = new LagStopwatch();
  private readonly queue: Queue<{ callId: number }>;
  private readonly worker: Worker<{ callId: number }>;
  /** The store's own connection, auto-pipelined like the product's; only with store steps. */
  private readonly store: (Redis & { documentStep(key: string, value: string): Promise<unknown> }) | null = null;
  private readonly prefix: string;
  private added = 0;

  constructor(url: string, concurrency: number, options: RawBullmqOptions = {}) {
    const { hostname, port } = new URL(url);
    const connection: ConnectionOptions = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
    this.prefix = options.prefix ?? 'bench-raw';
    const prefix = this.prefix;
    if (options.storeSteps) {
      const store = new Redis({ host: hostname, port: Number(port), enableAutoPipelining: true });
      store.defineCommand('documentStep', { numberOfKeys: 1, lua: DOCUMENT_STEP });
      this.store = store as typeof this.store;
    }
    this.queue = new Queue('{raw}', { connection, prefix, streams: { events: { maxLen: 1000 } } });
    this.worker = new Worker<{ callId: number }>(
      '{raw}',
      async (job) => {
        if (this.store) for (const step of FIRE_STEPS) await this.store.documentStep(this.documentKey(job.data.callId), step);
        this.stopwatch.record(job.timestamp + (job.opts.delay ?? 0));
      },
      { connection, prefix, concurrency, ...FIRE_JOBS_KEPT },
    );
  }

  private documentKey(callId: number): string {
    return `${this.prefix}:{raw}:c:${callId}`;
  }

  async ready(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.worker.waitUntilReady()]);
  }

  /** A delayed job due at `dueAt`, as the product's scheduleFire adds it (each with a job id of its own). */
  async add(dueAt: Date, now = Date.now()): Promise<void> {
    const callId = (this.added += 1);
    if (this.store) await this.store.set(this.documentKey(callId), DOCUMENT);
    await this.queue.add(
      'fire',
      { callId },
      {
        jobId: `call-${callId}`,
        timestamp: now,
        delay: Math.max(0, dueAt.getTime() - now),
        attempts: 10,
        backoff: { type: 'exponential', delay: 2000 },
      },
    );
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
    this.store?.disconnect();
  }
}
