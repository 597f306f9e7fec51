import type { CallCanceler } from '../queue/CallCanceler.js';
import type { BulkCancelStore } from '../store/BulkCancelStore.js';

/** Works through a bulk cancel; progress is saved as it goes, so a redelivered job resumes where it stopped. */
export class BulkCancelProcessor {
  constructor(
    private readonly ops: BulkCancelStore,
    private readonly canceler: CallCanceler,
  ) {}

  async process(operationId: string): Promise<void> {
    const op = await this.ops.get(operationId);
    if (!op || op.status === 'completed') return;
    for (const callId of op.call_ids.slice(op.results.length)) {
      const outcome = await this.canceler.cancel(callId);
      op.results.push({ call_id: callId, result: outcome.result });
      if (op.results.length % 50 === 0) await this.ops.save(op);
    }
    op.status = 'completed';
    await this.ops.save(op);
  }
}
