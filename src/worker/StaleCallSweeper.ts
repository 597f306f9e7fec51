import type { Logger } from 'pino';
import type { CallStore } from '../store/CallStore.js';
import type { CallEventPublisher } from '../webhooks/CallEventPublisher.js';
import { outcomeEventKeys } from '../webhooks/outcomeEventKeys.js';

const PAGE = 100;

/**
 * Ends calls the dialer never reported back on. A call stays active for its record until it is finished or
 * failed; one the dialer forgot would otherwise make every later callback for that record be skipped as
 * `active_call_exists`. After `timeoutMs` without reaching a final status it is marked failed (`dialer_timeout`).
 * Only the calls handed to the dialer longest ago are read (CallStore's `dialing` index), a page at a time.
 * Each call it fails is told to the webhook endpoints as `call.failed` (without `events`, in some tests, it is not).
 */
export class StaleCallSweeper {
  constructor(
    private readonly calls: CallStore,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly events?: CallEventPublisher,
  ) {}

  async runOnce(now = Date.now()): Promise<number> {
    let ended = 0;
    for (const shard of this.calls.shards.all()) {
      for (;;) {
        const ids = await this.calls.dueIn('dialing', shard, now - this.timeoutMs, PAGE);
        for (const id of ids) if (await this.end(id, now)) ended += 1;
        if (ids.length < PAGE) break;
      }
    }
    if (ended) this.logger.warn({ ended }, 'ended calls the dialer never reported back on');
    return ended;
  }

  private async end(id: number, now: number): Promise<boolean> {
    const result = await this.calls.transition(id, {
      from: ['queued', 'assigned', 'connecting', 'connected'],
      to: 'failed',
      patch: {
        fail_reason: 'dialer_timeout',
        fail_details: `no final status from the dialer within ${Math.round(this.timeoutMs / 60_000)} minutes`,
        ends_at: new Date(now).toISOString(),
      },
      events: [{ type: 'status', detail: 'failed: dialer_timeout' }],
      announce: this.events?.announcing('call.failed', outcomeEventKeys.failed(id)),
    });
    if (result.result !== 'ok') {
      await this.calls.forget('dialing', id); // already final (or gone)
      return false;
    }
    await this.events?.publish('call.failed', result.call, outcomeEventKeys.failed(id));
    return true;
  }
}
