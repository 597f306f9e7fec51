import type { IncomingMessage, ServerResponse } from 'node:http';

/** How much of a refused body is read and thrown away before the connection is dropped anyway. */
export interface LingeringCloseBounds {
  maxBytes: number;
  maxMs: number;
}

/** SPEC 8: up to 64 MB or 10 s. */
export const LINGERING_CLOSE_DEFAULTS: LingeringCloseBounds = { maxBytes: 64 * 1024 * 1024, maxMs: 10_000 };

/**
 * Answers a request whose body is refused while the client is still sending it (a 413), the way nginx's
 * lingering close does: the answer goes out at once with `Connection: close`, then what is still coming is read
 * and thrown away, and only then is the connection closed. Closing a socket with unread bytes makes the kernel
 * reset the connection, and a client that sends its whole body before reading (Node's fetch, Python's urllib)
 * would get EPIPE / ECONNRESET instead of the answer. Past the bounds the connection is dropped.
 */
export class LingeringClose {
  constructor(private readonly bounds: LingeringCloseBounds = LINGERING_CLOSE_DEFAULTS) {}

  answer(request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void {
    const payload = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      connection: 'close',
    });
    // Sent now, ended later: Node closes the connection as soon as a `Connection: close` response ends.
    response.write(payload);
    this.drainThenEnd(request, response);
  }

  private drainThenEnd(request: IncomingMessage, response: ServerResponse): void {
    if (request.complete) {
      response.end();
      return;
    }
    let drained = 0;
    const stop = () => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.socket.off('close', stop);
    };
    const drop = () => {
      stop();
      request.socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > this.bounds.maxBytes) drop();
    };
    const onEnd = () => {
      stop();
      response.end();
    };
    const timer = setTimeout(drop, this.bounds.maxMs);
    timer.unref();
    request.on('data', onData);
    request.once('end', onEnd);
    request.socket.once('close', stop);
    request.resume();
  }
}
