import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallView } from '../../src/calls/callView.js';
import { Metrics } from '../../src/observability/Metrics.js';
import { FireEvaluator } from '../../src/policy/FireEvaluator.js';
import { CallQueues } from '../../src/queue/CallQueues.js';
import { CrmEffects } from '../../src/queue/CrmEffects.js';
import { bullConnection } from '../../src/redisConnections.js';
import { CallingPolicy, type CallingPolicyOptions } from '../../src/schedule/CallingPolicy.js';
import { zonesOfNumber } from '../../src/schedule/customerZones.js';
import type { NewCall } from '../../src/store/CallRecord.js';
import { CallStore } from '../../src/store/CallStore.js';
import { SettingsStore } from '../../src/store/SettingsStore.js';
import { SideEffectLedger } from '../../src/store/SideEffectLedger.js';
import { CallEventPublisher } from '../../src/webhooks/CallEventPublisher.js';
import { FireProcessor } from '../../src/worker/FireProcessor.js';
import { capturingLogger } from '../support/captureLogs.js';
import { newCall } from '../support/newCall.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { testConfig } from '../support/testConfig.js';

/**
 * The fire step's check of the calling rules (SPEC 9.3: a call outside them when due is moved, not dialled), with
 * the clock passed in. The window is 10:00-11:00 in the default zone, UTC.
 */
const prefix = uniquePrefix('fire-deferral');
const redis = new Redis(TEST_REDIS_URL);
const queues = new CallQueues(bullConnection({ url: TEST_REDIS_URL }, 'worker'), prefix);
const calls = new CallStore(redis, prefix);
const { logger } = capturingLogger();
const offered: CallView[] = [];

function fireProcessor(rules: CallingPolicyOptions): FireProcessor {
  return new FireProcessor({
    calls,
    evaluator: new FireEvaluator({
      provider: 'none',
      readRecord: (id) => Promise.resolve({ id, state: 'open', rawStatus: 'open' }),
      recordKey: (id) => id,
      activeCalls: calls,
      policy: new SettingsStore(redis, prefix, 'reopen'),
      logger,
    }),
    effects: new CrmEffects(queues, new SideEffectLedger(redis, prefix)),
    dialer: {
      offer: (call) => {
        offered.push(call);
        return Promise.resolve();
      },
    },
    menus: testConfig(prefix).menus,
    calling: new CallingPolicy(rules),
    events: new CallEventPublisher(null, calls, [], logger),
    metrics: new Metrics(false),
    logger,
  });
}

const tenToEleven = fireProcessor({ defaultTimezone: 'UTC', callingWindow: { start: '10:00', end: '11:00' }, menus: [{ id: 9 }] });

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

async function storedCall(fields: Partial<NewCall>): Promise<number> {
  const created = await calls.create(newCall('', { ticket_id: null, record_key: null, ...fields }), new Date('2030-01-14T08:00:00.000Z'));
  if (!created.created) throw new Error('setup: not created');
  return created.call.id;
}

const shown = async (id: number) => {
  const call = (await calls.get(id))!;
  return { status: call.status, scheduled_at: call.scheduled_at, events: (await calls.events(id, call)).map((e) => [e.type, e.detail]) };
};

describe('FireProcessor: calling rules when the call comes due', () => {
  it('due outside the window: moved to the window’s opening, still scheduled, not dialled', async () => {
    const id = await storedCall({ scheduled_at: '2030-01-14T09:00:00.000Z', timezone: 'UTC' });
    const outcome = await tenToEleven.process(id, new Date('2030-01-14T09:00:00.200Z'));
    expect(outcome).toEqual({ kind: 'not_due', dueAt: new Date('2030-01-14T10:00:00.000Z') });
    expect(await shown(id)).toEqual({
      status: 'scheduled',
      scheduled_at: '2030-01-14T10:00:00.000Z',
      events: [
        ['scheduled', expect.any(String)],
        ['deferred', 'outside the calling window; moved to 2030-01-14T10:00:00.000Z'],
      ],
    });
    expect(offered.filter((c) => c.id === id)).toHaveLength(0);
  });

  it('started a little early (within the tolerance) for a call due at the opening: dialled, not deferred again', async () => {
    const id = await storedCall({ scheduled_at: '2030-01-14T10:00:00.000Z', timezone: 'UTC' });
    const outcome = await tenToEleven.process(id, new Date('2030-01-14T09:59:59.600Z'));
    expect(outcome).toEqual({ kind: 'done' });
    expect((await shown(id)).events.map(([type]) => type)).toEqual(['scheduled', 'fired', 'decision', 'dialed', 'status']);
    expect(offered.filter((c) => c.id === id)).toHaveLength(1);
  });

  it('a number with several zones stored without a window: read in defaultTimezone when the window in force has no common instant', async () => {
    // Made while no window was configured: timezone null, the toll-free number's zones kept.
    const id = await storedCall({
      end_user_number: '+18005550123',
      scheduled_at: '2030-01-14T09:00:00.000Z',
      timezone: null,
      customer_zones: await zonesOfNumber('+18005550123'),
    });
    const outcome = await tenToEleven.process(id, new Date('2030-01-14T09:00:00.000Z'));
    expect(outcome).toEqual({ kind: 'not_due', dueAt: new Date('2030-01-14T10:00:00.000Z') });
    expect(await shown(id)).toMatchObject({ status: 'scheduled', scheduled_at: '2030-01-14T10:00:00.000Z' });
  });

  it('inside the window: dialled', async () => {
    const id = await storedCall({ scheduled_at: '2030-01-14T10:30:00.000Z', timezone: 'UTC' });
    expect(await tenToEleven.process(id, new Date('2030-01-14T10:30:00.000Z'))).toEqual({ kind: 'done' });
    expect(offered.filter((c) => c.id === id)).toHaveLength(1);
  });

  it('rules that never allow a call: canceled (outside_calling_rules), not kept forever', async () => {
    const neverOpen = fireProcessor({ defaultTimezone: 'UTC', menus: [{ id: 9, hours: { timezone: 'UTC', weekly: {} } }] });
    const id = await storedCall({ scheduled_at: '2030-01-14T09:00:00.000Z', timezone: 'UTC' });
    expect(await neverOpen.process(id, new Date('2030-01-14T09:00:00.000Z'))).toEqual({ kind: 'done' });
    const call = (await calls.get(id))!;
    expect([call.status, call.fail_reason]).toEqual(['canceled', 'outside_calling_rules']);
    expect(offered.filter((c) => c.id === id)).toHaveLength(0);
  });
});
