import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';

/** Prometheus metrics (GET /metrics). One registry per app instance so tests can run several side by side. */
export class Metrics {
  readonly registry = new Registry();

  readonly scheduled = new Counter({
    name: 'callbacks_scheduled_total',
    help: 'Callbacks accepted for scheduling, by source (api, skill).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly fired = new Counter({
    name: 'callbacks_fired_total',
    help: 'Callbacks that came due, by outcome (dial, skip, cancel) and fail_reason.',
    labelNames: ['outcome', 'fail_reason'] as const,
    registers: [this.registry],
  });

  readonly fireLag = new Histogram({
    name: 'callback_fire_lag_seconds',
    help: 'Time between scheduled_at and the moment the worker picked the callback up.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly crmEffects = new Counter({
    name: 'crm_side_effects_total',
    help: 'CRM comments and reopens, by kind and result (done, undeliverable, retry).',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });

  readonly httpInFlight = new Gauge({
    name: 'http_requests_in_flight',
    help: 'API requests being handled now (health and metrics requests not counted).',
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'callback_queue_jobs',
    help: 'Jobs in each queue by state, read when scraped.',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Reads queue depths now (on scrape, so idle processes do no polling). */
  async collectQueueDepth(queues: readonly Queue[]): Promise<void> {
    for (const queue of queues) {
      const counts = await queue.getJobCounts('delayed', 'waiting', 'active', 'failed');
      for (const [state, n] of Object.entries(counts)) this.queueDepth.set({ queue: queue.name, state }, n);
    }
  }
}
