import type { Logger } from 'pino';
import type { MenuConfig } from '../config/schema.js';
import { toCallView } from '../calls/callView.js';
import type { Dialer } from '../dialer/Dialer.js';
import type { Metrics } from '../observability/Metrics.js';
import type { CrmEffects } from '../queue/CrmEffects.js';
import type { CallRecord, StoredDecision } from '../store/CallRecord.js';
import type { CallStore } from '../store/CallStore.js';
import { describeDecision, type FireEvaluator } from '../policy/FireEvaluator.js';

export interface FireProcessorDeps {
  calls: CallStore;
  evaluator: FireEvaluator;
  effects: CrmEffects;
  dialer: Dialer;
  /** The configured menus (the call object names its menu). */
  menus: readonly MenuConfig[];
  metrics: Metrics;
  logger: Logger;
}

/**
 * What happens when a scheduled callback comes due (SPEC section 4). Each step is safe to repeat: the decision
 * is stored on the call before anything is carried out, side effects are enqueued once per call and outcome,
 * and the dialer sees the same Idempotency-Key if the job is redelivered.
 */
export class FireProcessor {
  constructor(private readonly deps: FireProcessorDeps) {}

  async process(callId: number, now = new Date()): Promise<void> {
    const before = await this.deps.calls.get(callId);
    if (!before || before.status !== 'scheduled') {
      this.deps.logger.debug({ callId, status: before?.status }, 'fire: call no longer scheduled, nothing to do');
      return;
    }
    // From here on the call cannot be canceled by request: cancel and fire never both happen.
    const started = await this.deps.calls.transition(callId, {
      from: ['scheduled'],
      patch: { firing: true },
      events: before.firing ? [] : [{ type: 'fired', detail: null }],
    });
    if (started.result !== 'ok') return;
    let call = started.call;
    if (!before.firing) this.deps.metrics.fireLag.observe(Math.max(0, now.getTime() - Date.parse(call.scheduled_at)) / 1000);

    const decision = call.decision ?? (await this.decide(call));
    call = { ...call, decision };
    const log = this.deps.logger.child({ callId, ticketId: call.ticket_id });

    // Side effects first: if we die after this, the redelivered job finds the same decision and re-requests
    // them (a no-op), instead of finding the call already closed and losing its comment.
    if (call.ticket_id !== null) {
      if (decision.reopen) await this.deps.effects.requestReopen(callId, call.ticket_id);
      else if (decision.comment) await this.deps.effects.requestComment(callId, call.ticket_id, decision.comment);
    }

    if (decision.action === 'dial') {
      await this.deps.dialer.offer(toCallView(call, await this.deps.calls.events(callId, call), this.deps.menus));
      const queued = await this.deps.calls.transition(callId, {
        from: ['scheduled'],
        to: 'queued',
        patch: { queued_at: new Date().toISOString(), firing: false },
        events: [
          { type: 'dialed', detail: 'accepted by the dialer' },
          { type: 'status', detail: 'queued' },
        ],
      });
      if (queued.result === 'ok') log.info({ outcome: 'dial', reopen: decision.reopen }, 'callback handed to the dialer');
      return;
    }

    const closed = await this.deps.calls.transition(callId, {
      from: ['scheduled'],
      to: 'canceled',
      patch: { fail_reason: decision.failReason ?? 'nothing', ends_at: new Date().toISOString(), firing: false },
      events: [{ type: 'canceled', detail: decision.failReason }],
    });
    if (closed.result === 'ok') log.info({ outcome: decision.action, failReason: decision.failReason }, 'callback not dialed');
  }

  private async decide(call: CallRecord): Promise<StoredDecision> {
    const evaluation = await this.deps.evaluator.evaluate(call.ticket_id, call.id);
    const stored: StoredDecision = { ...evaluation.decision, crmStatus: evaluation.crmStatus };
    const events = [];
    if (evaluation.lookupDetail) events.push({ type: 'crm_lookup', detail: evaluation.lookupDetail });
    events.push({ type: 'decision', detail: describeDecision(evaluation.decision) });
    const saved = await this.deps.calls.transition(call.id, { from: ['scheduled'], patch: { decision: stored }, events });
    if (saved.result === 'ok' && saved.call.decision) {
      this.deps.metrics.fired.inc({ outcome: stored.action, fail_reason: stored.failReason ?? 'none' });
      return saved.call.decision;
    }
    return stored;
  }
}
