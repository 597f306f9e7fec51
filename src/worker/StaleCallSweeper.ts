import type { Logger } from 'pino';
import type { CallStatus } from '../store/CallRecord.js';
import type { CallStore } from '../store/CallStore.js';

const HANDED_TO_DIALER: readonly CallStatus[] = ['queued', 'assigned', 'connecting', 'connected'];

/**
 * Ends calls the dialer never reported back on. A call stays active for its record until it is finished or
 * failed; one the dialer forgot would otherwise make every later callback for that record be skipped as
 * `active_call_exists`. After `timeoutMs` without reaching a final status it is marked failed (`dialer_timeout`).
 */
export class StaleCallSweeper {
  constructor(
    private readonly calls: CallStore,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async runOnce(now = Date.now()): Promise<number> {
    let ended = 0;
    for (const status of HANDED_TO_DIALER) {
      const { calls } = await this.calls.list({ status, offset: 0, limit: 10_000 });
      for (const call of calls) {
        const since = Date.parse(call.queued_at ?? call.scheduled_at);
        if (now - since < this.timeoutMs) continue;
        const result = await this.calls.transition(call.id, {
          from: [status],
          to: 'failed',
          patch: {
            fail_reason: 'dialer_timeout',
            fail_details: `no final status from the dialer within ${Math.round(this.timeoutMs / 60_000)} minutes`,
            ends_at: new Date(now).toISOString(),
          },
          events: [{ type: 'status', detail: 'failed: dialer_timeout' }],
        });
        if (result.result === 'ok') ended += 1;
      }
    }
    if (ended) this.logger.warn({ ended }, 'ended calls the dialer never reported back on');
    return ended;
  }
}
