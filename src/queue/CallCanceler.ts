import type { CallRecord } from '../store/CallRecord.js';
import type { CallStore } from '../store/CallStore.js';
import type { CallEventPublisher } from '../webhooks/CallEventPublisher.js';
import type { CallQueues } from './CallQueues.js';
import { outcomeEventKeys } from '../webhooks/outcomeEventKeys.js';

export type CancelOutcome =
  { result: 'canceled'; call: CallRecord } | { result: 'not_found' } | { result: 'not_scheduled'; status: string };

/** The `fail_details` of a call canceled by a bulk operation: it lets a redelivered operation know its own work. */
export const bulkCancelDetails = (operationId: string) => `canceled by bulk operation ${operationId}`;

/**
 * Cancels a scheduled call by request; shared by the single and the bulk cancel endpoints. Each cancel is told to
 * the webhook endpoints as `call.canceled` (fail_reason `canceled_by_request`) once the call is canceled.
 * Without `events` (some tests) no event is published.
 */
export class CallCanceler {
  constructor(
    private readonly calls: CallStore,
    private readonly queues: CallQueues,
    private readonly events?: CallEventPublisher,
  ) {}

  async cancel(callId: number, bulkOperationId?: string): Promise<CancelOutcome> {
    const outcome = await this.calls.transition(callId, {
      from: ['scheduled'],
      to: 'canceled',
      refuseWhenFiring: true, // the job already runs: its decision stands
      patch: {
        fail_reason: 'canceled_by_request',
        fail_details: bulkOperationId ? bulkCancelDetails(bulkOperationId) : null,
        ends_at: new Date().toISOString(),
      },
      events: [{ type: 'canceled', detail: 'canceled_by_request' }],
      announce: this.events?.announcing('call.canceled', outcomeEventKeys.canceled(callId)),
    });
    if (outcome.result === 'missing') return { result: 'not_found' };
    if (outcome.result === 'conflict') return { result: 'not_scheduled', status: outcome.status };
    await this.queues.unscheduleFire(callId);
    await this.events?.publish('call.canceled', outcome.call, outcomeEventKeys.canceled(callId));
    return { result: 'canceled', call: outcome.call };
  }

  /**
   * True when the call was canceled by that bulk operation (a redelivered operation must report it as canceled).
   * The operation may have died between the cancel and its event: the event is published again, which adds
   * nothing when it was queued already (same event key).
   */
  async confirmCanceledBy(callId: number, bulkOperationId: string): Promise<boolean> {
    const call = await this.calls.get(callId);
    if (call?.status !== 'canceled' || call.fail_details !== bulkCancelDetails(bulkOperationId)) return false;
    await this.events?.publish('call.canceled', call, outcomeEventKeys.canceled(callId));
    return true;
  }
}
