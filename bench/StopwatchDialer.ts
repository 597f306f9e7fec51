import type { CallView } from '../src/calls/callView.js';
import type { Dialer } from '../src/dialer/Dialer.js';
import { LagStopwatch } from './LagStopwatch.js';

/** Records when each callback reaches the dialer (the end of the fire lag: scheduled_at → dialer). */
export class StopwatchDialer extends LagStopwatch implements Dialer {
  offer(call: CallView): Promise<void> {
    this.record(Date.parse(call.scheduled_at));
    return Promise.resolve();
  }
}
