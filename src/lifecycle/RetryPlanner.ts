import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';
import type { CallEvent, CallRecord } from '../store/CallRecord.js';
import type { Announcement, CallStore } from '../store/CallStore.js';
import type { RedisClient } from '../store/storeKeys.js';
import type { CallEventPublisher } from '../webhooks/CallEventPublisher.js';
import { outcomeEventKeys } from '../webhooks/outcomeEventKeys.js';
import type { CallScheduler } from './CallScheduler.js';
import { DuplicateScheduledCallError, OutsideCallingRulesError } from './errors.js';
import { RetryLease } from './RetryLease.js';
import { retryPolicyFor } from './retryPolicy.js';

/** The failed call's events that say its retry step is done, whatever it decided (SPEC 9.2). */
export const RETRY_OUTCOME_EVENTS = ['retry_scheduled', 'retry_skipped', 'retries_exhausted'] as const;

export type RetryOutcome =
  /** No retries configured for the menu, or the fail_reason is not one that earns a retry. */
  | { kind: 'not_retried' }
  | { kind: 'scheduled'; retryId: number }
  | { kind: 'skipped'; reason: string }
  | { kind: 'exhausted' }
  /** An earlier report of the same failure took the step already. */
  | { kind: 'already_done' }
  /** A concurrent report of the same failure is taking the step right now. */
  | { kind: 'in_progress' };

export interface RetryPlannerDeps {
  calls: CallStore;
  scheduler: Pick<CallScheduler, 'schedule'>;
  events: CallEventPublisher;
  redis: RedisClient;
  config: Pick<AppConfig, 'retries' | 'menus'>;
  logger: Logger;
}

/**
 * SPEC 9.2: after the dialer reports a call `failed` with a fail_reason the menu's `retries.on` lists, schedules
 * the next attempt (or records why not) — once per failed call, however often and concurrently the dialer repeats
 * its report, and finishing the step when the process that changed the status died before taking it.
 *
 * Once: the step runs under a lease (RetryLease) and first looks for its outcome event on the failed call; it
 * appends that event before letting go. The one gap left is a crash between storing the retry and appending the
 * event: for a call with a CRM record the duplicate guard then finds the retry stored earlier (recognised by its
 * parent_id, so it is recorded, not skipped); for a call without one a repeated report would make a second.
 */
export class RetryPlanner {
  private readonly lease: RetryLease;

  constructor(private readonly deps: RetryPlannerDeps) {
    this.lease = new RetryLease(deps.redis, deps.calls.shards);
  }

  async afterFailure(failed: CallRecord, now: Date): Promise<RetryOutcome> {
    const policy = retryPolicyFor(this.deps.config, failed.menu_id);
    if (!policy?.on.includes(failed.fail_reason)) return { kind: 'not_retried' };
    const token = await this.lease.acquire(failed.id);
    if (!token) return { kind: 'in_progress' };
    try {
      const done = retryOutcomeEvent(await this.deps.calls.events(failed.id, failed));
      if (done) {
        // The earlier step may have died before publishing; the same event key makes this a no-op otherwise.
        if (done.type === 'retry_scheduled') await this.publishRetryScheduled(failed);
        return { kind: 'already_done' };
      }
      if (failed.attempt >= policy.maxAttempts) {
        await this.record(failed, 'retries_exhausted', `attempt ${failed.attempt} of ${policy.maxAttempts}`, now);
        return { kind: 'exhausted' };
      }
      return await this.scheduleRetry(failed, policy.intervalSeconds, now);
    } finally {
      await this.lease.release(failed.id, token).catch(() => undefined);
    }
  }

  private async scheduleRetry(failed: CallRecord, intervalSeconds: number, now: Date): Promise<RetryOutcome> {
    let retryId: number;
    try {
      const retry = await this.deps.scheduler.schedule(
        {
          parent_id: failed.id,
          lang: failed.lang,
          call_type: failed.call_type,
          created_at: now.toISOString(),
          scheduled_at: new Date(now.getTime() + intervalSeconds * 1000).toISOString(),
          menu_id: failed.menu_id,
          end_user_number: failed.end_user_number,
          ticket_id: failed.ticket_id,
          record_key: failed.record_key,
          recording_permission: failed.recording_permission,
          source: failed.source,
          skill: failed.skill,
          // The zone the failed call was placed in (a requested one stays); null: the number's zones again.
          requestedTimezone: failed.timezone,
          attempt: failed.attempt + 1,
        },
        now,
        'defer',
        // No "already has an active scheduled call" comment: nobody asked for this call, the customer is called
        // back anyway by the call that holds the record, and `retry_skipped` on the failed call says why.
        { commentOnRefusal: false },
      );
      retryId = retry.id;
    } catch (err) {
      const skipped = await this.skipReason(failed, err);
      if (typeof skipped === 'number') retryId = skipped;
      else {
        await this.record(failed, 'retry_skipped', skipped, now);
        return { kind: 'skipped', reason: skipped };
      }
    }
    await this.record(
      failed,
      'retry_scheduled',
      String(retryId),
      now,
      this.deps.events.announcing('call.retry_scheduled', outcomeEventKeys.retryScheduled(failed.id)),
    );
    await this.publishRetryScheduled(failed);
    return { kind: 'scheduled', retryId };
  }

  /**
   * Why no retry was made (the `retry_skipped` detail), or the id of this call's retry when an earlier step stored
   * it and died before recording it (the guard refused because of it). Anything else is not a decision: rethrown.
   */
  private async skipReason(failed: CallRecord, err: unknown): Promise<string | number> {
    if (err instanceof DuplicateScheduledCallError) {
      const existing = await this.deps.calls.get(err.existingCallId);
      if (existing?.parent_id === failed.id) return existing.id;
      return `the record already has a scheduled call: ${err.existingCallId}`;
    }
    if (err instanceof OutsideCallingRulesError) return err.message;
    throw err;
  }

  private async record(
    failed: CallRecord,
    type: (typeof RETRY_OUTCOME_EVENTS)[number],
    detail: string,
    now: Date,
    announce: readonly Announcement[] = [],
  ): Promise<void> {
    await this.deps.calls.appendEvent(failed.id, type, detail, now, announce);
    this.deps.logger.info({ callId: failed.id, attempt: failed.attempt, failReason: failed.fail_reason, detail }, type);
  }

  private async publishRetryScheduled(failed: CallRecord): Promise<void> {
    await this.deps.events.publish('call.retry_scheduled', failed, outcomeEventKeys.retryScheduled(failed.id));
  }
}

function retryOutcomeEvent(events: readonly CallEvent[]): CallEvent | undefined {
  return events.find((event) => (RETRY_OUTCOME_EVENTS as readonly string[]).includes(event.type));
}
