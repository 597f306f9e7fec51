import type { CallView } from '../src/calls/callView.js';
import type { Dialer } from '../src/dialer/Dialer.js';

/** Records when each callback reaches the dialer (the end of the fire lag). */
export class StopwatchDialer implements Dialer {
  readonly lagsMs: number[] = [];
  lastOfferAt = 0;

  offer(call: CallView): Promise<void> {
    this.lastOfferAt = Date.now();
    this.lagsMs.push(this.lastOfferAt - Date.parse(call.scheduled_at));
    return Promise.resolve();
  }
}
