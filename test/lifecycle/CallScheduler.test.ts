import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CallScheduler, type ScheduleRequest } from '../../src/lifecycle/CallScheduler.js';
import { OutsideCallingRulesError } from '../../src/lifecycle/errors.js';
import { Metrics } from '../../src/observability/Metrics.js';
import { CallQueues } from '../../src/queue/CallQueues.js';
import { CrmEffects } from '../../src/queue/CrmEffects.js';
import { fireJobId } from '../../src/queue/queueNames.js';
import { bullConnection } from '../../src/redisConnections.js';
import { CallingPolicy } from '../../src/schedule/CallingPolicy.js';
import { CallStore } from '../../src/store/CallStore.js';
import { SideEffectLedger } from '../../src/store/SideEffectLedger.js';
import { CallEventPublisher } from '../../src/webhooks/CallEventPublisher.js';
import { capturingLogger } from '../support/captureLogs.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

/**
 * CallScheduler and the calling rules (SPEC 9.3), clock passed in: `defer` moves a call to the next allowed time
 * with a `deferred` event and its fire job there; `refuse` stores nothing. New York window 08:00-21:00 (wall clock,
 * so 13:00Z in January and 12:00Z in July); menu 10 also has business hours, Berlin Mon-Fri 09:00-17:00.
 */
const prefix = uniquePrefix('call-scheduler');
const redis = new Redis(TEST_REDIS_URL);
const queues = new CallQueues(bullConnection({ url: TEST_REDIS_URL }, 'worker'), prefix);
const calls = new CallStore(redis, prefix);
const { logger } = capturingLogger();
const weekdays: [string, string][] = [['09:00', '17:00']];
const scheduler = new CallScheduler({
  calls,
  queues,
  effects: new CrmEffects(queues, new SideEffectLedger(redis, prefix)),
  calling: new CallingPolicy({
    defaultTimezone: 'America/Chicago',
    callingWindow: { start: '08:00', end: '21:00' },
    menus: [
      { id: 9 },
      {
        id: 10,
        hours: { timezone: 'Europe/Berlin', weekly: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays } },
      },
    ],
  }),
  events: new CallEventPublisher(null, calls, [], logger),
  crmProvider: 'none',
  metrics: new Metrics(false),
  logger,
});

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

const NEW_YORK_NUMBER = '+18596579625';

function request(now: Date, overrides: Partial<ScheduleRequest> = {}): ScheduleRequest {
  return {
    parent_id: null,
    lang: 'en',
    call_type: 'Voice Scheduled (API)',
    created_at: now.toISOString(),
    scheduled_at: now.toISOString(),
    menu_id: 9,
    end_user_number: NEW_YORK_NUMBER,
    ticket_id: null,
    record_key: null,
    recording_permission: 'not_asked',
    source: 'skill',
    skill: 'Online Requests',
    requestedTimezone: null,
    ...overrides,
  };
}

/** The due time of a call's fire job (BullMQ scores delayed jobs as dueMs * 0x1000 + n). */
async function fireJobDueMs(callId: number): Promise<number | null> {
  const queue = queues.fireQueueOf(callId);
  const score = await redis.zscore(queue.keys.delayed!, fireJobId(callId));
  return score === null ? null : Math.floor(Number(score) / 0x1000);
}

const totalCalls = async () => (await calls.list({ offset: 0, limit: 1 })).total;

describe('CallScheduler.schedule, outside the rules', () => {
  it.each([
    ['January, 07:00 in New York: moved to 08:00 EST', '2030-01-14T12:00:00.000Z', '2030-01-14T13:00:00.000Z'],
    ['July, 07:00 in New York: moved to 08:00 EDT', '2030-07-15T11:00:00.000Z', '2030-07-15T12:00:00.000Z'],
    ['21:00 in New York (end exclusive): moved to the next morning', '2030-01-15T02:00:00.000Z', '2030-01-15T13:00:00.000Z'],
  ])('defer: %s', async (_case, at, next) => {
    const now = new Date(at);
    const call = await scheduler.schedule(request(now), now, 'defer');
    expect(call).toMatchObject({ status: 'scheduled', scheduled_at: next, timezone: 'America/New_York', attempt: 1 });
    const stored = (await calls.get(call.id))!;
    expect(stored.scheduled_at).toBe(next);
    expect((await calls.events(call.id, stored)).map((e) => [e.type, e.detail, e.at])).toEqual([
      ['scheduled', `due at ${next}`, at],
      ['deferred', `outside the calling window; moved to ${next}`, at],
    ]);
    expect(await fireJobDueMs(call.id)).toBe(Date.parse(next));
  });

  it('defer with both rules broken (Sunday night): the reason names both, moved to Monday when both hold', async () => {
    // Sunday 2030-01-13 03:00Z: 22:00 Saturday in New York, 04:00 Sunday in Berlin. Both hold Monday 13:00Z.
    const now = new Date('2030-01-13T03:00:00.000Z');
    const call = await scheduler.schedule(request(now, { menu_id: 10 }), now, 'defer');
    expect(call.scheduled_at).toBe('2030-01-14T13:00:00.000Z');
    const events = await calls.events(call.id, call);
    expect(events.at(-1)).toMatchObject({
      type: 'deferred',
      detail: 'outside the calling window and business hours; moved to 2030-01-14T13:00:00.000Z',
    });
  });

  it('refuse: throws the 400 with the next allowed time, and stores nothing', async () => {
    const now = new Date('2030-01-14T12:00:00.000Z');
    const before = await totalCalls();
    const refusal = scheduler.schedule(request(now, { source: 'api', skill: null }), now, 'refuse');
    await expect(refusal).rejects.toBeInstanceOf(OutsideCallingRulesError);
    await expect(refusal).rejects.toMatchObject({
      statusCode: 400,
      message: 'scheduled_at is outside the calling window; next allowed time is 2030-01-14T13:00:00.000Z',
    });
    expect(await totalCalls()).toBe(before);
  });

  it('the requested zone is the one the window is read in', async () => {
    const now = new Date('2030-01-14T12:00:00.000Z'); // 12:00 in London: inside its window
    const call = await scheduler.schedule(request(now, { requestedTimezone: 'Europe/London' }), now, 'refuse');
    expect(call).toMatchObject({ scheduled_at: now.toISOString(), timezone: 'Europe/London' });
  });

  it('inside the rules: kept as asked, no deferred event, its fire job due then', async () => {
    const now = new Date('2030-01-14T15:00:00.000Z');
    const asked = '2030-01-14T15:30:00.000Z';
    const call = await scheduler.schedule(request(now, { scheduled_at: asked }), now, 'defer');
    expect(call.scheduled_at).toBe(asked);
    expect((await calls.events(call.id, call)).map((e) => e.type)).toEqual(['scheduled']);
    expect(await fireJobDueMs(call.id)).toBe(Date.parse(asked));
  });
});
