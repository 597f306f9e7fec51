import axios, { type AxiosInstance } from 'axios';
import type { Logger } from 'pino';
import type { CrmAdapter, CrmRequestContext, RecordLookup } from '../../src/crm/CrmAdapter.js';
import type { CrmAdapterDeps } from '../../src/crm/CrmAdapterDeps.js';
import type { ServiceNowConfig } from '../../src/config/schema.js';
import { CrmRejectedError, CrmTransientError, InvalidRecordIdError, RecordNotFoundError } from '../../src/crm/errors.js';
import { errorForStatus, isNoRecordFound, toTypedError, type HttpAnswer } from './classifyServiceNowError.js';
import { fromGlideDateTime, parseServiceNowId, toGlideDateTime, type ServiceNowId } from './serviceNowIds.js';

/** Only what the decision needs: smaller answers, and no field an ACL might hide from the integration user. */
const RECORD_FIELDS = 'sys_id,number,state,active';
/** 100 sys_ids make a query of about 3.5 kB: far below the URL limits of ServiceNow's load balancers (~8 kB). */
const MAX_BATCH = 100;
/** Journal rows read per hasCommentSince: a record gets a handful of notes per minute at most. */
const JOURNAL_LIMIT = 1000;

interface RecordRow {
  sys_id: string;
  number?: string;
  state?: string;
  active?: string;
}

interface JournalRow {
  value?: string;
  sys_created_on?: string;
}

/**
 * ServiceNow through the REST Table API (`/api/now/table/{table}`), with axios.
 *
 * One attempt per method (ResilientCrm retries). Every request carries ctx.timeoutMs and ctx.signal, and every
 * failure leaves as one of the typed errors of src/crm/errors.ts (see classifyServiceNowError.ts).
 */
export class ServiceNowAdapter implements CrmAdapter {
  readonly provider = 'servicenow' as const;
  readonly maxBatchSize = MAX_BATCH;

  private readonly http: AxiosInstance;
  private readonly logger: Logger;
  private readonly tablePath: string;
  private readonly commentField: ServiceNowConfig['commentField'];
  private readonly closedStates: ReadonlySet<string>;

  constructor(config: ServiceNowConfig, deps: CrmAdapterDeps) {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let auth: { username: string; password: string } | undefined;
    if (config.oauthToken) headers.Authorization = `Bearer ${config.oauthToken}`;
    else if (config.username && config.password) auth = { username: config.username, password: config.password };
    else throw new Error('crm.servicenow needs username and password, or oauthToken');

    this.http = axios.create({
      baseURL: config.instanceUrl.replace(/\/+$/, ''),
      headers,
      auth,
      // Every status is mapped by hand (errorForStatus), so axios only throws for network failures.
      validateStatus: () => true,
      // Some instances answer an HTML page with 200 (hibernation, SSO portal): keep it as text, reject it below.
      responseType: 'json',
      transitional: { clarifyTimeoutError: true },
    });
    this.tablePath = `/api/now/table/${encodeURIComponent(config.table)}`;
    this.commentField = config.commentField;
    this.closedStates = new Set(config.closedStates);
    // Only non-secret settings go to the log context.
    this.logger = deps.logger.child({ provider: 'servicenow', table: config.table });
  }

  canonicalRecordId(id: string): string {
    return parseServiceNowId(id)?.normalized ?? id;
  }

  isValidRecordId(id: string): boolean {
    return parseServiceNowId(id) !== undefined;
  }

  async readRecords(ids: readonly string[], ctx: CrmRequestContext): Promise<Map<string, RecordLookup>> {
    const parsed = ids.map(parseOrThrow);
    const result = new Map<string, RecordLookup>();
    for (let i = 0; i < parsed.length; i += MAX_BATCH) {
      const chunk = parsed.slice(i, i + MAX_BATCH);
      const rows = await this.fetchRows(chunk, ctx);
      const bySysId = new Map(rows.map((r) => [r.sys_id.toLowerCase(), r] as const));
      const byNumber = new Map(rows.filter((r) => r.number).map((r) => [r.number!.toUpperCase(), r] as const));
      // Rows are matched back to the ids asked for, never taken as they come: ServiceNow silently drops a query
      // condition it cannot use and would then answer with unrelated rows.
      for (const id of chunk) {
        const row = (id.kind === 'sys_id' ? bySysId : byNumber).get(id.normalized);
        result.set(id.asked, row ? this.toLookup(id.asked, row) : { id: id.asked, state: 'not_found', rawStatus: null });
      }
    }
    return result;
  }

  async addComment(id: string, body: string, ctx: CrmRequestContext): Promise<void> {
    const parsed = parseOrThrow(id);
    await this.attempt('comment', async () => {
      const sysId = await this.resolveSysId(parsed, ctx);
      const answer = await this.send(ctx, {
        method: 'PATCH',
        url: `${this.tablePath}/${sysId}`,
        params: { sysparm_fields: 'sys_id', sysparm_exclude_reference_link: 'true' },
        // A journal field takes the text as a new entry (work_notes: agents only; comments: customer-visible).
        data: { [this.commentField]: body },
      });
      if (!isOk(answer.status)) throw errorForStatus(answer, { op: 'comment', recordId: id });
      // Anything but the updated record (an HTML page with 200) did not write the note.
      if (!isRecordRow(resultOf(answer, 'comment'))) throw unexpected('comment', answer);
      this.logger.debug({ id, field: this.commentField }, 'comment written');
    });
  }

  async hasCommentSince(id: string, body: string, since: Date, ctx: CrmRequestContext): Promise<boolean> {
    const parsed = parseOrThrow(id);
    return this.attempt('find-comment', async () => {
      const sysId = await this.resolveSysId(parsed, ctx);
      // Journal entries live in sys_journal_field, one row per note. Text date values in an encoded query are
      // read as UTC. Reading this table needs a read ACL on sys_journal_field for the integration user.
      const sinceText = toGlideDateTime(since);
      const answer = await this.send(ctx, {
        method: 'GET',
        url: '/api/now/table/sys_journal_field',
        params: {
          sysparm_query: `element_id=${sysId}^element=${this.commentField}^sys_created_on>=${sinceText}`,
          sysparm_fields: 'value,sys_created_on',
          sysparm_limit: String(JOURNAL_LIMIT),
        },
      });
      const rows = listRows(answer, 'find-comment', isJournalRow);
      // The date is checked again here for the same reason as in readRecords (an ignored condition).
      const sinceMs = fromGlideDateTime(sinceText)!;
      return rows.some((row) => {
        const created = row.sys_created_on === undefined ? undefined : fromGlideDateTime(row.sys_created_on);
        return row.value === body && created !== undefined && created >= sinceMs;
      });
    });
  }

  reopen(_id: string, _ctx: CrmRequestContext): Promise<void> {
    return Promise.reject(new CrmRejectedError('reopen is not supported for servicenow'));
  }

  /** One request for the whole chunk: sys_ids and numbers are OR-ed into a single encoded query. */
  private async fetchRows(chunk: readonly ServiceNowId[], ctx: CrmRequestContext): Promise<RecordRow[]> {
    return this.attempt('read', async () => {
      const sysIds = unique(chunk.filter((id) => id.kind === 'sys_id').map((id) => id.normalized));
      const numbers = unique(chunk.filter((id) => id.kind === 'number').map((id) => id.normalized));

      if (sysIds.length === 1 && numbers.length === 0) {
        // A single sys_id is a primary-key read; 404 there means "no such record (or hidden by an ACL)".
        const answer = await this.send(ctx, {
          method: 'GET',
          url: `${this.tablePath}/${sysIds[0]}`,
          params: { sysparm_fields: RECORD_FIELDS, sysparm_display_value: 'false', sysparm_exclude_reference_link: 'true' },
        });
        if (isNoRecordFound(answer)) return [];
        if (!isOk(answer.status)) throw errorForStatus(answer, { op: 'read' });
        const row = resultOf(answer, 'read');
        if (!isRecordRow(row)) throw unexpected('read', answer);
        return [row];
      }

      const conditions = [condition('sys_id', sysIds), condition('number', numbers)].filter((c) => c !== undefined);
      const answer = await this.send(ctx, {
        method: 'GET',
        url: this.tablePath,
        params: {
          sysparm_query: conditions.join('^OR'),
          sysparm_fields: RECORD_FIELDS,
          sysparm_limit: String(sysIds.length + numbers.length),
          // Raw values ("7", "false"), not labels ("Closed"): closedStates are raw values.
          sysparm_display_value: 'false',
          sysparm_exclude_reference_link: 'true',
        },
      });
      return listRows(answer, 'read', isRecordRow);
    });
  }

  /** A number is resolved to its sys_id with one query; a sys_id is used as is. */
  private async resolveSysId(id: ServiceNowId, ctx: CrmRequestContext): Promise<string> {
    if (id.kind === 'sys_id') return id.normalized;
    const answer = await this.send(ctx, {
      method: 'GET',
      url: this.tablePath,
      params: { sysparm_query: `number=${id.normalized}`, sysparm_fields: 'sys_id,number', sysparm_limit: '1' },
    });
    const row = listRows(answer, 'resolve', isRecordRow).find(
      (r) => r.number?.toUpperCase() === id.normalized && /^[0-9a-f]{32}$/i.test(r.sys_id),
    );
    if (!row) throw new RecordNotFoundError(id.asked);
    return row.sys_id.toLowerCase();
  }

  private toLookup(asked: string, row: RecordRow): RecordLookup {
    const closed = row.active === 'false' || (row.state !== undefined && this.closedStates.has(row.state));
    return { id: asked, state: closed ? 'closed' : 'open', rawStatus: row.state ?? null };
  }

  private async send(
    ctx: CrmRequestContext,
    req: { method: 'GET' | 'PATCH'; url: string; params: Record<string, string>; data?: unknown },
  ): Promise<HttpAnswer> {
    this.logger.debug({ method: req.method, url: req.url, query: req.params.sysparm_query }, 'servicenow request');
    const res = await this.http.request({ ...req, timeout: ctx.timeoutMs, signal: ctx.signal });
    return { status: res.status, data: res.data as unknown, headers: { ...res.headers } };
  }

  /** Runs one operation: whatever the instance did leaves it as a CrmError; a bug of ours leaves as it is. */
  private async attempt<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const typed = toTypedError(err, op);
      if (!typed) throw err;
      this.logger.debug({ op, error: typed.name, message: typed.message }, 'servicenow request failed');
      throw typed;
    }
  }
}

function parseOrThrow(id: string): ServiceNowId {
  const parsed = parseServiceNowId(id);
  if (!parsed) throw new InvalidRecordIdError(id);
  return parsed;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** `field=v` for one value, `fieldINa,b,c` for more. Values are pre-validated ids: no `^` or `,` can occur. */
function condition(field: string, values: string[]): string | undefined {
  if (values.length === 0) return undefined;
  return values.length === 1 ? `${field}=${values[0]}` : `${field}IN${values.join(',')}`;
}

function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

function isRecordRow(value: unknown): value is RecordRow {
  if (!value || typeof value !== 'object') return false;
  const row = value as Record<string, unknown>;
  return typeof row.sys_id === 'string' && ['number', 'state', 'active'].every((f) => row[f] === undefined || typeof row[f] === 'string');
}

function isJournalRow(value: unknown): value is JournalRow {
  if (!value || typeof value !== 'object') return false;
  const row = value as Record<string, unknown>;
  return ['value', 'sys_created_on'].every((f) => row[f] === undefined || typeof row[f] === 'string');
}

function resultOf(answer: HttpAnswer, op: string): unknown {
  const data = answer.data;
  if (!data || typeof data !== 'object' || !('result' in data)) throw unexpected(op, answer);
  return data.result;
}

/**
 * Rows of a list query. Some releases answer 404 "No Record found" instead of 200 with `[]`: both mean none.
 * One row we cannot read makes the whole answer unexpected: dropping it would pass its record for unknown.
 */
function listRows<T>(answer: HttpAnswer, op: string, isRow: (value: unknown) => value is T): T[] {
  if (isNoRecordFound(answer)) return [];
  if (!isOk(answer.status)) throw errorForStatus(answer, { op });
  const result = resultOf(answer, op);
  if (!Array.isArray(result) || !result.every(isRow)) throw unexpected(op, answer);
  return result;
}

/**
 * A 2xx without a Table API body (an HTML page from a hibernating instance, a proxy, a wrong instanceUrl):
 * the CRM is not answering as a CRM, so it counts like an outage.
 */
function unexpected(op: string, answer: HttpAnswer): CrmTransientError {
  return new CrmTransientError(`servicenow ${op}: unexpected ${answer.status} answer without a Table API result`, {
    status: answer.status,
  });
}
