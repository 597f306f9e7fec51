import { describe, expect, it } from 'vitest';
import type { RecordLookup } from '../../src/crm/CrmAdapter.js';
import { InvalidRecordIdError } from '../../src/crm/errors.js';
import type { ResilientCrm } from '../../src/crm/ResilientCrm.js';
import { RecordBatcher } from '../../src/worker/RecordBatcher.js';

/** A CRM that records each batched read and answers at once (or fails when told). */
function recordingCrm(fail = false) {
  const batches: Array<{ ids: string[]; at: number }> = [];
  const crm = {
    isValidRecordId: (id: string) => /^\d+$/.test(id),
    readRecords: (ids: string[]) => {
      batches.push({ ids, at: performance.now() });
      if (fail) return Promise.reject(new Error('CRM down'));
      return Promise.resolve(new Map<string, RecordLookup>(ids.map((id) => [id, { id, state: 'open', rawStatus: 'open' }])));
    },
  };
  return { crm: crm as unknown as ResilientCrm, batches };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RecordBatcher', () => {
  it('sends a full batch at once, without waiting for the window', async () => {
    const { crm, batches } = recordingCrm();
    const batcher = new RecordBatcher(crm, 1000, 3);
    const started = performance.now();
    const found = await Promise.all(['1', '2', '3'].map((id) => batcher.load(id)));
    expect(found.map((r) => r.id)).toEqual(['1', '2', '3']);
    expect(batches.map((b) => b.ids)).toEqual([['1', '2', '3']]);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('reads a lone record once reads stop coming (quiet gap), long before the window ends', async () => {
    const { crm, batches } = recordingCrm();
    const batcher = new RecordBatcher(crm, 1000, 100, 5);
    const started = performance.now();
    await batcher.load('7');
    expect(batches).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(200); // the window is 1,000 ms
  });

  it('keeps reads that come closer together than the quiet gap in one batch, until the window ends', async () => {
    const { crm, batches } = recordingCrm();
    const batcher = new RecordBatcher(crm, 120, 100, 40);
    const started = performance.now();
    const reads: Array<Promise<RecordLookup>> = [];
    for (let i = 0; i < 12; i += 1) {
      reads.push(batcher.load(String(i)));
      await sleep(15); // each read comes well within the 40 ms quiet gap of the previous one
    }
    await Promise.all(reads);
    // The first batch went when the 120 ms window ran out, not later, with every read that came until then.
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(batches[0]!.ids.length).toBeGreaterThan(3);
    expect(batches[0]!.at - started).toBeGreaterThanOrEqual(110);
    expect(batches[0]!.at - started).toBeLessThan(200);
    expect(batches.flatMap((b) => b.ids)).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
  });

  it('refuses a malformed id on its own, without spoiling the batch of the others', async () => {
    const { crm, batches } = recordingCrm();
    const batcher = new RecordBatcher(crm, 50, 100, 2);
    const [bad, good] = await Promise.allSettled([batcher.load('not-an-id'), batcher.load('5')]);
    expect(bad.status === 'rejected' && bad.reason instanceof InvalidRecordIdError).toBe(true);
    expect(good.status).toBe('fulfilled');
    expect(batches.map((b) => b.ids)).toEqual([['5']]);
  });

  it('fails every read of a batch whose CRM request failed', async () => {
    const { crm } = recordingCrm(true);
    const batcher = new RecordBatcher(crm, 50, 100, 2);
    const results = await Promise.allSettled(['1', '2'].map((id) => batcher.load(id)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
