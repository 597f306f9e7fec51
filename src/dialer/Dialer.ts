import type { CallView } from '../calls/callView.js';

/** Hands a due call to whatever places the phone call. */
export interface Dialer {
  /** Resolves once the dialer has accepted the call; throws DialerUnavailableError otherwise. */
  offer(call: CallView): Promise<void>;
  /** Lets go of its connections (on shutdown). */
  close?(): Promise<void>;
}

/** The dialer did not accept the call (network error, timeout, non-2xx) after the inline retries. */
export class DialerUnavailableError extends Error {
  override readonly name = 'DialerUnavailableError';
}
