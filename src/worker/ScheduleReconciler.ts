import type { Logger } from 'pino';
import type { CallQueues } from '../queue/CallQueues.js';
import { fireJobId } from '../queue/queueNames.js';
import type { CallStore } from '../store/CallStore.js';

/**
 * Makes sure every `scheduled` call has its delayed job. A call is stored before its job is added; if the
 * process died (or Redis failed) in between, this puts the job back, so no callback is ever lost.
 * Adding a job whose id exists is a no-op, so running it often is harmless.
 */
export class ScheduleReconciler {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly calls: CallStore, private readonly queues: CallQueues, private readonly logger: Logger) {}

  async runOnce(): Promise<number> {
    let repaired = 0;
    for (let offset = 0; ; offset += 500) {
      const { calls } = await this.calls.list({ status: 'scheduled', offset, limit: 500 });
      for (const call of calls) {
        if (call.firing) continue;
        const before = await this.queues.fire.getJob(fireJobId(call.id));
        if (before) continue;
        await this.queues.scheduleFire(call.id, new Date(call.scheduled_at));
        repaired += 1;
      }
      if (calls.length < 500) break;
    }
    if (repaired) this.logger.warn({ repaired }, 'restored delayed jobs of scheduled calls');
    return repaired;
  }

  start(intervalMs: number): void {
    const tick = () => {
      this.runOnce().catch((err) => this.logger.warn({ err: (err as Error).message }, 'schedule reconcile failed'));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
