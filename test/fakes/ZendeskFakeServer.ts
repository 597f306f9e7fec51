import type http from 'node:http';
import { FakeCrmServer, type JsonReply, type SeedRecord } from './FakeCrmServer.js';

/**
 * Loopback imitation of the Zendesk Support REST API (`/api/v2/...`), as far as the adapter uses it:
 *
 * - GET /api/v2/tickets/{id}.json                 `{ticket}`; 404 RecordNotFound when absent
 * - GET /api/v2/tickets/show_many.json?ids=1,2,3  `{tickets, next_page, previous_page, count}`; unknown ids are
 *                                                 left out; at most 100 ids
 * - PUT /api/v2/tickets/{id}.json                 `{ticket: {comment?: {body, public}, status?}}`; a comment is
 *                                                 public unless `public: false` (Zendesk's default); a ticket in
 *                                                 status `closed` refuses every update with 422
 * - GET /api/v2/tickets/{id}/comments.json        `{comments, next_page, previous_page, count}`, offset
 *                                                 pagination (page, per_page <= 100, sort_order), oldest first;
 *                                                 next_page is a full URL as Zendesk sends it
 *
 * Timestamps have whole seconds ("2024-05-01T10:00:00Z") like Zendesk's. Auth: Basic `email/token:TOKEN` or
 * `Bearer OAUTH_TOKEN`; anything else is 401 `{"error":"Couldn't authenticate you"}`.
 */

export interface ZendeskFakeOptions {
  email?: string;
  token?: string;
  oauthToken?: string;
}

export interface FakeComment {
  id: number;
  body: string;
  public: boolean;
  /** ISO 8601 with whole seconds, as Zendesk sends it. */
  created_at: string;
}

interface Ticket {
  id: number;
  status: string;
  subject: string;
  created_at: string;
  updated_at: string;
  comments: FakeComment[];
}

const STATUSES = new Set(['new', 'open', 'pending', 'hold', 'solved', 'closed']);
const SHOW_MANY_LIMIT = 100;

/** Zendesk's timestamp format: ISO 8601 UTC without milliseconds. */
const zendeskTime = (date = new Date()) => `${date.toISOString().slice(0, 19)}Z`;

const recordInvalid = (field: string, description: string) => ({
  error: 'RecordInvalid',
  description: 'Record validation errors',
  details: { [field]: [{ description }] },
});

export class ZendeskFakeServer extends FakeCrmServer {
  readonly email: string;
  readonly token: string;
  readonly oauthToken: string;
  private readonly tickets = new Map<number, Ticket>();
  private readonly canned: JsonReply[] = [];
  private nextTicketId = 1001;
  private nextCommentId = 9_000_001;

  constructor(options: ZendeskFakeOptions = {}) {
    super();
    this.email = options.email ?? 'agent@example.com';
    this.token = options.token ?? 'fake-zendesk-api-token-1';
    this.oauthToken = options.oauthToken ?? 'fake-zendesk-oauth-token-1';
  }

  get baseUrl(): string {
    return `${this.origin}/api/v2`;
  }

  crmConfig(): Record<string, unknown> {
    return {
      provider: 'zendesk',
      zendesk: { url: this.baseUrl, email: this.email, token: this.token, closedStatuses: ['solved', 'closed'] },
    };
  }

  /**
   * Ids are increasing integers as strings. A numeric `record.id` not used yet is kept (so tests can pick ids);
   * any other value (e.g. '') gets the next free id. `status` defaults to 'open', or 'closed' when `closed`
   * (pass `{ closed: true, status: 'solved' }` for a solved ticket).
   */
  addRecord(record: SeedRecord): string {
    let id: number;
    if (/^[1-9][0-9]{0,14}$/.test(record.id)) {
      id = Number(record.id);
      if (this.tickets.has(id)) throw new Error(`ticket ${id} already exists`);
    } else {
      do id = this.nextTicketId++;
      while (this.tickets.has(id));
    }
    this.nextTicketId = Math.max(this.nextTicketId, id + 1);
    const status = record.status ?? (record.closed ? 'closed' : 'open');
    if (!STATUSES.has(status)) throw new Error(`not a Zendesk ticket status: ${status}`);
    const now = zendeskTime();
    this.tickets.set(id, { id, status, subject: `Seeded ticket ${id}`, created_at: now, updated_at: now, comments: [] });
    return String(id);
  }

  recordStatus(id: string): string | undefined {
    return this.tickets.get(Number(id))?.status;
  }

  /** Changes a ticket's status behind the adapter's back (e.g. an agent closing it). */
  setStatus(id: string, status: string): void {
    if (!STATUSES.has(status)) throw new Error(`not a Zendesk ticket status: ${status}`);
    this.ticket(id).status = status;
  }

  commentsOn(id: string): string[] {
    return this.commentRecords(id).map((c) => c.body);
  }

  /** The ticket's comments with their visibility (public: false = internal note), oldest first. */
  commentRecords(id: string): FakeComment[] {
    return (this.tickets.get(Number(id))?.comments ?? []).map((c) => ({ ...c }));
  }

  /** Seeds a comment, e.g. one written before some `since`, or many to force comment pagination. */
  seedComment(id: string, body: string, opts: { createdAt?: Date; public?: boolean } = {}): void {
    this.ticket(id).comments.push({
      id: this.nextCommentId++,
      body,
      public: opts.public ?? true,
      created_at: zendeskTime(opts.createdAt),
    });
  }

  /**
   * The next `times` requests (after the mode checks, before auth and routing) get `reply`: for answers the
   * modes do not cover, such as a 502 from a proxy or a 503 carrying Retry-After.
   */
  failNext(reply: JsonReply, times = 1): void {
    for (let i = 0; i < times; i++) this.canned.push(reply);
  }

  protected override errorBody(status: 503 | 401 | 429): unknown {
    if (status === 401) return { error: "Couldn't authenticate you" };
    // Zendesk sends its 429 as text/plain (see rateLimitHeaders).
    if (status === 429) return 'Number of allowed API requests per minute exceeded';
    return { error: 'ServiceUnavailable', description: 'Zendesk is temporarily unavailable. Please try again later.' };
  }

  protected override rateLimitHeaders(): Record<string, string> {
    return { 'Content-Type': 'text/plain', 'X-Rate-Limit': '700', 'X-Rate-Limit-Remaining': '0' };
  }

  protected override route(method: string, url: URL, body: unknown, headers: http.IncomingHttpHeaders): JsonReply {
    const canned = this.canned.shift();
    if (canned) return canned;
    if (!this.authorized(headers.authorization)) return { status: 401, body: this.errorBody(401) };

    const path = url.pathname;
    if (path === '/api/v2/tickets/show_many.json') {
      return method === 'GET' ? this.showMany(url) : invalidEndpoint();
    }
    const comments = /^\/api\/v2\/tickets\/(\d+)\/comments\.json$/.exec(path);
    if (comments) return method === 'GET' ? this.listComments(Number(comments[1]), url) : invalidEndpoint();
    const single = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(path);
    if (single) {
      const ticket = this.tickets.get(Number(single[1]));
      if (!ticket) return notFound();
      if (method === 'GET') return { status: 200, body: { ticket: this.ticketJson(ticket) } };
      if (method === 'PUT') return this.update(ticket, body);
    }
    return invalidEndpoint();
  }

  private authorized(header: string | undefined): boolean {
    const basic = `Basic ${Buffer.from(`${this.email}/token:${this.token}`).toString('base64')}`;
    return header === basic || header === `Bearer ${this.oauthToken}`;
  }

  private ticket(id: string): Ticket {
    const ticket = this.tickets.get(Number(id));
    if (!ticket) throw new Error(`no ticket ${id}`);
    return ticket;
  }

  private showMany(url: URL): JsonReply {
    const ids = (url.searchParams.get('ids') ?? '').split(',').filter((s) => s !== '');
    if (ids.length > SHOW_MANY_LIMIT) {
      return { status: 400, body: { error: 'InvalidValue', description: `ids: at most ${SHOW_MANY_LIMIT} ids` } };
    }
    const found = ids
      .filter((s) => /^\d+$/.test(s))
      .map((s) => this.tickets.get(Number(s)))
      .filter((t): t is Ticket => t !== undefined)
      .map((t) => this.ticketJson(t));
    return { status: 200, body: { tickets: found, next_page: null, previous_page: null, count: found.length } };
  }

  private listComments(id: number, url: URL): JsonReply {
    const ticket = this.tickets.get(id);
    if (!ticket) return notFound();
    const params = url.searchParams;
    const perPage = Math.min(Math.max(Number(params.get('per_page') ?? 100) || 100, 1), 100);
    const page = Math.max(Number(params.get('page') ?? 1) || 1, 1);
    const all = params.get('sort_order') === 'desc' ? [...ticket.comments].reverse() : ticket.comments;
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const pageUrl = (n: number) => {
      const next = new URL(url.pathname, this.origin);
      next.searchParams.set('page', String(n));
      if (params.has('per_page')) next.searchParams.set('per_page', String(perPage));
      if (params.has('sort_order')) next.searchParams.set('sort_order', params.get('sort_order')!);
      return next.toString();
    };
    return {
      status: 200,
      body: {
        comments: slice.map((c) => this.commentJson(ticket, c)),
        next_page: page * perPage < all.length ? pageUrl(page + 1) : null,
        previous_page: page > 1 ? pageUrl(page - 1) : null,
        count: all.length,
      },
    };
  }

  private update(ticket: Ticket, body: unknown): JsonReply {
    const update = (body as { ticket?: unknown } | null)?.ticket;
    if (!update || typeof update !== 'object') {
      return { status: 400, body: { error: 'InvalidValue', description: 'ticket parameter is missing' } };
    }
    // A closed ticket is read-only in Zendesk: any update, even an internal note, is refused.
    if (ticket.status === 'closed') return { status: 422, body: recordInvalid('status', 'Status: closed prevents ticket update') };

    const { comment, status } = update as { comment?: { body?: unknown; html_body?: unknown; public?: unknown }; status?: unknown };
    if (status !== undefined && (typeof status !== 'string' || !STATUSES.has(status))) {
      return { status: 422, body: recordInvalid('status', `Status: ${JSON.stringify(status)} is not valid`) };
    }
    const text = comment?.body ?? comment?.html_body;
    if (comment !== undefined && (typeof text !== 'string' || text.trim() === '')) {
      return { status: 422, body: recordInvalid('base', 'Comment: cannot be blank') };
    }

    const now = zendeskTime();
    const events: unknown[] = [];
    if (typeof text === 'string') {
      const added: FakeComment = { id: this.nextCommentId++, body: text.trim(), public: comment?.public !== false, created_at: now };
      ticket.comments.push(added);
      events.push({ id: added.id, type: 'Comment', body: added.body, public: added.public, author_id: 501 });
    }
    if (typeof status === 'string' && status !== ticket.status) {
      events.push({ type: 'Change', field_name: 'status', value: status, previous_value: ticket.status });
      ticket.status = status;
    }
    ticket.updated_at = now;
    return {
      status: 200,
      body: {
        ticket: this.ticketJson(ticket),
        audit: { id: this.nextCommentId++, ticket_id: ticket.id, created_at: now, author_id: 501, events },
      },
    };
  }

  private ticketJson(ticket: Ticket) {
    return {
      url: `${this.baseUrl}/tickets/${ticket.id}.json`,
      id: ticket.id,
      external_id: null,
      type: null,
      subject: ticket.subject,
      status: ticket.status,
      priority: null,
      requester_id: 701,
      submitter_id: 701,
      assignee_id: 501,
      organization_id: null,
      group_id: null,
      tags: [],
      created_at: ticket.created_at,
      updated_at: ticket.updated_at,
    };
  }

  private commentJson(ticket: Ticket, c: FakeComment) {
    return {
      id: c.id,
      type: 'Comment',
      author_id: 501,
      body: c.body,
      html_body: `<div class="zd-comment"><p>${escapeHtml(c.body)}</p></div>`,
      plain_body: c.body,
      public: c.public,
      attachments: [],
      audit_id: c.id,
      via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
      created_at: c.created_at,
      metadata: { system: {}, custom: {} },
      ticket_id: ticket.id,
    };
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function notFound(): JsonReply {
  return { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };
}

function invalidEndpoint(): JsonReply {
  return { status: 404, body: { error: 'InvalidEndpoint', description: 'Not found' } };
}
