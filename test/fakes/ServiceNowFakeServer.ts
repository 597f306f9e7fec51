import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { FakeCrmServer, type JsonReply, type SeedRecord } from './FakeCrmServer.js';

/**
 * Loopback imitation of the ServiceNow REST Table API (`/api/now/table/...`), as far as the adapter uses it:
 *
 * - GET    /api/now/table/{table}/{sys_id}          one record, 404 "No Record found" when absent
 * - GET    /api/now/table/{table}?sysparm_query=... list (encoded query, sysparm_fields/limit/offset, X-Total-Count)
 * - PATCH  /api/now/table/{table}/{sys_id}          journal fields (work_notes, comments) append a journal entry
 * - GET    /api/now/table/sys_journal_field?...     the journal, queried like any table
 *
 * Values are strings, as with sysparm_display_value=false. Like ServiceNow, a query condition on a field the
 * table does not have is ignored (not an error), and unknown fields in a PATCH body are dropped silently.
 * Auth: Basic `svc:<password>` or `Bearer <token>`; anything else is 401.
 */

export interface ServiceNowFakeOptions {
  /** The one record table this instance serves (default incident). */
  table?: string;
  /** Number prefix of that table (default INC; sn_customerservice_case uses CS). */
  numberPrefix?: string;
  username?: string;
  password?: string;
  oauthToken?: string;
}

export interface JournalEntry {
  sys_id: string;
  element_id: string;
  /** The table of the record. */
  name: string;
  /** work_notes or comments. */
  element: string;
  value: string;
  /** 'YYYY-MM-DD HH:mm:ss' UTC. */
  sys_created_on: string;
  sys_created_by: string;
}

interface Row {
  sys_id: string;
  number: string;
  state: string;
  active: string;
  short_description: string;
  sys_updated_on: string;
}

type Field = Record<string, string>;

const RECORD_FIELDS = ['sys_id', 'number', 'state', 'active', 'short_description', 'sys_updated_on', 'work_notes', 'comments'];
const JOURNAL_FIELDS = ['sys_id', 'element_id', 'name', 'element', 'value', 'sys_created_on', 'sys_created_by'];
const JOURNAL_ELEMENTS = new Set(['work_notes', 'comments']);

const failure = (message: string, detail: string | null) => ({ error: { message, detail }, status: 'failure' });

const glideNow = (date = new Date()) => date.toISOString().slice(0, 19).replace('T', ' ');

export class ServiceNowFakeServer extends FakeCrmServer {
  readonly table: string;
  readonly username: string;
  readonly password: string;
  readonly oauthToken: string;
  private readonly numberPrefix: string;
  private readonly rows = new Map<string, Row>();
  private readonly journalRows: JournalEntry[] = [];
  private readonly abortedUpdates = new Map<string, string>();
  private aclDenied = false;
  private nextNumber = 10001;
  private nextJournalId = 1;

  constructor(options: ServiceNowFakeOptions = {}) {
    super();
    this.table = options.table ?? 'incident';
    this.numberPrefix = options.numberPrefix ?? (this.table === 'sn_customerservice_case' ? 'CS' : 'INC');
    this.username = options.username ?? 'svc';
    this.password = options.password ?? 'fake-sn-password-1';
    this.oauthToken = options.oauthToken ?? 'fake-sn-oauth-token';
  }

  get baseUrl(): string {
    return this.origin;
  }

  crmConfig(): Record<string, unknown> {
    return {
      provider: 'servicenow',
      servicenow: {
        instanceUrl: this.origin,
        username: this.username,
        password: this.password,
        table: this.table,
        commentField: 'work_notes',
        closedStates: ['6', '7', '8'],
      },
    };
  }

  /**
   * `id` must be a 32-hex sys_id, or '' for a new random one; the number is assigned in sequence (INC0010001, INC0010002, ...).
   * `status` is the state ('1' new, '2' in progress, '6' resolved, '7' closed; default '7' when closed, else '1');
   * `closed` sets active ('false' / 'true'), so e.g. a resolved incident is `{ closed: false, status: '6' }`.
   */
  addRecord(record: SeedRecord): string {
    if (record.id === '') return this.addRecord({ ...record, id: randomBytes(16).toString('hex') });
    if (!/^[0-9a-f]{32}$/.test(record.id)) throw new Error(`ServiceNow sys_id must be 32 lowercase hex: ${record.id}`);
    const number = `${this.numberPrefix}${String(this.nextNumber++).padStart(7, '0')}`;
    this.rows.set(record.id, {
      sys_id: record.id,
      number,
      state: record.status ?? (record.closed ? '7' : '1'),
      active: record.closed ? 'false' : 'true',
      short_description: `Seeded ${number}`,
      sys_updated_on: glideNow(),
    });
    return record.id;
  }

  /** The number ServiceNow gave the record (sys_id or number accepted). */
  numberOf(id: string): string | undefined {
    return this.find(id)?.number;
  }

  recordStatus(id: string): string | undefined {
    return this.find(id)?.state;
  }

  commentsOn(id: string): string[] {
    return this.journal(id).map((e) => e.value);
  }

  /** Journal entries of the record, oldest first, with the field each went to. */
  journal(id: string): JournalEntry[] {
    const row = this.find(id);
    return row ? this.journalRows.filter((e) => e.element_id === row.sys_id) : [];
  }

  /** Seeds a journal entry (e.g. one written before some `since`). */
  addJournalEntry(id: string, element: 'work_notes' | 'comments', value: string, createdAt: Date): void {
    const row = this.find(id);
    if (!row) throw new Error(`no record ${id}`);
    this.appendJournal(row, element, value, createdAt);
  }

  /** Makes every update of the record fail as when a business rule aborts it (403 "Operation Failed"). */
  abortUpdatesOf(id: string, ruleName = 'Lock closed incidents'): void {
    this.abortedUpdates.set(id, ruleName);
  }

  /** Every request fails the API-level ACL (403), as for an integration user without the needed role. */
  denyByAcl(denied = true): void {
    this.aclDenied = denied;
  }

  protected override errorBody(status: 503 | 401 | 429): unknown {
    if (status === 401) return failure('User Not Authenticated', 'Required to provide Auth information');
    if (status === 429) {
      return failure('Rate limit exceeded', 'The rate limit for this user has been exceeded. Try again later.');
    }
    return failure('Service Unavailable', 'The instance is temporarily unavailable');
  }

  protected override rateLimitHeaders(): Record<string, string> {
    return {
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(Math.ceil(Date.now() / 1000) + 3600),
      'X-RateLimit-Rule': 'b1f3a3e2db0000101a2d5dd5ca9619c3',
    };
  }

  protected override route(method: string, url: URL, body: unknown, headers: http.IncomingHttpHeaders): JsonReply {
    if (!this.authorized(headers.authorization)) {
      return { status: 401, body: this.errorBody(401) };
    }
    if (this.aclDenied) return { status: 403, body: failure('User Not Authorized', 'Failed API level ACL Validation') };

    if (!url.pathname.startsWith('/api/')) {
      // Outside the REST API the instance serves its UI: an HTML page, not a Table API error body.
      return { status: 404, body: '<html><body>Page not found</body></html>', headers: { 'Content-Type': 'text/html;charset=UTF-8' } };
    }
    const match = /^\/api\/now\/(?:v[12]\/)?table\/([^/]+)(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (!match) return { status: 400, body: failure('Requested URI does not represent any resource', null) };
    const table = decodeURIComponent(match[1]!);
    const sysId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const params = url.searchParams;

    if (table === 'sys_journal_field') {
      if (method !== 'GET' || sysId !== undefined) return methodNotAllowed();
      return this.list(this.journalRows as unknown as Field[], JOURNAL_FIELDS, params);
    }
    if (table !== this.table) return { status: 400, body: failure(`Invalid table ${table}`, null) };

    if (sysId === undefined) {
      if (method !== 'GET') return methodNotAllowed();
      return this.list([...this.rows.values()] as unknown as Field[], RECORD_FIELDS, params);
    }

    const row = this.rows.get(sysId);
    if (!row) return notFound("Record doesn't exist or ACL restricts the record retrieval");
    if (method === 'GET') return { status: 200, body: { result: this.project(row, params) } };
    if (method === 'PATCH' || method === 'PUT') return this.update(row, body, params);
    return methodNotAllowed();
  }

  private update(row: Row, body: unknown, params: URLSearchParams): JsonReply {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return { status: 400, body: failure('Exception while reading request', 'The payload is not valid JSON.') };
    }
    const rule = this.abortedUpdates.get(row.sys_id);
    if (rule) {
      return {
        status: 403,
        body: failure(
          'Operation Failed',
          `Operation against file '${this.table}' was aborted by Business Rule '${rule}^${row.sys_id}'. Business Rule Stack:${rule}`,
        ),
      };
    }
    for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
      const text = fieldText(value);
      if (JOURNAL_ELEMENTS.has(field)) {
        // An empty journal value adds nothing, as in ServiceNow.
        if (text !== '') this.appendJournal(row, field, text, new Date());
      } else if (field === 'state' || field === 'active' || field === 'short_description') {
        row[field] = text;
      }
      // Any other field (unknown or read-only) is dropped without error, as ServiceNow does.
    }
    row.sys_updated_on = glideNow();
    return { status: 200, body: { result: this.project(row, params) } };
  }

  private appendJournal(row: Row, element: string, value: string, createdAt: Date): void {
    this.journalRows.push({
      sys_id: (this.nextJournalId++).toString(16).padStart(32, '0'),
      element_id: row.sys_id,
      name: this.table,
      element,
      value,
      sys_created_on: glideNow(createdAt),
      sys_created_by: this.username,
    });
  }

  private list(rows: Field[], fields: string[], params: URLSearchParams): JsonReply {
    const query = params.get('sysparm_query') ?? '';
    const matched = filterByEncodedQuery(rows, query, new Set(fields));
    const offset = Number(params.get('sysparm_offset') ?? '0') || 0;
    const limit = Number(params.get('sysparm_limit') ?? '10000') || 10000;
    const page = matched.slice(offset, offset + limit).map((r) => this.project(r, params));
    return { status: 200, body: { result: page }, headers: { 'X-Total-Count': String(matched.length) } };
  }

  /** Honours sysparm_fields; journal fields read back as '' on a record, as ServiceNow returns them. */
  private project(row: Row | Field, params: URLSearchParams): Field {
    const source: Field = { ...(row as unknown as Field) };
    if ('number' in source) {
      source.work_notes = '';
      source.comments = '';
    }
    const wanted = params.get('sysparm_fields');
    if (!wanted) return source;
    const out: Field = {};
    for (const f of wanted.split(',').map((s) => s.trim())) if (f in source) out[f] = source[f]!;
    return out;
  }

  private find(id: string): Row | undefined {
    const lower = id.toLowerCase();
    return this.rows.get(lower) ?? [...this.rows.values()].find((r) => r.number.toUpperCase() === id.toUpperCase());
  }

  private authorized(header: string | undefined): boolean {
    if (!header) return false;
    if (header === `Bearer ${this.oauthToken}`) return true;
    const basic = /^Basic (.+)$/.exec(header);
    if (!basic) return false;
    return Buffer.from(basic[1]!, 'base64').toString('utf8') === `${this.username}:${this.password}`;
  }
}

function notFound(detail: string): JsonReply {
  return { status: 404, body: failure('No Record found', detail) };
}

function methodNotAllowed(): JsonReply {
  return { status: 405, body: failure('Method not Supported', 'Requested method is not supported by this resource') };
}

type Condition = (row: Field) => boolean;

/**
 * The subset of ServiceNow's encoded queries the adapter may send: `field=v`, `field!=v`, `fieldINa,b`,
 * `fieldNOT INa,b`, `field>=v`, `field<=v`, `field>v`, `field<v`, `fieldSTARTSWITHv`, joined with `^` (AND) and
 * `^OR` (OR with the previous condition); ORDERBY/ORDERBYDESC are accepted and applied. String comparison is
 * case-insensitive for equality, like ServiceNow on its usual collation. Conditions on fields the table does
 * not have are ignored, as ServiceNow does by default.
 */
export function filterByEncodedQuery(rows: Field[], query: string, knownFields: ReadonlySet<string>): Field[] {
  const groups: Condition[][] = [];
  let orderBy: { field: string; desc: boolean } | undefined;
  for (const token of query.split('^')) {
    if (token === '' || token === 'EQ') continue;
    const order = /^ORDERBY(DESC)?([a-z0-9_]+)$/.exec(token);
    if (order) {
      orderBy = { field: order[2]!, desc: order[1] === 'DESC' };
      continue;
    }
    const isOr = token.startsWith('OR') && groups.length > 0;
    const cond = parseCondition(isOr ? token.slice(2) : token, knownFields);
    if (!cond) continue;
    if (isOr) groups[groups.length - 1]!.push(cond);
    else groups.push([cond]);
  }
  const matched = rows.filter((row) => groups.every((group) => group.some((cond) => cond(row))));
  if (orderBy) {
    const { field, desc } = orderBy;
    matched.sort((a, b) => (a[field] ?? '').localeCompare(b[field] ?? '') * (desc ? -1 : 1));
  }
  return matched;
}

function parseCondition(text: string, knownFields: ReadonlySet<string>): Condition | undefined {
  const m = /^([a-z0-9_]+)(NOT IN|IN|STARTSWITH|!=|>=|<=|=|>|<)(.*)$/.exec(text);
  if (!m) return undefined;
  const [, field, op, value] = m as unknown as [string, string, string, string];
  if (!knownFields.has(field)) return undefined;
  const eq = (a: string | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();
  const list = value.split(',');
  switch (op) {
    case '=':
      return (row) => eq(row[field], value);
    case '!=':
      return (row) => !eq(row[field], value);
    case 'IN':
      return (row) => list.some((v) => eq(row[field], v));
    case 'NOT IN':
      return (row) => !list.some((v) => eq(row[field], v));
    case 'STARTSWITH':
      return (row) => (row[field] ?? '').toLowerCase().startsWith(value.toLowerCase());
    case '>=':
      return (row) => (row[field] ?? '') >= value;
    case '<=':
      return (row) => (row[field] ?? '') <= value;
    case '>':
      return (row) => (row[field] ?? '') > value;
    case '<':
      return (row) => (row[field] ?? '') < value;
    default:
      return undefined;
  }
}

/** A field value as ServiceNow keeps it: text (a JSON object or array is kept as its JSON). */
function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return typeof value === 'object' ? JSON.stringify(value) : `${value as number | boolean}`;
}
