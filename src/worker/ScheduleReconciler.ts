import type { Logger } from 'pino';
import type { CallQueues } from '../queue/CallQueues.js';
import { fireJobId } from '../queue/queueNames.js';
import type { CallStore } from '../store/CallStore.js';

/**
 * Makes sure every `scheduled` call has a live fire job. A call is stored before its job is added; if the
 * process died (or Redis failed) in between, this puts the job back. A call whose job has failed while the
 * call is still `scheduled` (its failure could not be recorded) gets the job retried: the fire step carries
 * on from the decision stored on the call. So no callback is ever lost or left blocking its record.
 */
export class ScheduleReconciler {
  constructor(
    private readonly calls: CallStore,
    private readonly queues: CallQueues,
    private readonly logger: Logger,
  ) {}

  async runOnce(): Promise<number> {
    let repaired = 0;
    for (let offset = 0; ; offset += 500) {
      const { calls } = await this.calls.list({ status: 'scheduled', offset, limit: 500 });
      for (const call of calls) {
        const job = await this.queues.fire.getJob(fireJobId(call.id));
        if (!job) {
          await this.queues.scheduleFire(call.id, new Date(call.scheduled_at));
          repaired += 1;
        } else if ((await job.getState()) === 'failed') {
          await job.retry('failed');
          repaired += 1;
        }
      }
      if (calls.length < 500) break;
    }
    if (repaired) this.logger.warn({ repaired }, 'restored delayed jobs of scheduled calls');
    return repaired;
  }
}
