import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface WebhookDelivery {
  /** The request's path (and query). */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as received. */
  rawBody: string;
  /** What this receiver answered. */
  status: number;
  /** Whether standardwebhooks' `verify` accepted the delivery with the receiver's secret; else why not. */
  verified: boolean;
  verifyError?: string;
}

const header = (headers: http.IncomingHttpHeaders, name: string): string => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
};

/**
 * A loopback Standard Webhooks receiver for tests: records every delivery (headers and raw body), checks its
 * signature with the `standardwebhooks` package, answers 200 or what it is told, and can go down (connections
 * refused) and come back on the same port.
 */
export class WebhookReceiver {
  readonly deliveries: WebhookDelivery[] = [];
  /** Status to answer with (200 by default). */
  status = 200;
  /** Statuses for the next deliveries, used before `status` (e.g. [500, 500] then 200). */
  readonly nextStatuses: number[] = [];
  /** Milliseconds to hold the answer to the next deliveries (a receiver too slow for the sender's timeout). */
  readonly nextHoldsMs: number[] = [];
  private readonly verifier: Webhook;
  private server: http.Server | undefined;
  private port = 0;

  constructor(
    readonly secret: string,
    private readonly path = '/hooks',
  ) {
    this.verifier = new Webhook(secret);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}${this.path}`;
  }

  /** Listens on a free loopback port (the same one again after `down`). */
  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const status = this.nextStatuses.shift() ?? this.status;
        this.deliveries.push({ path: req.url ?? '', headers: req.headers, rawBody, status, ...this.verify(rawBody, req.headers) });
        // A redirect points at this receiver itself (`<path>/moved`): a sender that follows it shows up there.
        const location = status >= 300 && status < 400 ? { location: `${this.url}/moved` } : {};
        const answer = () => res.writeHead(status, { 'content-type': 'text/plain', ...location }).end(status < 300 ? 'ok' : 'not now');
        const holdMs = this.nextHoldsMs.shift();
        if (holdMs === undefined) answer();
        else setTimeout(() => !res.destroyed && answer(), holdMs);
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening: deliveries meet a refused connection until `start` is called again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The deliveries of one event (one `webhook-id`). */
  deliveriesOf(webhookId: string): WebhookDelivery[] {
    return this.deliveries.filter((d) => d.headers['webhook-id'] === webhookId);
  }

  private verify(rawBody: string, headers: http.IncomingHttpHeaders): Pick<WebhookDelivery, 'verified' | 'verifyError'> {
    const signed = {
      'webhook-id': header(headers, 'webhook-id'),
      'webhook-timestamp': header(headers, 'webhook-timestamp'),
      'webhook-signature': header(headers, 'webhook-signature'),
    };
    try {
      this.verifier.verify(rawBody, signed, { jsonParse: false });
      return { verified: true };
    } catch (err) {
      return { verified: false, verifyError: (err as Error).message };
    }
  }
}
