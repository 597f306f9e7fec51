import type { Logger } from 'pino';
import type { CallView } from '../calls/callView.js';
import { maskPhone } from '../observability/logger.js';
import type { Dialer } from './Dialer.js';

/** Demo dialer: logs the call it would place. */
export class LogDialer implements Dialer {
  constructor(private readonly logger: Logger) {}

  offer(call: CallView): Promise<void> {
    this.logger.info(
      { callId: call.id, number: maskPhone(call.end_user_number), ticketId: call.out_ticket_id },
      'dialer (log): call placed',
    );
    return Promise.resolve();
  }
}
