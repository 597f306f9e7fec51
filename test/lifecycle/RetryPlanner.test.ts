import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { RetriesConfig } from '../../src/config/schema.js';
import type { ScheduleRequest } from '../../src/lifecycle/CallScheduler.js';
import { DuplicateScheduledCallError, OutsideCallingRulesError } from '../../src/lifecycle/errors.js';
import { RetryLease } from '../../src/lifecycle/RetryLease.js';
import { RetryPlanner } from '../../src/lifecycle/RetryPlanner.js';
import { retryPolicyFor } from '../../src/lifecycle/retryPolicy.js';
import type { CallRecord } from '../../src/store/CallRecord.js';
import { CallStore } from '../../src/store/CallStore.js';
import { CallEventPublisher } from '../../src/webhooks/CallEventPublisher.js';
import { newCall } from '../support/newCall.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

/**
 * The parts of the retry step an HTTP test cannot reach: a step that died after storing the retry, a step another
 * report holds, no allowed time at all. The end-to-end behaviour is in test/e2e/retries.test.ts.
 */

const redis = new Redis(TEST_REDIS_URL);
const prefix = uniquePrefix('retry-planner');
const calls = new CallStore(redis, prefix);
const logger = pino({ level: 'silent' });
const RETRIES: RetriesConfig = { maxAttempts: 3, intervalSeconds: 60, on: ['no_answer'] };
const NOW = new Date('2030-03-04T10:00:00.000Z');

afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

/** Stores the call as the scheduler would, with the store's duplicate guard; `refuse` replaces it with an error. */
function planner(refuse?: Error) {
  const asked: ScheduleRequest[] = [];
  const scheduler = {
    async schedule(request: ScheduleRequest): Promise<CallRecord> {
      asked.push(request);
      if (refuse) throw refuse;
      const { requestedTimezone, attempt = 1, ...fields } = request;
      const created = await calls.create(
        { ...fields, attempt, timezone: requestedTimezone, customer_zones: null, first_scheduled_at: null },
        NOW,
      );
      if (!created.created) throw new DuplicateScheduledCallError('duplicate', created.existingCallId);
      return created.call;
    },
  };
  const events = new CallEventPublisher(null, calls, [], logger);
  const retries = new RetryPlanner({ calls, scheduler, events, redis, config: { retries: RETRIES, menus: [] }, logger });
  return { retries, asked };
}

let seq = 0;
/** A call the dialer reported failed, with its own record. */
async function failedCall(failReason = 'no_answer', attempt = 1): Promise<CallRecord> {
  seq += 1;
  const created = await calls.create(newCall(`REC${seq}`, { attempt, timezone: 'Europe/Berlin' }), NOW);
  if (!created.created) throw new Error('setup: duplicate');
  const failed = await calls.transition(created.call.id, {
    to: 'failed',
    patch: { fail_reason: failReason },
    events: [{ type: 'status', detail: 'failed' }],
  });
  if (failed.result !== 'ok') throw new Error('setup: not failed');
  return failed.call;
}

const retryEvents = async (id: number) => (await calls.events(id)).filter((e) => e.type.startsWith('retr')).map((e) => [e.type, e.detail]);

describe('RetryPlanner', () => {
  it('schedules the next attempt from the failed call, deferred to the allowed time, and records it once', async () => {
    const failed = await failedCall();
    const { retries, asked } = planner();
    const outcome = await retries.afterFailure(failed, NOW);
    expect(outcome.kind).toBe('scheduled');
    const retryId = (outcome as { retryId: number }).retryId;
    expect(asked).toEqual([
      expect.objectContaining({
        parent_id: failed.id,
        attempt: 2,
        scheduled_at: '2030-03-04T10:01:00.000Z',
        created_at: NOW.toISOString(),
        record_key: failed.record_key,
        requestedTimezone: 'Europe/Berlin',
      }),
    ]);
    expect(await retryEvents(failed.id)).toEqual([['retry_scheduled', String(retryId)]]);

    expect(await retries.afterFailure(failed, NOW)).toEqual({ kind: 'already_done' });
    expect(asked).toHaveLength(1);
    expect(await retryEvents(failed.id)).toEqual([['retry_scheduled', String(retryId)]]);
  });

  it('finishes the step of a report that died after storing the retry: the guard finds it, no second call', async () => {
    const failed = await failedCall();
    const stored = await calls.create(newCall(failed.record_key!, { parent_id: failed.id, attempt: 2 }), NOW);
    if (!stored.created) throw new Error('setup: duplicate');

    const outcome = await planner().retries.afterFailure(failed, NOW);
    expect(outcome).toEqual({ kind: 'scheduled', retryId: stored.call.id });
    expect(await retryEvents(failed.id)).toEqual([['retry_scheduled', String(stored.call.id)]]);
    expect(await calls.activeCallIds(failed.record_key!)).toEqual([stored.call.id]);
  });

  it("skips the retry when the record's scheduled call is another one", async () => {
    const failed = await failedCall();
    const other = await calls.create(newCall(failed.record_key!), NOW);
    if (!other.created) throw new Error('setup: duplicate');
    const outcome = await planner().retries.afterFailure(failed, NOW);
    expect(outcome.kind).toBe('skipped');
    expect(await retryEvents(failed.id)).toEqual([['retry_skipped', `the record already has a scheduled call: ${other.call.id}`]]);
  });

  it('skips the retry when the calling rules allow no time at all', async () => {
    const failed = await failedCall();
    await planner(new OutsideCallingRulesError(null)).retries.afterFailure(failed, NOW);
    expect(await retryEvents(failed.id)).toEqual([
      ['retry_skipped', 'scheduled_at is outside the calling window; no allowed time within the next 14 days'],
    ]);
  });

  it('records retries_exhausted after the last attempt, and nothing for a fail_reason not listed', async () => {
    const last = await failedCall('no_answer', 3);
    const { retries, asked } = planner();
    expect(await retries.afterFailure(last, NOW)).toEqual({ kind: 'exhausted' });
    expect(await retryEvents(last.id)).toEqual([['retries_exhausted', 'attempt 3 of 3']]);

    const unlisted = await failedCall('invalid_number');
    expect(await retries.afterFailure(unlisted, NOW)).toEqual({ kind: 'not_retried' });
    expect(await retryEvents(unlisted.id)).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('leaves the step to the report that holds its lease, and lets go of the lease when the step fails', async () => {
    const failed = await failedCall();
    const lease = new RetryLease(redis, calls.shards);
    const token = await lease.acquire(failed.id);
    const { retries, asked } = planner();
    expect(await retries.afterFailure(failed, NOW)).toEqual({ kind: 'in_progress' });
    expect(asked).toEqual([]);
    await lease.release(failed.id, token!);

    const broken = planner(new Error('Redis went away'));
    await expect(broken.retries.afterFailure(failed, NOW)).rejects.toThrow('Redis went away');
    expect(await retryEvents(failed.id)).toEqual([]);
    expect((await retries.afterFailure(failed, NOW)).kind).toBe('scheduled');
  });
});

describe('retryPolicyFor', () => {
  const menus = [
    { id: 1, retries: { maxAttempts: 2, intervalSeconds: 5, on: ['busy'] } },
    { id: 2, retries: { maxAttempts: 1, intervalSeconds: 5, on: ['busy'] } },
    { id: 3 },
  ] as Parameters<typeof retryPolicyFor>[0]['menus'];

  it("takes the menu's own retries, else the global ones; none, or maxAttempts 1, means no retries", () => {
    expect(retryPolicyFor({ retries: RETRIES, menus }, 1)).toEqual(menus[0]!.retries);
    expect(retryPolicyFor({ retries: RETRIES, menus }, 2)).toBeNull();
    expect(retryPolicyFor({ retries: RETRIES, menus }, 3)).toEqual(RETRIES);
    expect(retryPolicyFor({ retries: undefined, menus }, 3)).toBeNull();
    expect(retryPolicyFor({ retries: { ...RETRIES, maxAttempts: 1 }, menus }, 3)).toBeNull();
  });
});
