import type { CrmAdapter, CrmRequestContext, RecordLookup } from '../../src/crm/CrmAdapter.js';
import { CrmRejectedError, CrmTransientError, RecordNotFoundError } from '../../src/crm/errors.js';

/** Runs `work` as a vendor call would run: its result resolves, its throw rejects (never a synchronous throw). */
const asVendorCall = <T>(work: () => T): Promise<T> => new Promise<T>((resolve) => resolve(work()));

/**
 * An in-test implementation of the CRM port (issue 2: proves the whole flow before the vendor adapters).
 * Records are open/closed with a raw status; `down` makes every call a transient failure.
 */
export class InMemoryCrm implements CrmAdapter {
  readonly maxBatchSize = 50;
  readonly records = new Map<string, { closed: boolean; status: string }>();
  readonly comments: Array<{ id: string; body: string; at: Date }> = [];
  readonly reopened: string[] = [];
  readonly readBatches: string[][] = [];
  down = false;
  /** Reads answered with a permanent refusal (e.g. a 400 for a field the org does not have). */
  rejectReads = false;
  /** Ids whose comments the CRM refuses for good (like a closed Zendesk ticket). */
  readonly refuseCommentsOn = new Set<string>();

  constructor(readonly provider: 'salesforce' | 'zendesk' | 'servicenow') {}

  canonicalRecordId(id: string): string {
    return id;
  }

  isValidRecordId(id: string): boolean {
    return /^[A-Za-z0-9]{1,18}$/.test(id);
  }

  readRecords(ids: readonly string[], _ctx: CrmRequestContext): Promise<Map<string, RecordLookup>> {
    return asVendorCall(() => {
      if (this.down) throw new CrmTransientError('CRM down (503)', { status: 503 });
      if (this.rejectReads) throw new CrmRejectedError('invalid field Status', { status: 400 });
      this.readBatches.push([...ids]);
      return new Map(
        ids.map((id) => {
          const r = this.records.get(id);
          return [id, r ? { id, state: r.closed ? 'closed' : 'open', rawStatus: r.status } : { id, state: 'not_found', rawStatus: null }];
        }),
      );
    });
  }

  addComment(id: string, body: string): Promise<void> {
    return asVendorCall(() => {
      if (this.down) throw new CrmTransientError('CRM down (503)', { status: 503 });
      if (!this.records.has(id)) throw new RecordNotFoundError(id);
      if (this.refuseCommentsOn.has(id)) throw new CrmRejectedError('closed prevents ticket update', { status: 422 });
      this.comments.push({ id, body, at: new Date() });
    });
  }

  hasCommentSince(id: string, body: string, since: Date): Promise<boolean> {
    return asVendorCall(() => {
      if (this.down) throw new CrmTransientError('CRM down (503)', { status: 503 });
      return this.comments.some((c) => c.id === id && c.body === body && c.at >= since);
    });
  }

  reopen(id: string): Promise<void> {
    return asVendorCall(() => {
      if (this.down) throw new CrmTransientError('CRM down (503)', { status: 503 });
      const r = this.records.get(id);
      if (!r) throw new RecordNotFoundError(id);
      r.closed = false;
      r.status = 'Working';
      this.reopened.push(id);
    });
  }

  commentsOn(id: string): string[] {
    return this.comments.filter((c) => c.id === id).map((c) => c.body);
  }
}
