import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallView } from '../../src/calls/callView.js';
import type { RecordLookup } from '../../src/crm/CrmAdapter.js';
import { CrmTransientError, CrmUnreachableError } from '../../src/crm/errors.js';
import { Metrics } from '../../src/observability/Metrics.js';
import { FireEvaluator } from '../../src/policy/FireEvaluator.js';
import { CallQueues } from '../../src/queue/CallQueues.js';
import { CrmEffects } from '../../src/queue/CrmEffects.js';
import { bullConnection } from '../../src/redisConnections.js';
import { CallStore } from '../../src/store/CallStore.js';
import { SettingsStore } from '../../src/store/SettingsStore.js';
import { SideEffectLedger } from '../../src/store/SideEffectLedger.js';
import { FireProcessor } from '../../src/worker/FireProcessor.js';
import { CallingPolicy } from '../../src/schedule/CallingPolicy.js';
import { CallEventPublisher } from '../../src/webhooks/CallEventPublisher.js';
import { capturingLogger } from '../support/captureLogs.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { newCall } from '../support/newCall.js';
import { testConfig } from '../support/testConfig.js';

/**
 * The fire step when the record read fails: a CRM failure is the SPEC's "CRM unreachable" outcome (canceled, the
 * unreachable comment queued), a bug of ours is not — it fails the job, which BullMQ retries (see Workers).
 */
const prefix = uniquePrefix('fire-processor');
const redis = new Redis(TEST_REDIS_URL);
const queues = new CallQueues(bullConnection({ url: TEST_REDIS_URL }, 'worker'), prefix);
const calls = new CallStore(redis, prefix);
const { logger, lines } = capturingLogger();
const offered: CallView[] = [];
/** How the record read ends for the call under test. */
let readRecord: (id: string) => Promise<RecordLookup> = (id) => Promise.resolve({ id, state: 'open', rawStatus: 'open' });
const evaluator = new FireEvaluator({
  provider: 'zendesk',
  readRecord: (id) => readRecord(id),
  recordKey: (id) => id,
  activeCalls: calls,
  policy: new SettingsStore(redis, prefix, 'reopen'),
  logger,
});
const fire = new FireProcessor({
  calls,
  evaluator,
  effects: new CrmEffects(queues, new SideEffectLedger(redis, prefix)),
  dialer: {
    offer: (call) => {
      offered.push(call);
      return Promise.resolve();
    },
  },
  menus: testConfig(prefix).menus,
  calling: new CallingPolicy(testConfig(prefix)),
  events: new CallEventPublisher(null, calls, [], logger),
  metrics: new Metrics(false),
  logger,
});

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

async function dueCall(ticket: string): Promise<number> {
  const call = newCall(ticket, { scheduled_at: new Date().toISOString() });
  const created = await calls.create(call, new Date());
  if (!created.created) throw new Error('setup: the ticket already has a scheduled call');
  return created.call.id;
}

/** Every CRM side-effect job asked for, in whatever state. */
async function crmEffectJobs(): Promise<number> {
  const counts = await queues.crmEffects.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

const errorLogs = () =>
  lines.map((line) => JSON.parse(line) as { level: number; ticketId?: string; err?: { type?: string } }).filter((l) => l.level >= 50);

describe('FireProcessor when the record read fails', () => {
  it('a bug (TypeError) fails the fire step: the call is not canceled, no comment is asked for, the error is logged', async () => {
    const id = await dueCall('2001');
    const bug = new TypeError("Cannot read properties of undefined (reading 'status')");
    readRecord = () => Promise.reject(bug);

    await expect(fire.process(id)).rejects.toBe(bug);

    const call = (await calls.get(id))!;
    expect([call.status, call.fail_reason, call.decision]).toEqual(['scheduled', 'nothing', null]);
    const events = (await calls.events(id)).map((e) => e.type);
    expect(events).not.toContain('canceled');
    expect(events).not.toContain('decision');
    expect(await crmEffectJobs()).toBe(0);
    expect(offered).toEqual([]);
    expect(errorLogs()).toMatchObject([{ ticketId: '2001', err: { type: 'TypeError', message: bug.message } }]);

    // BullMQ's retry of the job decides afresh once the bug no longer bites.
    readRecord = (ticket) => Promise.resolve({ id: ticket, state: 'open', rawStatus: 'open' });
    await fire.process(id);
    expect((await calls.get(id))!.status).toBe('queued');
    expect(offered.map((c) => c.id)).toEqual([id]);
  });

  it.each([
    ['2002', 'the retry budget spent', new CrmUnreachableError('zendesk unreachable after 3 attempt(s): 503')],
    ['2003', 'a transient failure', new CrmTransientError('zendesk answered HTTP 503', { status: 503 })],
  ])('a CRM failure (%s: %s) cancels the call as crm_unreachable and asks for the unreachable comment', async (ticket, _case, failure) => {
    const id = await dueCall(ticket);
    readRecord = () => Promise.reject(failure);
    const jobsBefore = await crmEffectJobs();
    const errorsBefore = errorLogs().length;

    await fire.process(id);

    const call = (await calls.get(id))!;
    expect([call.status, call.fail_reason]).toEqual(['canceled', 'crm_unreachable']);
    expect(await queues.crmEffects.getJob(`fx-${id}-comment-crm_unreachable`)).toMatchObject({
      data: { kind: 'comment', callId: id, ticketId: ticket, comment: 'crm_unreachable' },
    });
    expect(await crmEffectJobs()).toBe(jobsBefore + 1);
    expect(offered.map((c) => c.id)).not.toContain(id);
    expect(errorLogs()).toHaveLength(errorsBefore);
  });
});
