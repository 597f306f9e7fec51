import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import type { CallView } from '../calls/callView.js';
import { DialerUnavailableError, type Dialer } from './Dialer.js';

export interface WebhookDialerConfig {
  url: string;
  secret: string;
  timeoutMs: number;
}

/** `X-Signature` value: sha256=<hex HMAC-SHA256 of the raw body>. Exported for receivers and tests. */
export function signBody(rawBody: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

const INLINE_ATTEMPTS = 3;

/**
 * POSTs the call object to the dialer, signed, with `Idempotency-Key: call-<id>` so that the rare second offer
 * (process died between the dialer's 2xx and the call becoming `queued`) is recognisable as the same call.
 * A few quick retries here; beyond that the fire job's own retries take over.
 */
export class WebhookDialer implements Dialer {
  /** Keep-alive connections to the dialer, reused by every offer (many calls are handed over at once in a burst). */
  private readonly pool: Pool;
  private readonly path: string;

  constructor(
    private readonly config: WebhookDialerConfig,
    private readonly logger: Logger,
  ) {
    const url = new URL(config.url);
    this.path = `${url.pathname}${url.search}`;
    this.pool = new Pool(url.origin, { connections: 64, headersTimeout: config.timeoutMs, bodyTimeout: config.timeoutMs });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  async offer(call: CallView): Promise<void> {
    const body = JSON.stringify(call);
    const headers = {
      'Content-Type': 'application/json',
      'X-Signature': signBody(body, this.config.secret),
      'Idempotency-Key': `call-${call.id}`,
    };
    let lastProblem = '';
    for (let attempt = 1; attempt <= INLINE_ATTEMPTS; attempt += 1) {
      try {
        const res = await this.pool.request({
          method: 'POST',
          path: this.path,
          headers,
          body,
          signal: AbortSignal.timeout(this.config.timeoutMs),
        });
        await res.body.dump(); // the connection goes back to the pool only once the answer is read
        if (res.statusCode >= 200 && res.statusCode < 300) return;
        lastProblem = `dialer answered ${res.statusCode}`;
      } catch (err) {
        lastProblem = `dialer not reachable: ${(err as Error).message}`;
      }
      this.logger.warn({ callId: call.id, attempt, problem: lastProblem }, 'dialer did not accept the call');
      if (attempt < INLINE_ATTEMPTS) await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
    }
    throw new DialerUnavailableError(lastProblem);
  }
}
