import type { Logger } from 'pino';
import { CrmError } from '../crm/errors.js';
import type { ResilientCrm } from '../crm/ResilientCrm.js';
import type { Metrics } from '../observability/Metrics.js';
import { CRM_COMMENTS } from '../policy/crmComments.js';
import { CRM_EFFECT_GIVE_UP_MS, type CrmEffectJobData } from '../queue/CallQueues.js';
import type { CrmEffects } from '../queue/CrmEffects.js';
import type { SideEffectLedger } from '../store/SideEffectLedger.js';

export interface CrmEffectProcessorDeps {
  crm: ResilientCrm;
  /** How far each effect got, and where its outcome is recorded on the call. */
  ledger: SideEffectLedger;
  /** Where a reopen asks for its comment. */
  effects: CrmEffects;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Carries out one CRM side effect, exactly once per call and outcome:
 * - done already → nothing;
 * - a previous attempt's outcome is unknown (worker died mid-request) → ask the CRM whether the comment is
 *   there before writing it again;
 * - a permanent refusal (a CrmError that is not retryable: closed Zendesk ticket, record gone) → recorded as
 *   undeliverable, never retried;
 * - anything else (CRM down, Redis away, a bug) → thrown, and BullMQ retries with backoff for up to 24 hours.
 */
export class CrmEffectProcessor {
  constructor(private readonly deps: CrmEffectProcessorDeps) {}

  async process(data: CrmEffectJobData, firstQueuedAt: number, now = Date.now()): Promise<void> {
    const { effect } = data;
    const log = this.deps.logger.child({ callId: data.callId, ticketId: data.ticketId, effect });
    const state = await this.deps.ledger.get(data.callId, effect);
    if (state.state === 'done' || state.state === 'undeliverable') return;

    if (now - firstQueuedAt > CRM_EFFECT_GIVE_UP_MS) {
      await this.undeliverable(data, effect, 'gave up after 24 hours of CRM errors');
      return;
    }

    try {
      if (data.kind === 'comment') {
        const body = CRM_COMMENTS[data.comment];
        if (
          state.state === 'attempting' &&
          (await this.deps.crm.hasCommentSince(data.ticketId, body, new Date(state.since.getTime() - 60_000)))
        ) {
          log.info('comment found on the record after an interrupted attempt; not writing it again');
        } else {
          await this.deps.ledger.markAttempting(data.callId, effect, new Date());
          await this.deps.crm.addComment(data.ticketId, body);
        }
        await this.deps.ledger.finish(data.callId, effect, 'done', { type: 'comment_written', detail: body });
        this.deps.metrics.crmEffects.inc({ kind: 'comment', result: 'done' });
        log.info({ comment: data.comment }, 'CRM comment written');
      } else {
        await this.deps.ledger.markAttempting(data.callId, effect, new Date());
        await this.deps.crm.reopen(data.ticketId); // setting the open status twice is harmless
        // The comment is asked for before the reopen counts as done: a worker dying in between must leave a
        // redelivered job that asks again (a no-op if it was asked), not a done reopen whose comment is lost.
        await this.deps.effects.requestComment(data.callId, data.ticketId, 'reopened');
        await this.deps.ledger.finish(data.callId, effect, 'done', { type: 'reopened', detail: `record ${data.ticketId} reopened` });
        this.deps.metrics.crmEffects.inc({ kind: 'reopen', result: 'done' });
        log.info('CRM record reopened');
      }
    } catch (err) {
      if (err instanceof CrmError && !err.retryable) {
        await this.undeliverable(data, effect, err.message);
        return;
      }
      this.deps.metrics.crmEffects.inc({ kind: data.kind, result: 'retry' });
      log.warn({ err: (err as Error).message }, 'CRM side effect failed; will retry');
      throw err;
    }
  }

  private async undeliverable(data: CrmEffectJobData, effect: string, reason: string): Promise<void> {
    const what = data.kind === 'comment' ? CRM_COMMENTS[data.comment] : 'reopen';
    await this.deps.ledger.finish(data.callId, effect, 'undeliverable', {
      type: data.kind === 'comment' ? 'comment_undeliverable' : 'reopen_failed',
      detail: `${what} — ${reason}`,
    });
    this.deps.metrics.crmEffects.inc({ kind: data.kind, result: 'undeliverable' });
    this.deps.logger.warn({ callId: data.callId, ticketId: data.ticketId, effect, reason }, 'CRM side effect undeliverable; not retried');
  }
}
