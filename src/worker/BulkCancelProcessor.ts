import type { CallCanceler, CancelOutcome } from '../queue/CallCanceler.js';
import type { BulkCancelResult, BulkCancelStore } from '../store/BulkCancelStore.js';

const SAVE_EVERY = 50;

/**
 * Works through a bulk cancel. Progress is saved as it goes, so a redelivered job resumes where it stopped; the
 * calls it canceled after the last save are recognised by their cancel marker and still reported as canceled.
 */
export class BulkCancelProcessor {
  constructor(
    private readonly ops: BulkCancelStore,
    private readonly canceler: CallCanceler,
  ) {}

  async process(operationId: string): Promise<void> {
    const op = await this.ops.get(operationId);
    if (!op || op.status === 'completed') return;
    for (const callId of op.call_ids.slice(op.results.length)) {
      const outcome = await this.canceler.cancel(callId, operationId);
      op.results.push({ call_id: callId, result: await this.resultOf(callId, outcome, operationId) });
      if (op.results.length % SAVE_EVERY === 0) await this.ops.save(op);
    }
    op.status = 'completed';
    await this.ops.save(op);
  }

  private async resultOf(callId: number, outcome: CancelOutcome, operationId: string): Promise<BulkCancelResult['result']> {
    if (
      outcome.result === 'not_scheduled' &&
      outcome.status === 'canceled' &&
      (await this.canceler.confirmCanceledBy(callId, operationId))
    ) {
      return 'canceled';
    }
    return outcome.result;
  }
}
