import type { CallRecord } from '../store/CallRecord.js';
import type { CallStore } from '../store/CallStore.js';
import type { CallQueues } from './CallQueues.js';

export type CancelOutcome =
  { result: 'canceled'; call: CallRecord } | { result: 'not_found' } | { result: 'not_scheduled'; status: string };

/** Cancels a scheduled call by request; shared by the single and the bulk cancel endpoints. */
export class CallCanceler {
  constructor(
    private readonly calls: CallStore,
    private readonly queues: CallQueues,
  ) {}

  async cancel(callId: number): Promise<CancelOutcome> {
    const outcome = await this.calls.transition(callId, {
      from: ['scheduled'],
      to: 'canceled',
      refuseWhenFiring: true, // the job already runs: its decision stands
      patch: { fail_reason: 'canceled_by_request', ends_at: new Date().toISOString() },
      events: [{ type: 'canceled', detail: 'canceled_by_request' }],
    });
    if (outcome.result === 'missing') return { result: 'not_found' };
    if (outcome.result === 'conflict') return { result: 'not_scheduled', status: outcome.status };
    await this.queues.unscheduleFire(callId);
    return { result: 'canceled', call: outcome.call };
  }
}
