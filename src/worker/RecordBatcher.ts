import type { RecordLookup } from '../crm/CrmAdapter.js';
import { InvalidRecordIdError } from '../crm/errors.js';
import type { ResilientCrm } from '../crm/ResilientCrm.js';

interface Waiter {
  id: string;
  resolve: (r: RecordLookup) => void;
  reject: (e: unknown) => void;
}

/**
 * No new read for this long means the callbacks due together have all asked: the batch goes without waiting out
 * the window. A lone callback (a steady trickle) is then read within a couple of milliseconds, while a burst, whose
 * reads come far closer together, still fills whole batches.
 */
export const BATCH_QUIET_MS = 2;

/**
 * Gathers the record reads of callbacks that come due together (the worker runs many at once) into one
 * batched CRM read. A batch goes when it is full, when reads stop coming for BATCH_QUIET_MS, or when the window
 * since its first read has passed, whichever comes first.
 */
export class RecordBatcher {
  private waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;
  private lastAt = 0;

  constructor(
    private readonly crm: ResilientCrm,
    private readonly windowMs: number,
    private readonly maxBatch: number,
    private readonly quietMs = BATCH_QUIET_MS,
  ) {}

  load(id: string): Promise<RecordLookup> {
    // A malformed id is refused on its own, so it cannot spoil the batch of the callbacks due with it.
    if (!this.crm.isValidRecordId(id)) return Promise.reject(new InvalidRecordIdError(id));
    return new Promise((resolve, reject) => {
      this.lastAt = performance.now();
      if (this.waiting.length === 0) this.firstAt = this.lastAt;
      this.waiting.push({ id, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.onTimer(), Math.min(this.quietMs, this.windowMs));
    });
  }

  /** One timer at a time (not one per read): when it fires, either the batch is due or it is set again. */
  private onTimer(): void {
    this.timer = undefined;
    const now = performance.now();
    const dueAt = Math.min(this.lastAt + this.quietMs, this.firstAt + this.windowMs);
    if (now >= dueAt - 0.5) this.flush();
    else this.timer = setTimeout(() => this.onTimer(), dueAt - now);
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
