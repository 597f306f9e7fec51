import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';
import type { CallQueues } from '../queue/CallQueues.js';
import type { CallStore } from '../store/CallStore.js';
import type { CallEventPublisher } from '../webhooks/CallEventPublisher.js';
import type { HousekeepingLock } from '../worker/HousekeepingLock.js';
import { OutboxRelay } from '../worker/OutboxRelay.js';
import { RetentionSweeper } from '../worker/RetentionSweeper.js';
import { ScheduleReconciler } from '../worker/ScheduleReconciler.js';
import { StaleCallSweeper } from '../worker/StaleCallSweeper.js';
import { startPeriodic } from '../worker/startPeriodic.js';

/**
 * The worker's periodic passes. Each reads only the calls that need it (time indexes, a page at a time), so its
 * cost does not grow with the number of scheduled calls, and each runs in one worker at a time (a lock with a TTL).
 *
 * | pass               | every | looks at                                          |
 * | ------------------ | ----- | ------------------------------------------------- |
 * | schedule-reconcile | 30 s  | calls stored whose fire job is not confirmed      |
 * | stale-call-sweep   | 60 s  | calls handed to the dialer longest ago            |
 * | retention          | 5 s   | final calls past `retention.finalCallSeconds`     |
 * | outbox-relay       | 5 s   | outcome events stored but never queued (webhooks) |
 *
 * `events` tells the webhook endpoints about the calls the stale-call sweep fails (`call.failed`). The outbox relay
 * runs only with webhook endpoints configured (without them nothing is announced).
 */
export function startHousekeeping(
  config: AppConfig,
  calls: CallStore,
  queues: CallQueues,
  lock: HousekeepingLock,
  logger: Logger,
  events: CallEventPublisher,
): Array<() => void> {
  const reconciler = new ScheduleReconciler(calls, queues, logger);
  const sweeper = new StaleCallSweeper(calls, config.worker.activeCallTimeoutMinutes * 60_000, logger, events);
  const retention = new RetentionSweeper(calls, config.retention.finalCallSeconds * 1000, logger);
  const passes: Array<[string, number, () => Promise<unknown>]> = [
    ['schedule-reconcile', 30_000, () => reconciler.runOnce()],
    ['stale-call-sweep', 60_000, () => sweeper.runOnce()],
    ['retention', 5_000, () => retention.runOnce()],
  ];
  if (config.webhooks.length > 0) {
    const relay = new OutboxRelay(calls, events, logger);
    passes.push(['outbox-relay', 5_000, () => relay.runOnce()]);
  }
  // The lock outlives a pass that hangs by at most its TTL: then another worker may take over.
  return passes.map(([name, everyMs, pass]) =>
    startPeriodic(name, everyMs, () => lock.runExclusive(name, Math.max(everyMs, 30_000), pass), logger),
  );
}
