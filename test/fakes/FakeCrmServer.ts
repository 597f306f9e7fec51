import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Base of the loopback servers that imitate each CRM's REST API (test/fakes/<Vendor>FakeServer.ts).
 * It owns what every vendor fake shares: listening on 127.0.0.1, the request log, and the failure modes
 * (down = 503, refuse = nothing listening on the port, slow, rate-limited, unauthorized, hold_response). Vendor
 * subclasses implement `route()` with the vendor's paths, bodies and headers.
 */

/** Which requests a mode applies to, e.g. `(m, p) => m === 'PUT'`; `p` is pathname + search. */
export type RequestMatcher = (method: string, path: string) => boolean;

export type FakeMode =
  | { kind: 'normal' }
  | { kind: 'down' } // every request answers 503 with the vendor's error body
  | { kind: 'refuse' } // connection refused: the port is closed until the mode changes
  | { kind: 'slow'; delayMs: number } // answers, but only after delayMs
  | { kind: 'rate_limited'; retryAfterSeconds: number; times?: number } // 429 + Retry-After (times: then normal)
  | { kind: 'unauthorized' } // 401 with the vendor's auth error body
  /**
   * The request is carried out at once (route() runs: a comment is stored, a record read) but the answer is
   * held for delayMs: the client's outcome is unknown, as when a worker dies mid-request. Requests that do not
   * match `matching` (default: all) are answered normally. Held answers are dropped when the server stops.
   */
  | { kind: 'hold_response'; delayMs: number; matching?: RequestMatcher };

export interface SeedRecord {
  /** Zendesk: numeric string; ServiceNow: 32-hex sys_id (number derived); Salesforce: 18-char Case id. */
  id: string;
  closed: boolean;
  /** Raw vendor status; defaults to the vendor's usual open / closed status. */
  status?: string;
}

export interface LoggedRequest {
  method: string;
  path: string; // pathname + search, as received
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

export interface JsonReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export abstract class FakeCrmServer {
  readonly requests: LoggedRequest[] = [];
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private mode: FakeMode = { kind: 'normal' };
  private rateLimitedLeft = 0;
  /** Releases the answers held by `hold_response`, so that stop() does not wait for them. */
  private readonly releaseHeld = new Set<() => void>();

  /** Base URL to configure the adapter with (instanceUrl / url as the vendor's config expects). */
  abstract get baseUrl(): string;
  /** The `crm` config section that points the product at this fake. */
  abstract crmConfig(): Record<string, unknown>;
  /** Adds a record; returns its id as a caller would pass it as ticket_id. */
  abstract addRecord(record: SeedRecord): string;
  /** The record's raw status now (to check a reopen), undefined when unknown. */
  abstract recordStatus(id: string): string | undefined;
  /** Bodies of the comments written to the record, oldest first. */
  abstract commentsOn(id: string): string[];

  /** The vendor's answer to one request in normal mode. */
  protected abstract route(method: string, url: URL, body: unknown, headers: http.IncomingHttpHeaders): JsonReply | Promise<JsonReply>;
  /** The vendor's body for a 503 / 401 / 429. */
  protected abstract errorBody(status: 503 | 401 | 429): unknown;
  /** Extra headers the vendor puts on a 429 (e.g. X-RateLimit-*). */
  protected rateLimitHeaders(): Record<string, string> {
    return {};
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await this.listen();
  }

  async stop(): Promise<void> {
    await this.close();
  }

  async setMode(mode: FakeMode): Promise<void> {
    const wasRefusing = this.mode.kind === 'refuse';
    this.mode = mode;
    if (mode.kind === 'rate_limited') this.rateLimitedLeft = mode.times ?? Number.POSITIVE_INFINITY;
    if (mode.kind === 'refuse' && !wasRefusing) await this.close();
    if (mode.kind !== 'refuse' && wasRefusing) await this.listen();
  }

  /** Requests whose path contains `fragment` (handy for counting batch reads). */
  requestsTo(fragment: string): LoggedRequest[] {
    return this.requests.filter((r) => r.path.includes(fragment));
  }

  private listen(): Promise<void> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private close(): Promise<void> {
    for (const release of this.releaseHeld) release();
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /** Waits `ms`, or less when the server stops first. */
  private hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.releaseHeld.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.releaseHeld.add(release);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    if (raw && String(req.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const url = new URL(req.url ?? '/', this.origin);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname + url.search, body, headers: req.headers });

    let reply: JsonReply;
    const mode = this.mode;
    if (mode.kind === 'slow') await new Promise((r) => setTimeout(r, mode.delayMs));
    if (mode.kind === 'down') {
      reply = { status: 503, body: this.errorBody(503) };
    } else if (mode.kind === 'unauthorized') {
      reply = { status: 401, body: this.errorBody(401) };
    } else if (mode.kind === 'rate_limited' && this.rateLimitedLeft > 0) {
      this.rateLimitedLeft -= 1;
      reply = {
        status: 429,
        body: this.errorBody(429),
        headers: { 'Retry-After': String(mode.retryAfterSeconds), ...this.rateLimitHeaders() },
      };
    } else {
      try {
        reply = await this.route(method, url, body, req.headers);
      } catch (err) {
        reply = { status: 500, body: { message: String(err) } };
      }
      if (mode.kind === 'hold_response' && (mode.matching?.(method, url.pathname + url.search) ?? true)) {
        await this.hold(mode.delayMs);
      }
    }
    if (res.destroyed) return;
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...(payload ? { 'Content-Type': 'application/json;charset=UTF-8' } : {}),
      ...reply.headers,
    });
    res.end(payload);
  }
}
