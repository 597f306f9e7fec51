import type { RecordLookup } from '../crm/CrmAdapter.js';
import { InvalidRecordIdError } from '../crm/errors.js';
import type { ResilientCrm } from '../crm/ResilientCrm.js';

interface Waiter {
  id: string;
  resolve: (r: RecordLookup) => void;
  reject: (e: unknown) => void;
}

/**
 * Gathers the record reads of callbacks that come due together (the worker runs many at once) into one
 * batched CRM read: a short window, or a full batch, whichever comes first.
 */
export class RecordBatcher {
  private waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly crm: ResilientCrm,
    private readonly windowMs: number,
    private readonly maxBatch: number,
  ) {}

  load(id: string): Promise<RecordLookup> {
    // A malformed id is refused on its own, so it cannot spoil the batch of the callbacks due with it.
    if (!this.crm.isValidRecordId(id)) return Promise.reject(new InvalidRecordIdError(id));
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    this.crm.readRecords(batch.map((w) => w.id)).then(
      (found) => batch.forEach((w) => w.resolve(found.get(w.id)!)),
      (err) => batch.forEach((w) => w.reject(err)),
    );
  }
}
