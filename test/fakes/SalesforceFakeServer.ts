import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { restoreCase, salesforceIdSuffix } from '../../adapters/salesforce/salesforceIds.js';
import type { SalesforceConfig } from '../../src/config/schema.js';
import type { ClosedRecordPolicy } from '../../src/policy/ClosedRecordPolicy.js';
import { FakeCrmServer, type JsonReply, type SeedRecord } from './FakeCrmServer.js';

/**
 * Loopback imitation of the Salesforce REST API (`/services/data/vXX.X/...`), as far as the adapter uses it:
 *
 * - GET   /sobjects/Case/{id}?fields=a,b     the record; 404 NOT_FOUND (ENTITY_IS_DELETED when deleted)
 * - PATCH /sobjects/Case/{id}                `{Status}`: 204; Status must be a CaseStatus value (IsClosed follows it)
 * - POST  /composite/sobjects/Case           `{ids, fields}`: array in the order of `ids`, `null` for an unknown,
 *                                            deleted or invalid id; at most 2,000 ids
 * - POST  /sobjects/CaseComment              `{ParentId, CommentBody, IsPublished}`: 201 `{id, success, errors}`;
 *                                            CommentBody at most 4,000 bytes; IsPublished defaults to false
 * - GET   /query?q=SOQL, /query/{locator}    a small SOQL subset over Case, CaseStatus and CaseComment:
 *                                            `SELECT f, ... FROM T [WHERE a op v [AND ...]] [ORDER BY f [ASC|DESC]]
 *                                            [LIMIT n]`; dateTime literals unquoted with whole seconds as SOQL wants;
 *                                            CommentBody cannot be filtered; pages of `queryPageSize` rows
 * - POST  /services/oauth2/token             grant_type client_credentials or password (form-encoded)
 *
 * Ids are 15 case-sensitive or 18 characters (the last 3 encode the letter case, as Salesforce's do). Errors are
 * arrays `[{"message", "errorCode", "fields"?}]`; every REST answer carries `Sforce-Limit-Info: api-usage=N/15000`.
 * Auth: `Authorization: Bearer <token>` with a token this fake issued; else 401 INVALID_SESSION_ID.
 */

export interface SalesforceFakeOptions {
  accessToken?: string;
  clientId?: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  /** Rows per query page (Salesforce: 2,000 by default). */
  queryPageSize?: number;
}

export interface SalesforceConfigOptions {
  /** How the adapter authenticates: the static token (default), OAuth client credentials, or username-password. */
  auth?: 'token' | 'client_credentials' | 'password';
  closedRecordPolicy?: ClosedRecordPolicy;
  /** null leaves reopenStatus out, so the adapter reads the default open CaseStatus. Default 'Working'. */
  reopenStatus?: string | null;
  apiVersion?: string;
  loginUrl?: string;
}

export interface FakeCaseComment {
  Id: string;
  /** 18-character id of the Case. */
  ParentId: string;
  CommentBody: string;
  IsPublished: boolean;
  /** As Salesforce sends it: "2024-05-01T10:00:00.000+0000" (whole seconds). */
  CreatedDate: string;
}

export interface FakeCaseStatus {
  ApiName: string;
  MasterLabel: string;
  IsDefault: boolean;
  IsClosed: boolean;
  SortOrder: number;
}

interface CaseRecord {
  id15: string;
  id18: string;
  status: string;
  isClosed: boolean;
  deleted: boolean;
  caseNumber: string;
  createdDate: Date;
  comments: { id18: string; body: string; isPublished: boolean; createdDate: Date }[];
}

type FieldType = 'id' | 'string' | 'boolean' | 'int' | 'datetime' | 'textarea';
type SObjectName = 'Case' | 'CaseStatus' | 'CaseComment';
type Row = Record<string, unknown>;

const FIELDS: Record<SObjectName, Record<string, FieldType>> = {
  Case: { Id: 'id', CaseNumber: 'string', Subject: 'string', Status: 'string', IsClosed: 'boolean', CreatedDate: 'datetime' },
  CaseStatus: { Id: 'id', ApiName: 'string', MasterLabel: 'string', IsDefault: 'boolean', IsClosed: 'boolean', SortOrder: 'int' },
  CaseComment: { Id: 'id', ParentId: 'id', CommentBody: 'textarea', IsPublished: 'boolean', CreatedDate: 'datetime' },
};

export { salesforceIdSuffix };

const ID_FORMAT = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MAX_COMPOSITE_IDS = 2000;
const MAX_COMMENT_BYTES = 4000;
const API_LIMIT = 15000;

function base62(n: number, width: number): string {
  let s = '';
  for (let v = n; v > 0; v = Math.floor(v / 62)) s = BASE62.charAt(v % 62) + s;
  return s.padStart(width, '0').slice(-width);
}

/** Salesforce's dateTime format in JSON: "2024-05-01T10:00:00.000+0000". */
const sfDateTime = (d: Date) => d.toISOString().replace('Z', '+0000');
const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

const sfError = (status: number, errorCode: string, message: string, fields?: string[]): JsonReply => ({
  status,
  body: [{ message, errorCode, ...(fields ? { fields } : {}) }],
});
const notFound = () => sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
const malformedQuery = (message: string) => sfError(400, 'MALFORMED_QUERY', message);

class SoqlError extends Error {
  constructor(readonly reply: JsonReply) {
    super('soql');
  }
}

export class SalesforceFakeServer extends FakeCrmServer {
  readonly accessToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly username: string;
  readonly password: string;
  queryPageSize: number;

  private readonly cases = new Map<string, CaseRecord>();
  private caseStatuses: FakeCaseStatus[] = [
    { ApiName: 'New', MasterLabel: 'New', IsDefault: true, IsClosed: false, SortOrder: 1 },
    { ApiName: 'Working', MasterLabel: 'Working', IsDefault: false, IsClosed: false, SortOrder: 2 },
    { ApiName: 'Escalated', MasterLabel: 'Escalated', IsDefault: false, IsClosed: false, SortOrder: 3 },
    { ApiName: 'Closed', MasterLabel: 'Closed', IsDefault: false, IsClosed: true, SortOrder: 4 },
  ];
  private readonly validTokens = new Set<string>();
  private readonly canned: JsonReply[] = [];
  private readonly locators = new Map<string, { rows: Row[]; version: string }>();
  private tokensRefused = false;
  private apiUsage = 1200;
  private nextCase = 0;
  private nextComment = 0;
  private nextToken = 0;
  private nextLocator = 0;

  constructor(options: SalesforceFakeOptions = {}) {
    super();
    this.accessToken =
      options.accessToken ??
      '00D5g000004FAKE!AQcAQH0dMHZfz972Szmpkb58urFRkgeBGsxL_QJWwYMfAbUeeG7c1E6LYUfiDUkWe6H34r1AAwOR8B8fLEz6n04NPGRrq0FM';
    this.clientId = options.clientId ?? '3MVG9fakeConsumerKey.callback.orchestrator';
    this.clientSecret = options.clientSecret ?? 'FAKE0CONSUMER0SECRET0123456789';
    this.username = options.username ?? 'integration@callbacks.example.com';
    this.password = options.password ?? 'fake-password-and-security-token';
    this.queryPageSize = options.queryPageSize ?? 2000;
    this.validTokens.add(this.accessToken);
  }

  get baseUrl(): string {
    return this.origin;
  }

  crmConfig(options: SalesforceConfigOptions = {}): { provider: 'salesforce'; salesforce: SalesforceConfig } {
    return { provider: 'salesforce', salesforce: this.salesforceConfig(options) };
  }

  /** The `crm.salesforce` section alone, typed for the adapter's constructor. */
  salesforceConfig(options: SalesforceConfigOptions = {}): SalesforceConfig {
    const auth = options.auth ?? 'token';
    const reopenStatus = options.reopenStatus === undefined ? 'Working' : options.reopenStatus;
    return {
      instanceUrl: this.origin,
      ...(auth === 'token' ? { accessToken: this.accessToken } : { clientId: this.clientId, clientSecret: this.clientSecret }),
      ...(auth === 'password' ? { username: this.username, password: this.password } : {}),
      ...(options.loginUrl ? { loginUrl: options.loginUrl } : {}),
      apiVersion: options.apiVersion ?? '62.0',
      closedRecordPolicy: options.closedRecordPolicy ?? 'reopen',
      ...(reopenStatus === null ? {} : { reopenStatus }),
    };
  }

  /** A new realistic 18-character Case id (key prefix 500), not seeded. */
  newCaseId(): string {
    const id15 = `500Hs0000${base62(1_000_000_000 + this.nextCase++ * 7_654_321, 6)}`;
    return id15 + salesforceIdSuffix(id15);
  }

  /**
   * Seeds a Case. A well-formed `record.id` (15 or 18 characters) is kept, and returned as given; anything else
   * (e.g. '') gets a new 18-character id. `status` defaults to 'New', or 'Closed' when `closed`.
   */
  addRecord(record: SeedRecord): string {
    const given = ID_FORMAT.test(record.id) ? record.id : undefined;
    const id = given ?? this.newCaseId();
    const id15 = id.slice(0, 15);
    if (this.cases.has(id15)) throw new Error(`case ${id} already exists`);
    const status = record.status ?? (record.closed ? 'Closed' : 'New');
    if (!this.caseStatuses.some((s) => s.ApiName === status)) {
      const sortOrder = this.caseStatuses.length + 1;
      this.caseStatuses.push({ ApiName: status, MasterLabel: status, IsDefault: false, IsClosed: record.closed, SortOrder: sortOrder });
    }
    this.cases.set(id15, {
      id15,
      id18: id15 + salesforceIdSuffix(id15),
      status,
      isClosed: record.closed,
      deleted: false,
      caseNumber: String(1000 + this.cases.size + 1).padStart(8, '0'),
      createdDate: wholeSeconds(new Date()),
      comments: [],
    });
    return id;
  }

  recordStatus(id: string): string | undefined {
    return this.findCase(id)?.status;
  }

  /** Whether the Case counts as closed now (IsClosed). */
  recordIsClosed(id: string): boolean | undefined {
    return this.findCase(id)?.isClosed;
  }

  commentsOn(id: string): string[] {
    return this.commentRecords(id).map((c) => c.CommentBody);
  }

  /** The Case's comments as CaseComment rows, oldest first. */
  commentRecords(id: string): FakeCaseComment[] {
    const c = this.findCase(id);
    return (c?.comments ?? []).map((m) => ({
      Id: m.id18,
      ParentId: c!.id18,
      CommentBody: m.body,
      IsPublished: m.isPublished,
      CreatedDate: sfDateTime(m.createdDate),
    }));
  }

  /** Seeds a comment, e.g. one written before some `since`. */
  seedComment(id: string, body: string, opts: { createdAt?: Date; isPublished?: boolean } = {}): void {
    this.caseOrThrow(id).comments.push({
      id18: this.newCommentId(),
      body,
      isPublished: opts.isPublished ?? false,
      createdDate: wholeSeconds(opts.createdAt ?? new Date()),
    });
  }

  /** Changes a Case's status behind the adapter's back (IsClosed follows the CaseStatus). */
  setStatus(id: string, status: string): void {
    const row = this.caseStatuses.find((s) => s.ApiName === status);
    if (!row) throw new Error(`not a CaseStatus: ${status}`);
    const c = this.caseOrThrow(id);
    c.status = status;
    c.isClosed = row.IsClosed;
  }

  /** Moves the Case to the recycle bin: reads give null / ENTITY_IS_DELETED. */
  deleteRecord(id: string): void {
    this.caseOrThrow(id).deleted = true;
  }

  /** Replaces the org's CaseStatus picklist (e.g. to have no default open status). */
  setCaseStatuses(statuses: FakeCaseStatus[]): void {
    this.caseStatuses = statuses.map((s) => ({ ...s }));
  }

  /** Every token issued so far stops working (401 INVALID_SESSION_ID) until a new one is requested. */
  expireSessions(): void {
    this.validTokens.clear();
  }

  /** While set, the API refuses every token, even fresh ones (the token endpoint still issues them). */
  refuseAllTokens(refuse = true): void {
    this.tokensRefused = refuse;
  }

  /** The next `times` requests (after the mode checks, before auth and routing) get `reply`. */
  failNext(reply: JsonReply, times = 1): void {
    for (let i = 0; i < times; i++) this.canned.push(reply);
  }

  /** Salesforce-shaped error reply, for failNext. */
  static errorReply(status: number, errorCode: string, message: string, fields?: string[]): JsonReply {
    return sfError(status, errorCode, message, fields);
  }

  /** The SOQL statements received, decoded, in order. */
  queries(): string[] {
    return this.requests.filter((r) => r.path.includes('/query?')).map((r) => new URL(r.path, this.origin).searchParams.get('q') ?? '');
  }

  /** Requests to the OAuth token endpoint, with their form fields. */
  tokenRequests(): URLSearchParams[] {
    return this.requestsTo('/services/oauth2/token').map((r) => new URLSearchParams(typeof r.body === 'string' ? r.body : ''));
  }

  protected override errorBody(status: 503 | 401 | 429): unknown {
    if (status === 401) return [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];
    if (status === 429) return [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }];
    return [{ message: 'Server temporarily unavailable. Please try again later.', errorCode: 'SERVER_UNAVAILABLE' }];
  }

  protected override rateLimitHeaders(): Record<string, string> {
    return { 'Sforce-Limit-Info': `api-usage=${API_LIMIT}/${API_LIMIT}` };
  }

  protected override route(method: string, url: URL, body: unknown, headers: http.IncomingHttpHeaders): JsonReply {
    const canned = this.canned.shift();
    if (canned) return canned;
    if (url.pathname === '/services/oauth2/token') return this.token(method, body);

    const api = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(url.pathname);
    if (!api || Number(api[1]) < 20 || Number(api[1]) > 66) return notFound();
    if (!this.authorized(headers.authorization)) return { status: 401, body: this.errorBody(401) };
    this.apiUsage += 1;
    const reply = this.api(method, api[1]!, api[2] ?? '/', url, body);
    return { ...reply, headers: { ...reply.headers, 'Sforce-Limit-Info': `api-usage=${this.apiUsage}/${API_LIMIT}` } };
  }

  private api(method: string, version: string, path: string, url: URL, body: unknown): JsonReply {
    const single = /^\/sobjects\/Case\/([^/]+)$/.exec(path);
    if (single) {
      if (method === 'GET') return this.getCase(decodeURIComponent(single[1]!), url, version);
      if (method === 'PATCH') return this.patchCase(decodeURIComponent(single[1]!), body);
      return methodNotAllowed(method, 'GET,PATCH,DELETE,HEAD');
    }
    if (path === '/composite/sobjects/Case') {
      return method === 'POST' ? this.retrieveMany(body, version) : methodNotAllowed(method, 'GET,POST,PATCH,DELETE');
    }
    if (path === '/sobjects/CaseComment') {
      return method === 'POST' ? this.createComment(body) : methodNotAllowed(method, 'GET,POST,HEAD');
    }
    if (path === '/query') {
      if (method !== 'GET') return methodNotAllowed(method, 'GET,HEAD');
      const q = url.searchParams.get('q');
      return q ? this.query(q, version) : malformedQuery('Missing query parameter q');
    }
    const more = /^\/query\/([\w-]+)$/.exec(path);
    if (more && method === 'GET') return this.queryMore(more[1]!);
    return notFound();
  }

  // ---- auth ---------------------------------------------------------------------------------------------------

  private authorized(header: string | undefined): boolean {
    const m = /^Bearer (\S+)$/.exec(header ?? '');
    return !!m && !this.tokensRefused && this.validTokens.has(m[1]!);
  }

  private token(method: string, body: unknown): JsonReply {
    const form = new URLSearchParams(method === 'POST' && typeof body === 'string' ? body : '');
    const grant = form.get('grant_type');
    const oauthError = (error: string, description: string): JsonReply => ({
      status: 400,
      body: { error, error_description: description },
    });
    if (grant !== 'client_credentials' && grant !== 'password') return oauthError('unsupported_grant_type', 'grant type not supported');
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return oauthError('invalid_client', 'invalid client credentials');
    }
    if (grant === 'password' && (form.get('username') !== this.username || form.get('password') !== this.password)) {
      return oauthError('invalid_grant', 'authentication failure');
    }
    const accessToken = `00D5g000004FAKE!${(this.nextToken++).toString(36)}${randomBytes(24).toString('base64url')}`;
    this.validTokens.add(accessToken);
    return {
      status: 200,
      body: {
        access_token: accessToken,
        instance_url: this.origin,
        id: `${this.origin}/id/00D5g000004FAKEEAU/0055g00000FAKEUAAV`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
        signature: randomBytes(32).toString('base64'),
        scope: 'api',
      },
    };
  }

  // ---- Case ---------------------------------------------------------------------------------------------------

  private findCase(raw: string): CaseRecord | undefined {
    if (!ID_FORMAT.test(raw)) return undefined;
    const exact = this.cases.get(raw.slice(0, 15));
    if (exact) return exact;
    if (raw.length !== 18) return undefined;
    const restored = restoreCase(raw); // an 18-character id may come in any letter case
    return restored ? this.cases.get(restored) : undefined;
  }

  private caseOrThrow(id: string): CaseRecord {
    const c = this.findCase(id);
    if (!c) throw new Error(`no case ${id}`);
    return c;
  }

  private caseRow(c: CaseRecord): Row {
    return {
      Id: c.id18,
      CaseNumber: c.caseNumber,
      Subject: `Seeded case ${c.caseNumber}`,
      Status: c.status,
      IsClosed: c.isClosed,
      CreatedDate: c.createdDate,
    };
  }

  private getCase(rawId: string, url: URL, version: string): JsonReply {
    const c = this.findCase(rawId);
    if (!c) {
      return ID_FORMAT.test(rawId)
        ? notFound()
        : sfError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${rawId}`);
    }
    if (c.deleted) return sfError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
    const fieldsParam = url.searchParams.get('fields');
    const fields = fieldsParam ? resolveFields('Case', fieldsParam.split(',')) : Object.keys(FIELDS.Case);
    if (typeof fields === 'string') return invalidField('Case', fields);
    return { status: 200, body: project('Case', this.caseRow(c), fields, version) };
  }

  private patchCase(rawId: string, body: unknown): JsonReply {
    const c = this.findCase(rawId);
    if (!c) return notFound();
    if (c.deleted) return sfError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
    if (!isObject(body)) return sfError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
    for (const key of Object.keys(body)) {
      if (key === 'Status') continue;
      if (key === 'IsClosed' || key === 'Id' || key === 'CaseNumber' || key === 'CreatedDate') {
        return sfError(
          400,
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Unable to create/update fields: ${key}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          [key],
        );
      }
      if (key !== 'Subject') return sfError(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type Case`);
    }
    if ('Status' in body) {
      const status = this.caseStatuses.find((s) => s.ApiName === body.Status);
      if (!status) {
        return sfError(
          400,
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `Status: bad value for restricted picklist field: ${String(body.Status)}`,
          ['Status'],
        );
      }
      c.status = status.ApiName;
      c.isClosed = status.IsClosed;
    }
    return { status: 204 };
  }

  private retrieveMany(body: unknown, version: string): JsonReply {
    if (!isObject(body) || !Array.isArray(body.ids) || !Array.isArray(body.fields)) {
      return sfError(400, 'JSON_PARSER_ERROR', 'Expected a JSON object with "ids" and "fields" arrays');
    }
    if (body.ids.length === 0) return sfError(400, 'INVALID_QUERY_FILTER_OPERATOR', 'ids: at least one id is required');
    if (body.ids.length > MAX_COMPOSITE_IDS) {
      return sfError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COMPOSITE_IDS} records into this call`);
    }
    const fields = resolveFields('Case', body.fields.map(String));
    if (typeof fields === 'string') return invalidField('Case', fields);
    const rows = body.ids.map((raw) => {
      const c = typeof raw === 'string' ? this.findCase(raw) : undefined;
      return c && !c.deleted ? project('Case', this.caseRow(c), fields, version) : null;
    });
    return { status: 200, body: rows };
  }

  // ---- CaseComment --------------------------------------------------------------------------------------------

  private newCommentId(): string {
    const id15 = `00a5g0000${base62(2_000_000_000 + this.nextComment++ * 3_141_593, 6)}`;
    return id15 + salesforceIdSuffix(id15);
  }

  private createComment(body: unknown): JsonReply {
    if (!isObject(body)) return sfError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
    for (const key of Object.keys(body)) {
      if (!['ParentId', 'CommentBody', 'IsPublished'].includes(key)) {
        return sfError(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type CaseComment`);
      }
    }
    const parentId = body.ParentId;
    if (typeof parentId !== 'string' || parentId === '') {
      return sfError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [ParentId]', ['ParentId']);
    }
    if (!ID_FORMAT.test(parentId)) return sfError(400, 'MALFORMED_ID', `Parent ID: id value of incorrect type: ${parentId}`, ['ParentId']);
    const c = this.findCase(parentId);
    if (!c) return sfError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['ParentId']);
    if (c.deleted) return sfError(400, 'ENTITY_IS_DELETED', 'entity is deleted', ['ParentId']);
    const text = body.CommentBody ?? '';
    if (typeof text !== 'string') return sfError(400, 'JSON_PARSER_ERROR', 'CommentBody must be a string');
    if (Buffer.byteLength(text, 'utf8') > MAX_COMMENT_BYTES) {
      return sfError(400, 'STRING_TOO_LONG', `Body: data value too large: ${text.slice(0, 40)}... (max length=${MAX_COMMENT_BYTES})`, [
        'CommentBody',
      ]);
    }
    if (body.IsPublished !== undefined && typeof body.IsPublished !== 'boolean') {
      return sfError(400, 'JSON_PARSER_ERROR', 'Cannot deserialize instance of boolean from VALUE_STRING value', ['IsPublished']);
    }
    const id18 = this.newCommentId();
    c.comments.push({ id18, body: text, isPublished: body.IsPublished ?? false, createdDate: wholeSeconds(new Date()) });
    return { status: 201, body: { id: id18, success: true, errors: [] } };
  }

  // ---- SOQL ---------------------------------------------------------------------------------------------------

  private rowsOf(object: SObjectName): Row[] {
    if (object === 'CaseStatus') {
      return this.caseStatuses.map((s, i) => ({ Id: `01J5g00000FAKE${String(i).padStart(1, '0')}`, ...s }));
    }
    const live = [...this.cases.values()].filter((c) => !c.deleted);
    if (object === 'Case') return live.map((c) => this.caseRow(c));
    return live.flatMap((c) =>
      c.comments.map((m) => ({
        Id: m.id18,
        ParentId: c.id18,
        CommentBody: m.body,
        IsPublished: m.isPublished,
        CreatedDate: m.createdDate,
      })),
    );
  }

  private query(soql: string, version: string): JsonReply {
    try {
      const m =
        /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(\w+)(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(
          soql,
        );
      if (!m) throw new SoqlError(malformedQuery(`unexpected token in: ${soql.slice(0, 80)}`));
      const object = Object.keys(FIELDS).find((o) => o.toLowerCase() === m[2]!.toLowerCase()) as SObjectName | undefined;
      if (!object) throw new SoqlError(sfError(400, 'INVALID_TYPE', `sObject type '${m[2]}' is not supported.`));
      const fields = resolveFields(object, m[1]!.split(','));
      if (typeof fields === 'string') throw new SoqlError(invalidField(object, fields));
      let rows = this.rowsOf(object);
      if (m[3]) {
        const filters = parseWhere(object, m[3], (raw) => this.findCase(raw)?.id18);
        rows = rows.filter((row) => filters.every((f) => f(row)));
      }
      if (m[4]) {
        const key = resolveFields(object, [m[4]]);
        if (typeof key === 'string') throw new SoqlError(invalidField(object, key));
        const dir = (m[5] ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1;
        rows = [...rows].sort((a, b) => dir * compare(a[key[0]!], b[key[0]!]));
      }
      if (m[6]) rows = rows.slice(0, Number(m[6]));
      const projected = rows.map((row) => project(object, row, fields, version));
      return this.page(projected, projected.length, version);
    } catch (err) {
      if (err instanceof SoqlError) return err.reply;
      throw err;
    }
  }

  private page(rows: Row[], totalSize: number, version: string): JsonReply {
    const first = rows.slice(0, this.queryPageSize);
    const rest = rows.slice(this.queryPageSize);
    if (rest.length === 0) return { status: 200, body: { totalSize, done: true, records: first } };
    const locator = `01g5g00000FAKE${this.nextLocator++}-${this.queryPageSize}`;
    this.locators.set(locator, { rows: rest, version });
    return {
      status: 200,
      body: { totalSize, done: false, nextRecordsUrl: `/services/data/v${version}/query/${locator}`, records: first },
    };
  }

  private queryMore(locator: string): JsonReply {
    const entry = this.locators.get(locator);
    if (!entry) return sfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    this.locators.delete(locator);
    const total = entry.rows.length;
    return this.page(entry.rows, total, entry.version);
  }
}

// ---- helpers ----------------------------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const methodNotAllowed = (method: string, allowed: string) =>
  sfError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are ${allowed}`);

const invalidField = (object: SObjectName, field: string) =>
  sfError(
    400,
    'INVALID_FIELD',
    `No such column '${field}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
  );

/** Field names are case-insensitive in Salesforce; returns the canonical names, or the first unknown name. */
function resolveFields(object: SObjectName, names: string[]): string[] | string {
  const known = Object.keys(FIELDS[object]);
  const out: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    const canonical = known.find((k) => k.toLowerCase() === name.toLowerCase());
    if (!canonical) return name;
    out.push(canonical);
  }
  return out;
}

function project(object: SObjectName, row: Row, fields: string[], version: string): Row {
  const out: Row = { attributes: { type: object, url: `/services/data/v${version}/sobjects/${object}/${String(row.Id)}` } };
  for (const f of fields) {
    const v = row[f];
    out[f] = v instanceof Date ? sfDateTime(v) : (v ?? null);
  }
  return out;
}

function compare(a: unknown, b: unknown): number {
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  if (x === y) return 0;
  if (x === null || x === undefined) return -1;
  if (y === null || y === undefined) return 1;
  return (x as number | string | boolean) < (y as number | string | boolean) ? -1 : 1;
}

const DATETIME_LITERAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})$/;

/** Parses `a op v AND b op v ...` (no OR, no parentheses) into row predicates, type-checked like SOQL does. */
function parseWhere(object: SObjectName, where: string, canonicalId: (raw: string) => string | undefined): ((row: Row) => boolean)[] {
  const filters: ((row: Row) => boolean)[] = [];
  const cond = /\s*(\w+)\s*(=|!=|<=|>=|<|>)\s*('(?:[^'\\]|\\.)*'|[^\s']+)\s*/y;
  let pos = 0;
  for (;;) {
    cond.lastIndex = pos;
    const m = cond.exec(where);
    if (!m) throw new SoqlError(malformedQuery(`unexpected token: '${where.slice(pos, pos + 30).trim()}'`));
    const [, rawField, op, rawValue] = m as unknown as [string, string, string, string];
    const resolved = resolveFields(object, [rawField]);
    if (typeof resolved === 'string') throw new SoqlError(invalidField(object, resolved));
    const field = resolved[0]!;
    const type = FIELDS[object][field]!;
    if (type === 'textarea') {
      throw new SoqlError(sfError(400, 'INVALID_FIELD', `field '${field}' can not be filtered in a query call`));
    }
    const value = parseValue(field, type, rawValue, canonicalId);
    filters.push((row) => {
      const c = compare(type === 'id' ? (canonicalId(String(row[field])) ?? row[field]) : row[field], value);
      switch (op) {
        case '=':
          return c === 0;
        case '!=':
          return c !== 0;
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        default:
          return c >= 0;
      }
    });
    pos = cond.lastIndex;
    if (pos >= where.length) return filters;
    const and = /AND\s+/iy;
    and.lastIndex = pos;
    if (!and.exec(where))
      throw new SoqlError(malformedQuery(`unexpected token: '${where.slice(pos, pos + 30).trim()}' (this fake supports AND only)`));
    pos = and.lastIndex;
  }
}

function parseValue(field: string, type: FieldType, raw: string, canonicalId: (raw: string) => string | undefined): unknown {
  const quoted = raw.startsWith("'");
  const text = quoted ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  switch (type) {
    case 'datetime': {
      const m = quoted ? null : DATETIME_LITERAL.exec(raw);
      if (!m) {
        throw new SoqlError(
          quoted
            ? sfError(
                400,
                'INVALID_FIELD',
                `value of filter criterion for field '${field}' must be of type dateTime and should not be enclosed in quotes`,
              )
            : malformedQuery(`line 1:${raw.length} no viable alternative at character '${raw}'`),
        );
      }
      return new Date(raw);
    }
    case 'boolean':
      if (quoted || !/^(true|false)$/i.test(raw)) {
        throw new SoqlError(
          sfError(
            400,
            'INVALID_FIELD',
            `value of filter criterion for field '${field}' must be of type boolean and should not be enclosed in quotes`,
          ),
        );
      }
      return raw.toLowerCase() === 'true';
    case 'int':
      if (quoted || !/^-?\d+$/.test(raw)) throw new SoqlError(malformedQuery(`invalid integer: ${raw}`));
      return Number(raw);
    case 'id':
      if (!quoted) throw new SoqlError(malformedQuery(`unexpected token: ${raw}`));
      if (!ID_FORMAT.test(text)) throw new SoqlError(sfError(400, 'INVALID_QUERY_FILTER_OPERATOR', `invalid ID field: ${text}`));
      return canonicalId(text) ?? text;
    default:
      if (!quoted) throw new SoqlError(malformedQuery(`unexpected token: ${raw}`));
      return text;
  }
}
