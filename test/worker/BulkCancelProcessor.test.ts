import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CallCanceler } from '../../src/queue/CallCanceler.js';
import { CallQueues } from '../../src/queue/CallQueues.js';
import { BulkCancelStore } from '../../src/store/BulkCancelStore.js';
import { CallStore } from '../../src/store/CallStore.js';
import { BulkCancelProcessor } from '../../src/worker/BulkCancelProcessor.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { newCall } from '../support/newCall.js';

const prefix = uniquePrefix('bulkcancel');
const redis = new Redis(TEST_REDIS_URL);
const calls = new CallStore(redis, prefix);
const queues = new CallQueues({ url: TEST_REDIS_URL }, prefix);
const ops = new BulkCancelStore(redis, prefix);

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

async function scheduledCalls(n: number, tag: string): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const created = await calls.create(newCall(`${tag}-${i}`), new Date());
    if (!created.created) throw new Error('setup: duplicate');
    ids.push(created.call.id);
  }
  return ids;
}

/** A canceler whose process dies (throws) right after its `n`-th cancel reached Redis, before the result is saved. */
class CrashingCanceler extends CallCanceler {
  private count = 0;
  constructor(private readonly crashAfter: number) {
    super(calls, queues);
  }
  override async cancel(callId: number, bulkOperationId?: string) {
    const outcome = await super.cancel(callId, bulkOperationId);
    this.count += 1;
    if (this.count === this.crashAfter) throw new Error('worker died');
    return outcome;
  }
}

describe('BulkCancelProcessor', () => {
  it('reports every call right after a crash mid-operation and a redelivered job', async () => {
    const ids = await scheduledCalls(80, 'crash');
    const finished = await scheduledCalls(1, 'done');
    await calls.transition(finished[0]!, { from: ['scheduled'], to: 'canceled' });
    const unknown = 99_999_999;
    const op = await ops.create([...ids.slice(0, 70), finished[0]!, unknown, ...ids.slice(70)]);

    // Dies after 63 cancels: progress was saved at 50, so 13 calls are canceled but not yet reported.
    await expect(new BulkCancelProcessor(ops, new CrashingCanceler(63)).process(op.id)).rejects.toThrow('worker died');
    expect((await ops.get(op.id))!.results).toHaveLength(50);

    await new BulkCancelProcessor(ops, new CallCanceler(calls, queues)).process(op.id);
    const done = (await ops.get(op.id))!;
    expect(done.status).toBe('completed');
    expect(done.results).toEqual([
      ...ids.slice(0, 70).map((id) => ({ call_id: id, result: 'canceled' })),
      { call_id: finished[0], result: 'not_scheduled' },
      { call_id: unknown, result: 'not_found' },
      ...ids.slice(70).map((id) => ({ call_id: id, result: 'canceled' })),
    ]);
    for (const id of ids) expect((await calls.get(id))!.status).toBe('canceled');
  });

  it('still reports a call canceled by someone else (or another operation) as not_scheduled', async () => {
    const [id] = await scheduledCalls(1, 'other');
    await new CallCanceler(calls, queues).cancel(id!); // a single cancel by request
    const other = await ops.create([id!]);
    await new CallCanceler(calls, queues).cancel(id!, 'another-operation');
    await new BulkCancelProcessor(ops, new CallCanceler(calls, queues)).process(other.id);
    expect((await ops.get(other.id))!.results).toEqual([{ call_id: id, result: 'not_scheduled' }]);
  });
});
