import type { CrmCommentKey } from '../policy/crmComments.js';
import type { SideEffectLedger } from '../store/SideEffectLedger.js';
import type { CallQueues, CrmEffectJobData } from './CallQueues.js';

/**
 * Asks for CRM side effects: each is enqueued once per call and outcome, as its own durable job.
 * `fire` comments belong to the call's own fire-time outcome; `refusal` comments are written when a new
 * request was refused because of this (scheduled) call — at most once per active scheduled call.
 */
export class CrmEffects {
  constructor(
    private readonly queues: CallQueues,
    private readonly ledger: SideEffectLedger,
  ) {}

  requestComment(callId: number, ticketId: string, comment: CrmCommentKey, origin: 'fire' | 'refusal' = 'fire'): Promise<boolean> {
    const effect = `${origin === 'fire' ? 'comment' : 'refusal-comment'}-${comment}`;
    return this.request({ kind: 'comment', effect, callId, ticketId, comment });
  }

  requestReopen(callId: number, ticketId: string): Promise<boolean> {
    return this.request({ kind: 'reopen', effect: 'reopen', callId, ticketId });
  }

  private async request(data: CrmEffectJobData): Promise<boolean> {
    const first = await this.ledger.request(data.callId, data.effect);
    const state = first ? null : await this.ledger.get(data.callId, data.effect);
    // Re-add when an earlier request placed its mark but died before adding the job (same job id: no duplicate).
    if (first || state?.state === 'requested') {
      await this.queues.addCrmEffect(`fx-${data.callId}-${data.effect}`, data);
    }
    return first;
  }
}
