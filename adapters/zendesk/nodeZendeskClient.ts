import zendesk from 'node-zendesk';

/**
 * The slice of node-zendesk 6.0.1 the adapter uses, typed locally: the package's own declarations are loose
 * (show() typed as taking a number, getComments() as any[]) and do not describe its quirks.
 *
 * How node-zendesk answers (read from node_modules/node-zendesk/dist/index.js):
 * - get/put resolve to `{ response, result }` where `result` is the body unwrapped from its `ticket` /
 *   `tickets` / `comments` key;
 * - it throws (with `throwOriginalException`, the original Error carrying `statusCode` and `result` = body)
 *   only for 400, 401, 403, 404, 405, 409, 422, 429, 500 and 503; any other status (502, 504, ...)
 *   resolves with the body as if it were a success;
 * - a response carrying a Retry-After header resolves with an Error (statusCode 429 whatever the real status)
 *   as its `result`, and the header value is dropped;
 * - getComments() goes through requestAll(), which follows `next_page` and returns only the bodies, never
 *   the responses, so an error page there is invisible without looking at the transport.
 * That is why the adapter plugs in its own transport (see ZendeskAdapter) and looks at the real responses.
 */

export interface ZendeskTicket {
  id: number;
  status: string;
  [key: string]: unknown;
}

export interface ZendeskComment {
  id: number;
  body: string;
  public: boolean;
  created_at: string;
  [key: string]: unknown;
}

export interface ApiResponse<T> {
  response: { status: number };
  result: T | Error;
}

export interface ZendeskTicketsApi {
  show(ticketId: string | number): Promise<ApiResponse<ZendeskTicket>>;
  showMany(ticketIds: readonly (string | number)[]): Promise<ApiResponse<ZendeskTicket[]>>;
  update(ticketId: string | number, body: unknown): Promise<ApiResponse<ZendeskTicket>>;
  /** Follows pagination; elements may be an Error (Retry-After quirk) or a stray error body. */
  getComments(ticketId: string | number): Promise<unknown[]>;
}

export interface ZendeskClientLike {
  readonly tickets: ZendeskTicketsApi;
}

/** What node-zendesk hands to a custom transport function (the fetch init it would have used). */
export interface TransportInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface ZendeskClientOptions {
  endpointUri: string;
  username?: string;
  token: string;
  useOAuth?: boolean;
  throwOriginalException: true;
  debug: false;
  logger: object;
  transportConfig: {
    transportFn: (uri: string, init: TransportInit) => Promise<Response>;
    responseAdapter: (response: Response) => unknown;
  };
}

export function createZendeskClient(options: ZendeskClientOptions): ZendeskClientLike {
  // The package is CommonJS bundled by esbuild: only the default import carries createClient.
  return zendesk.createClient(options) as unknown as ZendeskClientLike;
}
