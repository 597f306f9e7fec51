import type { Logger } from 'pino';
import type { CallQueues } from '../queue/CallQueues.js';
import type { CallingPolicy } from '../schedule/CallingPolicy.js';
import type { CallRecord } from '../store/CallRecord.js';
import type { CallStore } from '../store/CallStore.js';
import type { CallEventPublisher } from '../webhooks/CallEventPublisher.js';
import { callZones } from './callZones.js';
import { CallNotFoundError, NotReschedulableError, OutsideCallingRulesError } from './errors.js';
import { outcomeEventKeys } from '../webhooks/outcomeEventKeys.js';

export interface CallReschedulerDeps {
  calls: CallStore;
  queues: CallQueues;
  calling: CallingPolicy;
  events: CallEventPublisher;
  logger: Logger;
}

/** A store step lost to another change of `scheduled_at` (a reschedule, a fire-time deferral): tried again once. */
const ATTEMPTS = 2;

/** The `rescheduled` event's detail (SPEC 9.1: old → new). */
export const describeReschedule = (oldIso: string, newIso: string) => `${oldIso} → ${newIso}`;

/**
 * Moves a scheduled call to another time (SPEC 9.1). The time has been checked to be a future instant by the
 * caller; here: the call exists (404), is `scheduled` and its fire job has not decided yet (409), the new time is
 * within the calling rules in the call's zones (400 of 9.3). Then one atomic store step, guarded by the status,
 * the fire job's `firing` mark and the `scheduled_at` that was read and checked: a reschedule and a fire never
 * both happen. Throws the lifecycle errors (CallRefusedError), which the API answers as they are.
 */
export class CallRescheduler {
  constructor(private readonly deps: CallReschedulerDeps) {}

  async reschedule(id: number, scheduledAt: Date, now: Date): Promise<CallRecord> {
    const newIso = scheduledAt.toISOString();
    for (let attempt = 1; ; attempt++) {
      const call = await this.deps.calls.get(id);
      if (!call) throw new CallNotFoundError();
      if (call.status !== 'scheduled' || call.firing) throw new NotReschedulableError();
      this.checkCallingRules(call, scheduledAt);

      const outcome = await this.deps.calls.transition(
        id,
        {
          from: ['scheduled'],
          refuseWhenFiring: true,
          ifScheduledAt: call.scheduled_at,
          patch: { scheduled_at: newIso, first_scheduled_at: call.first_scheduled_at ?? call.scheduled_at },
          events: [{ type: 'rescheduled', detail: describeReschedule(call.scheduled_at, newIso) }],
          announce: this.deps.events.announcing('call.rescheduled', outcomeEventKeys.rescheduled(id, now)),
        },
        now,
      );
      if (outcome.result === 'missing') throw new CallNotFoundError();
      if (outcome.result === 'conflict') {
        // `rescheduled`: its time changed since it was read (another reschedule, a deferral); read it again.
        if (outcome.status === 'rescheduled' && attempt < ATTEMPTS) continue;
        throw new NotReschedulableError();
      }
      await this.moveFireJob(id, scheduledAt, now);
      this.deps.logger.info({ callId: id, from: call.scheduled_at, to: newIso }, 'call rescheduled');
      await this.deps.events.publish('call.rescheduled', outcome.call, outcomeEventKeys.rescheduled(id, now));
      return outcome.call;
    }
  }

  /** SPEC 9.3: a client-chosen time outside the rules is refused with the next allowed time, never moved. */
  private checkCallingRules(call: CallRecord, at: Date): void {
    const { calling } = this.deps;
    if (!calling.hasRules(call.menu_id)) return;
    const check = calling.check({ menuId: call.menu_id, zones: callZones(call) }, at);
    if (!check.allowed) throw new OutsideCallingRulesError(check.next);
  }

  /**
   * The call is already stored with its new time; this moves the delayed job to match. Should that fail (Redis
   * hiccup) the error goes up and the client is told 503, yet the call stays right: a job left at the old time
   * fires early and the fire step finds the call not due, putting the job back until the new time (a job already
   * due or running is left to that same step by rescheduleFire); a job that is missing is added by the
   * reconciler, which watches the call until its job is known to be there.
   */
  private async moveFireJob(id: number, at: Date, now: Date): Promise<void> {
    await this.deps.calls.needsJobCheck(id, now.getTime());
    await this.deps.queues.rescheduleFire(id, at, now.getTime());
    // Not awaited: should it be lost, the reconciler finds the job there and drops the mark itself.
    void this.deps.calls.jobStored(id).catch(() => undefined);
  }
}
