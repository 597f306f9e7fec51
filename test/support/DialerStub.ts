import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallView } from '../../src/calls/callView.js';

export interface DialRequest {
  rawBody: string;
  /** The call as the dialer receives it. */
  body: CallView;
  headers: http.IncomingHttpHeaders;
}

/** A loopback dialer webhook that records what it receives; can be told to fail. */
export class DialerStub {
  readonly received: DialRequest[] = [];
  /** Status to answer with (200 by default). */
  status = 200;
  /** Milliseconds to hold each answer (to keep a dial in flight). */
  delayMs = 0;
  /** Statuses for the next requests, used before `status` (e.g. [503, 503] then 200). */
  readonly nextStatuses: number[] = [];
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        this.received.push({ rawBody, body: JSON.parse(rawBody) as CallView, headers: req.headers });
        const status = this.nextStatuses.shift() ?? this.status;
        setTimeout(() => res.writeHead(status, { 'Content-Type': 'application/json' }).end('{}'), this.delayMs);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dial`;
  }

  forCall(id: number): DialRequest[] {
    return this.received.filter((r) => r.body.id === id);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
