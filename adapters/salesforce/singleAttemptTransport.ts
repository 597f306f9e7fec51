import { AsyncLocalStorage } from 'node:async_hooks';
import type { Duplex } from 'node:stream';
import type { HttpMethods, HttpRequest, HttpRequestOptions } from 'jsforce';
import { Transport } from 'jsforce/lib/transport.js';

/** What the transport learns about the HTTP exchanges of one adapter call. */
export interface CallScope {
  /** Absolute time (ms) after which no request of this call may still be waiting. */
  deadline: number;
  /**
   * Status and headers of the latest response of this call. jsforce's errors carry the body's errorCode but
   * neither the HTTP status nor Retry-After, so they are picked up here. Requests of one call run one after
   * the other, so "latest" is the one that failed.
   */
  lastResponse?: { statusCode: number; headers: Record<string, string> } | undefined;
}

/** Carries the current adapter call into jsforce's transport, which has no per-call parameter of its own. */
export const callScope = new AsyncLocalStorage<CallScope>();

/**
 * jsforce (lib/request.js) retries GET/PUT/HEAD/OPTIONS/DELETE up to 5 times on 420/429/5xx and network errors,
 * with 0.5 s doubling waits, and retries 420 twice even with maxRetries 0. An empty `methods` list is checked
 * first and turns all of it off, so one adapter call is one attempt and ResilientCrm alone decides on retries.
 */
const NO_RETRY: NonNullable<HttpRequestOptions['retry']> = { maxRetries: 0, methods: [] as HttpMethods[] };

/**
 * The transport every request of the adapter (REST and OAuth token endpoint) goes through: no retries, a timeout
 * bounded by the call's deadline (jsforce aborts the socket itself, instead of its 30-minute default), and the
 * response status/headers recorded on the call scope.
 */
export class SingleAttemptTransport extends Transport {
  override getRequestStreamCreator(): (req: HttpRequest, options: HttpRequestOptions) => Duplex {
    const create = super.getRequestStreamCreator();
    return (req, options) => {
      const scope = callScope.getStore();
      const timeout = scope ? Math.max(1, scope.deadline - Date.now()) : options.timeout;
      if (scope) scope.lastResponse = undefined;
      const stream = create(req, { ...options, retry: NO_RETRY, ...(timeout === undefined ? {} : { timeout }) });
      if (scope) {
        stream.on('response', (res: { statusCode: number; headers: Record<string, string> }) => {
          scope.lastResponse = { statusCode: res.statusCode, headers: res.headers };
        });
      }
      return stream;
    };
  }
}
