import type { Logger } from 'pino';
import type { MenuConfig } from '../config/schema.js';
import { toCallView } from '../calls/callView.js';
import type { Dialer } from '../dialer/Dialer.js';
import type { Metrics } from '../observability/Metrics.js';
import type { CrmEffects } from '../queue/CrmEffects.js';
import { callZones } from '../lifecycle/callZones.js';
import { describeDeferral } from '../lifecycle/deferral.js';
import type { CallingPolicy } from '../schedule/CallingPolicy.js';
import type { CallEvent, CallRecord, StoredDecision } from '../store/CallRecord.js';
import type { CallEventPublisher } from '../webhooks/CallEventPublisher.js';
import type { OutcomeEventType } from '../webhooks/WebhookEndpoint.js';
import { eventAt, type CallStore, type FireView, type TransitionRequest, type UpdateResult } from '../store/CallStore.js';
import type { ClosedRecordPolicy } from '../policy/ClosedRecordPolicy.js';
import { describeDecision, type FireEvaluator } from '../policy/FireEvaluator.js';
import { outcomeEventKeys } from '../webhooks/outcomeEventKeys.js';

export interface FireProcessorDeps {
  calls: CallStore;
  evaluator: FireEvaluator;
  effects: CrmEffects;
  dialer: Dialer;
  /** The configured menus (the call object names its menu). */
  menus: readonly MenuConfig[];
  /** Calling window and business hours: a call outside them when due is moved, not dialled (SPEC 9.3). */
  calling: CallingPolicy;
  /** Outcome events (SPEC 9.4). */
  events: CallEventPublisher;
  metrics: Metrics;
  logger: Logger;
}

/** What became of a fire job: done (whatever the outcome), or the call is not due yet (it was moved later). */
export type FireOutcome = { kind: 'done' } | { kind: 'not_due'; dueAt: Date };

/** What a call's implicit `scheduled` event keeps showing once its time has been moved. */
const firstScheduledAt = (call: CallRecord) => call.first_scheduled_at ?? call.scheduled_at;

/** BullMQ may start a delayed job a little before its time by our clock; earlier than this means it was moved. */
const EARLY_TOLERANCE_MS = 1000;

/**
 * What happens when a scheduled callback comes due (SPEC section 4). Each step is safe to repeat: the decision
 * is stored on the call before anything is carried out, side effects are enqueued once per call and outcome,
 * and the dialer sees the same Idempotency-Key if the job is redelivered.
 *
 * Redis round trips on the way to the dialer: one read (call, events, the record's active calls; the policy in
 * the same write), one write (decision, `firing`), one write after the dialer accepted (`queued`).
 */
export class FireProcessor {
  constructor(private readonly deps: FireProcessorDeps) {}

  async process(callId: number, now = new Date()): Promise<FireOutcome> {
    const [view, salesforcePolicy] = await Promise.all([this.deps.calls.fireView(callId), this.deps.evaluator.currentPolicy()]);
    if (!view || view.call.status !== 'scheduled') {
      this.deps.logger.debug({ callId, status: view?.call.status }, 'fire: call no longer scheduled, nothing to do');
      return { kind: 'done' };
    }
    const dueAt = new Date(view.call.scheduled_at);
    if (!view.call.decision && dueAt.getTime() > now.getTime() + EARLY_TOLERANCE_MS) return { kind: 'not_due', dueAt };
    if (!view.call.decision && this.deps.calling.hasRules(view.call.menu_id)) {
      // Judged at the due time when the job starts a little early: a call due at a window's opening is not outside it.
      const at = new Date(Math.max(now.getTime(), dueAt.getTime()));
      const check = this.deps.calling.check({ menuId: view.call.menu_id, zones: await this.customerZones(view.call) }, at);
      if (!check.allowed) return this.defer(view, check.next, check.reason, now);
    }

    const decided = view.call.decision ? { call: view.call, events: view.events } : await this.decide(view, salesforcePolicy, now);
    if (decided === 'rescheduled') return this.followReschedule(callId);
    if (!decided) return { kind: 'done' };
    await this.carryOut(decided.call, decided.call.decision!, decided.events);
    return { kind: 'done' };
  }

  /**
   * The zones the window is read in. A number with several zones was stored with all of them, judged against the
   * window in force then; should today's window hold at no instant in all of them, SPEC 9.3 reads it in
   * defaultTimezone (without this, a config change would cancel such a call instead of deferring it).
   */
  private async customerZones(call: CallRecord): Promise<string[]> {
    const zones = callZones(call);
    if (zones.length <= 1) return zones;
    const current = await this.deps.calling.customerTimezone({ menuId: call.menu_id, e164: call.end_user_number, requested: null });
    return current.zones;
  }

  /**
   * Due outside the calling window or business hours (the config changed since it was scheduled): moved to the next
   * allowed time, still `scheduled` (SPEC 9.3). A cancel or reschedule that came first wins.
   */
  private async defer(
    { call, events }: FireView,
    next: Date | null,
    reason: Parameters<typeof describeDeferral>[0],
    now: Date,
  ): Promise<FireOutcome> {
    const guard = { from: ['scheduled'] as const, refuseWhenFiring: true, ifScheduledAt: call.scheduled_at };
    if (!next) {
      // No allowed instant within the horizon: a configuration that never lets the call through. Ended, not kept forever.
      const ended = await this.changeAndPublish(call, events, 'call.canceled', outcomeEventKeys.canceled(call.id), {
        ...guard,
        to: 'canceled',
        patch: { fail_reason: 'outside_calling_rules', ends_at: now.toISOString() },
        events: [{ type: 'canceled', detail: `outside_calling_rules: ${reason}, no allowed time within 14 days` }],
      });
      if (ended.result === 'ok')
        this.deps.logger.warn({ callId: call.id, reason }, 'callback canceled: no allowed time to call within 14 days');
      return { kind: 'done' };
    }
    const moved = await this.changeAndPublish(call, events, 'call.deferred', outcomeEventKeys.deferred(call.id, next), {
      ...guard,
      patch: { scheduled_at: next.toISOString(), first_scheduled_at: firstScheduledAt(call) },
      events: [{ type: 'deferred', detail: describeDeferral(reason, next) }],
    });
    if (moved.result === 'conflict' && moved.status === 'rescheduled') return this.followReschedule(call.id);
    if (moved.result !== 'ok') return { kind: 'done' };
    this.deps.logger.info({ callId: call.id, reason, until: next.toISOString() }, 'callback deferred');
    return { kind: 'not_due', dueAt: next };
  }

  /**
   * Evaluates and stores the decision with `firing` in one step. From then on the call can no longer be canceled
   * or rescheduled; a cancel or reschedule that came first makes this step refuse, and the job ends here.
   */
  private async decide(
    view: FireView,
    salesforcePolicy: ClosedRecordPolicy,
    now: Date,
  ): Promise<{ call: CallRecord; events: CallEvent[] } | 'rescheduled' | null> {
    const { call } = view;
    const evaluation = await this.deps.evaluator.evaluate(call.ticket_id, call.id, { salesforcePolicy, activeCallIds: view.activeCallIds });
    const stored: StoredDecision = { ...evaluation.decision, crmStatus: evaluation.crmStatus };
    const newEvents = [
      ...(call.firing ? [] : [{ type: 'fired', detail: null }]),
      ...(evaluation.lookupDetail ? [{ type: 'crm_lookup', detail: evaluation.lookupDetail }] : []),
      { type: 'decision', detail: describeDecision(evaluation.decision) },
    ];
    const decidedAt = new Date();
    const saved = await this.deps.calls.update(
      call.id,
      { from: ['scheduled'], ifScheduledAt: call.scheduled_at, patch: { decision: stored, firing: true }, events: newEvents },
      decidedAt,
    );
    if (saved.result !== 'ok') {
      this.deps.logger.debug({ callId: call.id, result: saved.result }, 'fire: the call changed before the decision was stored');
      return saved.result === 'conflict' && saved.status === 'rescheduled' ? 'rescheduled' : null;
    }
    this.deps.metrics.fireLag.observe(Math.max(0, now.getTime() - Date.parse(call.scheduled_at)) / 1000);
    this.deps.metrics.fired.inc({ outcome: stored.action, fail_reason: stored.failReason ?? 'none' });
    const at = decidedAt.toISOString();
    return { call: { ...call, decision: stored, firing: true }, events: [...view.events, ...newEvents.map((e) => eventAt(at, e))] };
  }

  /**
   * The call was rescheduled after this step read it. Its job is running, so the reschedule could not move it:
   * the job follows the call to its new time here (ending it would leave the call with no job, never dialled).
   */
  private async followReschedule(callId: number): Promise<FireOutcome> {
    const call = await this.deps.calls.get(callId);
    if (call?.status !== 'scheduled' || call.firing) return { kind: 'done' };
    return { kind: 'not_due', dueAt: new Date(call.scheduled_at) };
  }

  private async carryOut(call: CallRecord, decision: StoredDecision, events: CallEvent[]): Promise<void> {
    const callId = call.id;
    // Side effects first: if we die after this, the redelivered job finds the same decision and re-requests
    // them (a no-op), instead of finding the call already closed and losing its comment.
    if (call.ticket_id !== null) {
      if (decision.reopen) await this.deps.effects.requestReopen(callId, call.ticket_id);
      else if (decision.comment) await this.deps.effects.requestComment(callId, call.ticket_id, decision.comment);
    }

    if (decision.action === 'dial') {
      await this.deps.dialer.offer(toCallView(call, events, this.deps.menus));
      const queued = await this.changeAndPublish(call, events, 'call.queued', outcomeEventKeys.queued(callId), {
        from: ['scheduled'],
        to: 'queued',
        patch: { queued_at: new Date().toISOString(), firing: false },
        events: [
          { type: 'dialed', detail: 'accepted by the dialer' },
          { type: 'status', detail: 'queued' },
        ],
      });
      if (queued.result === 'ok') {
        this.deps.logger.info(
          { callId, ticketId: call.ticket_id, outcome: 'dial', reopen: decision.reopen },
          'callback handed to the dialer',
        );
      }
      return;
    }

    const closed = await this.changeAndPublish(call, events, 'call.canceled', outcomeEventKeys.canceled(callId), {
      from: ['scheduled'],
      to: 'canceled',
      patch: { fail_reason: decision.failReason ?? 'nothing', ends_at: new Date().toISOString(), firing: false },
      events: [{ type: 'canceled', detail: decision.failReason }],
    });
    if (closed.result === 'ok') {
      this.deps.logger.info(
        { callId, ticketId: call.ticket_id, outcome: decision.action, failReason: decision.failReason },
        'callback not dialed',
      );
    }
  }

  /**
   * Applies a change to the call and, when an endpoint wants its outcome event, announces the event in the same
   * store step (should this job die before publishing it, the OutboxRelay does) and publishes it with the call as it
   * now is, built from what this step already holds (the store does not send the call back, and is not read again).
   */
  private async changeAndPublish(
    call: CallRecord,
    events: readonly CallEvent[],
    type: OutcomeEventType,
    eventKey: string,
    change: TransitionRequest,
  ): Promise<UpdateResult> {
    const at = new Date();
    const announce = this.deps.events.announcing(type, eventKey);
    const result = await this.deps.calls.update(call.id, announce.length ? Object.assign({}, change, { announce }) : change, at);
    if (result.result === 'ok' && announce.length > 0) {
      // Object.assign, not `{ ...call, ...patch }`: V8 copies a second spread property by property (several µs a call).
      const changed: CallRecord = Object.assign({}, call, change.patch, { status: change.to ?? call.status });
      await this.deps.events.publish(type, changed, eventKey, [...events, ...(change.events ?? []).map((e) => eventAt(at, e))]);
    }
    return result;
  }
}
