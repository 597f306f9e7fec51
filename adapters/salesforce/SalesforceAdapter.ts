import jsforce from 'jsforce';
import type { Connection } from 'jsforce';
import type { Logger } from 'pino';
import type { SalesforceConfig } from '../../src/config/schema.js';
import type { CrmAdapter, CrmRequestContext, RecordLookup } from '../../src/crm/CrmAdapter.js';
import type { CrmAdapterDeps } from '../../src/crm/CrmAdapterDeps.js';
import { CrmRejectedError, CrmTransientError, InvalidRecordIdError, RecordNotFoundError } from '../../src/crm/errors.js';
import { classifySalesforceError, isSessionExpired } from './classifySalesforceError.js';
import { SalesforceAuth } from './SalesforceAuth.js';
import { canonicalSalesforceId } from './salesforceIds.js';
import { isSalesforceId, soqlDateTime, soqlString, toCommentBody } from './salesforceFormat.js';
import { callScope, SingleAttemptTransport, type CallScope } from './singleAttemptTransport.js';

/** sObject Collections retrieve takes at most 2,000 ids per request. */
const MAX_IDS_PER_REQUEST = 2000;
const CASE_FIELDS = ['Id', 'Status', 'IsClosed'];
/** hasCommentSince pages through at most this many query pages (2,000 rows each). */
const MAX_QUERY_PAGES = 10;

interface CaseRow {
  Id: string;
  Status?: string | null;
  IsClosed: boolean;
}

/** One page of a SOQL query answer; its rows are read field by field, as they come. */
interface QueryPage {
  done: boolean;
  records: Record<string, unknown>[];
  nextRecordsUrl?: string | null;
}

interface SaveResult {
  success: boolean;
  errors: { errorCode?: unknown }[];
}

/**
 * Salesforce CRM adapter (jsforce, REST API). Records are Cases: closed means Case.IsClosed, comments are
 * internal CaseComments (IsPublished = false), reopen sets Case.Status to `reopenStatus` or the org's default
 * open status. Each method is one attempt (see singleAttemptTransport.ts for how jsforce's retries are off);
 * only an expired session is renewed once within a call.
 */
export class SalesforceAdapter implements CrmAdapter {
  readonly provider = 'salesforce' as const;
  readonly maxBatchSize = MAX_IDS_PER_REQUEST;

  private readonly conn: Connection;
  private readonly auth: SalesforceAuth;
  private readonly logger: Logger;
  /** The org's default open CaseStatus, read on the first reopen without `reopenStatus`, then kept. */
  private defaultOpenStatus: Promise<string> | undefined;

  constructor(
    private readonly config: SalesforceConfig,
    deps: CrmAdapterDeps,
  ) {
    this.logger = deps.logger.child({ provider: 'salesforce' });
    if (Number(config.apiVersion.split('.')[0]) < 42) {
      // below 42.0 jsforce reads a batch as one GET per id instead of one sObject Collections request
      throw new Error(`crm.salesforce.apiVersion must be 42.0 or later (sObject Collections), got ${config.apiVersion}`);
    }
    const transport = new SingleAttemptTransport();
    this.conn = new jsforce.Connection({
      instanceUrl: config.instanceUrl.replace(/\/+$/, ''),
      version: config.apiVersion,
      ...(config.accessToken ? { accessToken: config.accessToken } : {}),
    });
    this.conn._transport = transport;
    this.auth = new SalesforceAuth(this.conn, config, transport, this.logger);
  }

  canonicalRecordId(id: string): string {
    return canonicalSalesforceId(id);
  }

  isValidRecordId(id: string): boolean {
    return isSalesforceId(id);
  }

  async readRecords(ids: readonly string[], ctx: CrmRequestContext): Promise<Map<string, RecordLookup>> {
    for (const id of ids) this.assertId(id);
    const unique = [...new Set(ids)];
    const result = new Map<string, RecordLookup>();
    if (unique.length === 0) return result;
    if (unique.length === 1) {
      // One record: the plain sObject GET (/sobjects/Case/{id}?fields=...), the smallest request there is.
      const id = unique[0]!;
      try {
        const row: unknown = await this.call(ctx, id, () => this.conn.sobject('Case').retrieve(id, { fields: CASE_FIELDS }));
        if (!isCaseRow(row)) throw unreadable('a read', 'a Case');
        result.set(id, toLookup(id, row));
      } catch (err) {
        // A deleted case reads as not found, as it does in a batch (where Salesforce answers null for it).
        const deleted = err instanceof CrmRejectedError && err.message.includes('ENTITY_IS_DELETED');
        if (!(err instanceof RecordNotFoundError) && !deleted) throw err;
        result.set(id, { id, state: 'not_found', rawStatus: null });
      }
      return result;
    }
    await this.call(ctx, undefined, async () => {
      for (let i = 0; i < unique.length; i += MAX_IDS_PER_REQUEST) {
        if (ctx.signal.aborted) throw new CrmTransientError('Salesforce read aborted');
        const chunk = unique.slice(i, i + MAX_IDS_PER_REQUEST);
        // POST /composite/sobjects/Case {ids, fields}: one request per 2,000 ids; unknown ids come back as null.
        const rows = (await this.conn.sobject('Case').retrieve(chunk, { fields: CASE_FIELDS })) as unknown;
        // A row we cannot read must not pass for an unknown case (that would cancel its call as not found).
        if (!Array.isArray(rows) || !rows.every((row) => row === null || isCaseRow(row))) {
          throw unreadable('a batch read', 'an array of Cases');
        }
        for (const [id, row] of matchRows(chunk, rows as (CaseRow | null)[])) {
          result.set(id, row ? toLookup(id, row) : { id, state: 'not_found', rawStatus: null });
        }
      }
    });
    return result;
  }

  async addComment(id: string, body: string, ctx: CrmRequestContext): Promise<void> {
    this.assertId(id);
    await this.call(ctx, id, async () => {
      const res: unknown = await this.conn.sobject('CaseComment').create({
        ParentId: id,
        CommentBody: toCommentBody(body),
        IsPublished: false, // internal: visible to agents only (SPEC section 2)
      });
      if (!isSaveResult(res)) throw unreadable('a CaseComment insert', 'a save result');
      if (!res.success) {
        const codes = res.errors.map((e) => (typeof e.errorCode === 'string' ? e.errorCode : 'UNKNOWN_ERROR')).join(', ');
        throw new CrmRejectedError(`Salesforce refused the CaseComment: ${codes}`);
      }
    });
  }

  async hasCommentSince(id: string, body: string, since: Date, ctx: CrmRequestContext): Promise<boolean> {
    this.assertId(id);
    const expected = toCommentBody(body); // what addComment would have written
    // CommentBody is a long text area and cannot be filtered in WHERE: it is compared here.
    const soql =
      `SELECT Id, CommentBody, CreatedDate FROM CaseComment ` +
      `WHERE ParentId = ${soqlString(id)} AND CreatedDate >= ${soqlDateTime(since)}`;
    return this.call(ctx, id, async () => {
      let page = queryPage(await this.conn.request<unknown>(`/query?q=${encodeURIComponent(soql)}`));
      for (let n = 1; ; n++) {
        if (page.records.some((r) => r.CommentBody === expected)) return true;
        if (page.done || !page.nextRecordsUrl || n >= MAX_QUERY_PAGES) return false;
        if (ctx.signal.aborted) throw new CrmTransientError('Salesforce query aborted');
        page = queryPage(await this.conn.request<unknown>(page.nextRecordsUrl));
      }
    });
  }

  async reopen(id: string, ctx: CrmRequestContext): Promise<void> {
    this.assertId(id);
    await this.call(ctx, id, async () => {
      const status = this.config.reopenStatus ?? (await this.openStatus());
      // PATCH /sobjects/Case/{id}: 204 No Content on success
      await this.conn.sobject('Case').update({ Id: id, Status: status });
      this.logger.info({ recordId: id, status }, 'Salesforce case reopened');
    });
  }

  private assertId(id: string): void {
    if (!isSalesforceId(id)) throw new InvalidRecordIdError(id);
  }

  /** Reads the default open CaseStatus once; a failed read is not kept, so the next reopen asks again. */
  private openStatus(): Promise<string> {
    this.defaultOpenStatus ??= (async () => {
      const soql = 'SELECT ApiName, MasterLabel FROM CaseStatus WHERE IsDefault = true AND IsClosed = false LIMIT 1';
      const res = queryPage(await this.conn.request<unknown>(`/query?q=${encodeURIComponent(soql)}`));
      const row = res.records[0];
      // ApiName is what Case.Status holds; MasterLabel is its label, the same unless renamed.
      const status = stringField(row, 'ApiName') || stringField(row, 'MasterLabel');
      if (!status) {
        throw new CrmRejectedError('Salesforce has no default open CaseStatus; set crm.salesforce.reopenStatus');
      }
      this.logger.info({ status }, 'Salesforce default open case status read');
      return status;
    })();
    this.defaultOpenStatus.catch(() => {
      this.defaultOpenStatus = undefined;
    });
    return this.defaultOpenStatus;
  }

  /**
   * Runs one adapter call: a deadline for the transport, the token fetched if there is none yet, errors
   * classified, and on an expired session one new token and one more try (a second refusal is final).
   */
  private call<T>(ctx: CrmRequestContext, recordId: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (ctx.signal.aborted) return Promise.reject(new CrmTransientError('Salesforce call aborted before it started'));
    // The transport's deadline is a backstop that ends the socket just after the caller's own timeout has fired
    // (which then reports the timeout), not a second timer racing it.
    const scope: CallScope = { deadline: Date.now() + ctx.timeoutMs + TRANSPORT_GRACE_MS };
    // jsforce takes no abort signal: an abort stops our wait at once, and the transport's deadline ends the socket.
    return raceAbort(ctx.signal, () => this.attempt(ctx, scope, recordId, fn));
  }

  private attempt<T>(ctx: CrmRequestContext, scope: CallScope, recordId: string | undefined, fn: () => Promise<T>): Promise<T> {
    return callScope.run(scope, async () => {
      try {
        await this.auth.ensureToken();
        const token = this.conn.accessToken;
        try {
          return await fn();
        } catch (err) {
          if (!isSessionExpired(err, scope) || !this.auth.canRefresh || ctx.signal.aborted) throw err;
          this.logger.warn('Salesforce session expired or invalid; requesting a new access token');
          await this.auth.refresh(token);
          return await fn();
        }
      } catch (err) {
        throw classifySalesforceError(err, scope, recordId);
      }
    });
  }
}

const TRANSPORT_GRACE_MS = 100;

/** Settles with `run()`, or rejects with CrmTransientError as soon as `signal` aborts. */
function raceAbort<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CrmTransientError('Salesforce request aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    run()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Pairs each asked id with its row. Salesforce answers with 18-character ids: a 15-character id matches the
 * first 15 characters exactly (they are case-sensitive); an 18-character id matches on its first 15 or, when
 * sent in another letter case, on the whole id ignoring case (the last 3 characters encode the case).
 */
function matchRows(asked: readonly string[], rows: readonly (CaseRow | null)[]): Map<string, CaseRow | null> {
  const by15 = new Map<string, CaseRow>();
  const by18 = new Map<string, CaseRow>();
  for (const row of rows) {
    if (!row || typeof row.Id !== 'string') continue;
    by15.set(row.Id.slice(0, 15), row);
    if (row.Id.length === 18) by18.set(row.Id.toLowerCase(), row);
  }
  const matched = new Map<string, CaseRow | null>();
  for (const id of asked) {
    const row = by15.get(id.slice(0, 15)) ?? (id.length === 18 ? by18.get(id.toLowerCase()) : undefined);
    matched.set(id, row ?? null);
  }
  return matched;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/*
 * What Salesforce answers is checked before it is read: an answer of another shape (an HTML page with 200, a
 * proxy's reply) is a CrmTransientError, never a case read as open or as unknown, nor a TypeError of ours.
 */

function isCaseRow(value: unknown): value is CaseRow {
  return (
    isObject(value) &&
    typeof value.Id === 'string' &&
    typeof value.IsClosed === 'boolean' &&
    (value.Status === undefined || value.Status === null || typeof value.Status === 'string')
  );
}

function isSaveResult(value: unknown): value is SaveResult {
  return (
    isObject(value) &&
    typeof value.success === 'boolean' &&
    (value.success || (Array.isArray(value.errors) && value.errors.every(isObject)))
  );
}

function queryPage(value: unknown): QueryPage {
  if (
    !isObject(value) ||
    typeof value.done !== 'boolean' ||
    !Array.isArray(value.records) ||
    !value.records.every(isObject) ||
    (value.nextRecordsUrl !== undefined && value.nextRecordsUrl !== null && typeof value.nextRecordsUrl !== 'string')
  ) {
    throw unreadable('a query', 'a query result');
  }
  return value as unknown as QueryPage;
}

function stringField(row: Record<string, unknown> | undefined, field: string): string | undefined {
  const value = row?.[field];
  return typeof value === 'string' ? value : undefined;
}

function toLookup(id: string, row: CaseRow): RecordLookup {
  return { id, state: row.IsClosed ? 'closed' : 'open', rawStatus: row.Status ?? null };
}

function unreadable(request: string, expected: string): CrmTransientError {
  return new CrmTransientError(`Salesforce answered ${request} with something that is not ${expected}`);
}
