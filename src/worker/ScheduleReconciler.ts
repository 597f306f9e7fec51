import type { Logger } from 'pino';
import type { CallQueues } from '../queue/CallQueues.js';
import { fireJobId } from '../queue/queueNames.js';
import type { CallStore } from '../store/CallStore.js';

/** A call may be stored for this long before its job is added (the API adds it right after). */
const GRACE_MS = 30_000;
const PAGE = 100;

/**
 * Makes sure every `scheduled` call has a live fire job, looking only at the few calls that may not: those
 * stored whose job was not (yet) confirmed, and those whose job failed for good while the call stayed
 * `scheduled` (see CallStore's `pending` index). A missing job is added again; a failed one is retried (the
 * fire step carries on from the decision stored on the call). So no callback is lost or left blocking its record.
 */
export class ScheduleReconciler {
  constructor(
    private readonly calls: CallStore,
    private readonly queues: CallQueues,
    private readonly logger: Logger,
  ) {}

  async runOnce(now = Date.now()): Promise<number> {
    let repaired = 0;
    for (const shard of this.calls.shards.all()) {
      for (const id of await this.calls.dueIn('pending', shard, now - GRACE_MS, PAGE)) {
        if (await this.repair(id)) repaired += 1;
      }
    }
    if (repaired) this.logger.warn({ repaired }, 'restored delayed jobs of scheduled calls');
    return repaired;
  }

  private async repair(id: number): Promise<boolean> {
    const call = await this.calls.get(id);
    let repaired = false;
    if (call?.status === 'scheduled') {
      const job = await this.queues.fireQueueOf(id).getJob(fireJobId(id));
      if (!job) {
        await this.queues.scheduleFire(id, new Date(call.scheduled_at));
        repaired = true;
      } else if ((await job.getState()) === 'failed') {
        await job.retry('failed');
        repaired = true;
      }
    }
    await this.calls.forget('pending', id);
    return repaired;
  }
}
