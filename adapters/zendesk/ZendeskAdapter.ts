import type { Logger } from 'pino';
import type { ZendeskConfig } from '../../src/config/schema.js';
import type { CrmAdapter, CrmRequestContext, RecordLookup } from '../../src/crm/CrmAdapter.js';
import type { CrmAdapterDeps } from '../../src/crm/CrmAdapterDeps.js';
import { CrmRejectedError, CrmTransientError, InvalidRecordIdError, RecordNotFoundError, type CrmError } from '../../src/crm/errors.js';
import { classifyZendeskHttpError, classifyZendeskNetworkError, type ZendeskHttpFailure } from './classifyZendeskError.js';
import {
  createZendeskClient,
  type TransportInit,
  type ZendeskClientLike,
  type ZendeskComment,
  type ZendeskTicket,
} from './nodeZendeskClient.js';

/** Zendesk ticket ids are positive integers; 15 digits keeps them exact as JS numbers and in URLs. */
const TICKET_ID = /^[1-9][0-9]{0,14}$/;
/** GET /api/v2/tickets/show_many.json takes at most 100 ids. */
const SHOW_MANY_LIMIT = 100;

/** node-zendesk must never write to the console (its debug output would include the Authorization header). */
const SILENT = { fatal() {}, error() {}, warn() {}, info() {}, debug() {}, trace() {} };

type Credentials = { username: string; token: string } | { token: string; useOAuth: true };

/**
 * The CRM port for Zendesk Support, through node-zendesk 6.0.1. One call = one attempt: node-zendesk does not
 * retry by itself (its only related option, `throttle`, is left off), and retries live in ResilientCrm.
 *
 * Each call builds a client whose transport is Node's fetch with the call's abort signal, which is how
 * ctx.signal / ctx.timeoutMs reach the socket, and which records every HTTP status and Retry-After so that
 * errors are classified from what Zendesk actually answered (node-zendesk misreports several of them).
 */
export class ZendeskAdapter implements CrmAdapter {
  readonly provider = 'zendesk' as const;
  readonly maxBatchSize = SHOW_MANY_LIMIT;

  private readonly endpointUri: string;
  private readonly credentials: Credentials;
  private readonly closedStatuses: ReadonlySet<string>;
  private readonly logger: Logger;

  constructor(config: ZendeskConfig, deps: CrmAdapterDeps) {
    this.endpointUri = normaliseEndpoint(config.url);
    if (config.oauthToken) this.credentials = { token: config.oauthToken, useOAuth: true };
    else if (config.email && config.token) this.credentials = { username: config.email, token: config.token };
    else throw new Error('crm.zendesk needs either email + token (API token) or oauthToken');
    this.closedStatuses = new Set(config.closedStatuses.map((s) => s.toLowerCase()));
    this.logger = deps.logger.child({ crm: 'zendesk' });
  }

  /** Ticket ids are plain integers without leading zeros: one spelling only. */
  canonicalRecordId(id: string): string {
    return id;
  }

  isValidRecordId(id: string): boolean {
    return typeof id === 'string' && TICKET_ID.test(id);
  }

  async readRecords(ids: readonly string[], ctx: CrmRequestContext): Promise<Map<string, RecordLookup>> {
    for (const id of ids) this.assertValidId(id);
    const unique = [...new Set(ids)];
    const result = new Map<string, RecordLookup>();
    if (unique.length === 1) {
      // One id: GET /tickets/{id}.json, where a 404 plainly means "no such ticket".
      const id = unique[0]!;
      try {
        const { result: ticket } = await this.call(ctx, 'read', id, (client) => client.tickets.show(id));
        result.set(id, this.toLookup(id, expectTicket(ticket)));
      } catch (err) {
        if (!(err instanceof RecordNotFoundError)) throw err;
        result.set(id, { id, state: 'not_found', rawStatus: null });
      }
      return result;
    }
    for (let i = 0; i < unique.length; i += SHOW_MANY_LIMIT) {
      const chunk = unique.slice(i, i + SHOW_MANY_LIMIT);
      const { result: tickets } = await this.call(ctx, 'read', undefined, (client) => client.tickets.showMany(chunk));
      if (!Array.isArray(tickets)) throw unexpectedAnswer('show_many');
      // show_many leaves unknown (or deleted) ids out of its answer.
      const byId = new Map(tickets.map((t) => expectTicket(t)).map((t) => [String(t.id), t]));
      for (const id of chunk) {
        const ticket = byId.get(id);
        result.set(id, ticket ? this.toLookup(id, ticket) : { id, state: 'not_found', rawStatus: null });
      }
    }
    return result;
  }

  async addComment(id: string, body: string, ctx: CrmRequestContext): Promise<void> {
    this.assertValidId(id);
    // public: false makes it an internal note (SPEC section 2); Zendesk's default would be a public reply.
    const { result: ticket } = await this.call(ctx, 'comment', id, (client) =>
      client.tickets.update(id, { ticket: { comment: { body, public: false } } }),
    );
    expectTicket(ticket); // anything else (a proxy's 200 page) did not write the comment
  }

  async hasCommentSince(id: string, body: string, since: Date, ctx: CrmRequestContext): Promise<boolean> {
    this.assertValidId(id);
    const comments = await this.call(ctx, 'find-comment', id, (client) => client.tickets.getComments(id));
    if (!Array.isArray(comments)) throw unexpectedAnswer('comments');
    // Zendesk's created_at has whole seconds: a comment written 300 ms after `since` shows as before it.
    const from = Math.floor(since.getTime() / 1000) * 1000;
    const wanted = body.trim();
    for (const item of comments) {
      const comment = expectComment(item);
      // Compared trimmed because Zendesk may strip surrounding whitespace from a comment body.
      if (comment.body.trim() === wanted && Date.parse(comment.created_at) >= from) return true;
    }
    return false;
  }

  reopen(_id: string, _ctx: CrmRequestContext): Promise<void> {
    return Promise.reject(new CrmRejectedError('reopen is not supported for zendesk'));
  }

  private assertValidId(id: string): void {
    if (!this.isValidRecordId(id)) throw new InvalidRecordIdError(id);
  }

  private toLookup(id: string, ticket: ZendeskTicket): RecordLookup {
    const closed = this.closedStatuses.has(ticket.status.toLowerCase());
    return { id, state: closed ? 'closed' : 'open', rawStatus: ticket.status };
  }

  /**
   * Runs one node-zendesk call (possibly several HTTP requests, e.g. comment pages) under ctx, and turns
   * whatever went wrong into the port's typed errors.
   */
  private async call<T>(
    ctx: CrmRequestContext,
    op: string,
    ticketId: string | undefined,
    fn: (client: ZendeskClientLike) => Promise<T>,
  ): Promise<T> {
    // An explicit timer, not AbortSignal.timeout(): a timeout signal only held by AbortSignal.any() can be garbage
    // collected before it fires (Node), and then the request waits for as long as the CRM takes.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), ctx.timeoutMs);
    const signal = AbortSignal.any([ctx.signal, deadline.signal]);
    try {
      return await this.callWithin(signal, ctx.timeoutMs, op, ticketId, fn);
    } finally {
      clearTimeout(timer);
    }
  }

  private async callWithin<T>(
    signal: AbortSignal,
    timeoutMs: number,
    op: string,
    ticketId: string | undefined,
    fn: (client: ZendeskClientLike) => Promise<T>,
  ): Promise<T> {
    let failure: ZendeskHttpFailure | undefined;
    const client = createZendeskClient({
      endpointUri: this.endpointUri,
      ...this.credentials,
      throwOriginalException: true,
      debug: false,
      logger: SILENT,
      transportConfig: {
        transportFn: async (uri: string, init: TransportInit) => {
          // Only what fetch needs: node-zendesk's init also carries every client option, token included.
          const response = await fetch(uri, { method: init.method, headers: init.headers, body: init.body, signal });
          if (!response.ok && !failure) failure = { status: response.status, retryAfter: response.headers.get('retry-after') };
          return response;
        },
        responseAdapter: (response: Response) => ({
          json: () => response.json(),
          status: response.status,
          headers: { get: (name: string) => response.headers.get(name) },
          statusText: response.statusText,
        }),
      },
    });

    let value: T;
    try {
      value = await fn(client);
    } catch (err) {
      const error = failure
        ? classifyZendeskHttpError(failure, bodyOf(err), ticketId)
        : classifyZendeskNetworkError(err, signal.aborted, timeoutMs);
      throw this.logged(op, ticketId, error);
    }
    // node-zendesk resolves on 502/504/... and on anything carrying Retry-After (429 included): not a success.
    if (failure) throw this.logged(op, ticketId, classifyZendeskHttpError(failure, bodyOf(value), ticketId));
    return value;
  }

  private logged(op: string, ticketId: string | undefined, err: CrmError): CrmError {
    this.logger.debug({ op, ticketId, status: err.status, errorType: err.name, err: err.message }, 'zendesk request failed');
    return err;
  }
}

function normaliseEndpoint(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  // Accept the bare instance URL too; the API lives under /api/v2.
  return new URL(trimmed).pathname === '/' ? `${trimmed}/api/v2` : trimmed;
}

/** The error body node-zendesk attached (`result`), or the body it resolved with. */
function bodyOf(value: unknown): unknown {
  if (value instanceof Error) return (value as { result?: unknown }).result;
  if (Array.isArray(value)) return bodyOf(value.find((v) => v instanceof Error) ?? value[0]);
  if (value && typeof value === 'object' && 'result' in value) return bodyOf(value.result);
  return value;
}

function expectTicket(value: unknown): ZendeskTicket {
  const t = value as Partial<ZendeskTicket> | null;
  if (!t || typeof t !== 'object' || typeof t.id !== 'number' || typeof t.status !== 'string') throw unexpectedAnswer('ticket');
  return t as ZendeskTicket;
}

function expectComment(value: unknown): ZendeskComment {
  const c = value as Partial<ZendeskComment> | null;
  if (!c || typeof c !== 'object' || typeof c.body !== 'string' || typeof c.created_at !== 'string') throw unexpectedAnswer('comment');
  return c as ZendeskComment;
}

/** A 2xx that does not look like Zendesk (a proxy page, a 200 carrying Retry-After): try again later. */
function unexpectedAnswer(what: string): CrmTransientError {
  return new CrmTransientError(`zendesk answered with something that is not a ${what}`);
}
