import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { FIRE_JOBS_KEPT } from '../src/queue/CallQueues.js';
import { LagStopwatch } from './LagStopwatch.js';

/**
 * The floor of scheduling and firing: BullMQ alone on the same Redis (its own prefix), with the product's fire
 * job options (src/queue/CallQueues.ts: job id, timestamp + delay, attempts, backoff, jobs kept) and a worker
 * of the same concurrency whose processor only notes the time: due (timestamp + delay) → processor start.
 */
export class RawBullmq {
  readonly stopwatch = new LagStopwatch();
  private readonly queue: Queue<{ callId: number }>;
  private readonly worker: Worker<{ callId: number }>;
  private added = 0;

  constructor(url: string, concurrency: number, prefix = 'bench-raw') {
    const { hostname, port } = new URL(url);
    const connection: ConnectionOptions = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
    this.queue = new Queue('{raw}', { connection, prefix, streams: { events: { maxLen: 1000 } } });
    this.worker = new Worker<{ callId: number }>(
      '{raw}',
      (job) => {
        this.stopwatch.record(job.timestamp + (job.opts.delay ?? 0));
        return Promise.resolve();
      },
      { connection, prefix, concurrency, ...FIRE_JOBS_KEPT },
    );
  }

  async ready(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.worker.waitUntilReady()]);
  }

  /** A delayed job due at `dueAt`, as the product's scheduleFire adds it (each with a job id of its own). */
  async add(dueAt: Date, now = Date.now()): Promise<void> {
    const callId = (this.added += 1);
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
  }
}
